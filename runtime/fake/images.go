package fake

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/coxswain/coxswain/runtime"
)

// PullImage implements runtime.ImageService.
func (r *Runtime) PullImage(ctx context.Context, image string) (string, error) {
	if err := r.inject("PullImage", image); err != nil {
		return "", err
	}
	if image == "" {
		return "", fmt.Errorf("fake: pull: %w: image name is empty", runtime.ErrInvalidConfig)
	}
	r.mu.Lock()
	s := r.scripts[image]
	r.mu.Unlock()
	if s.PullDelay > 0 {
		if err := r.sleep(ctx, s.PullDelay); err != nil {
			return "", fmt.Errorf("fake: pull %s: %w", image, err)
		}
	}
	if s.PullError != nil {
		return "", fmt.Errorf("fake: pull %s: %w: %w", image, runtime.ErrImagePull, s.PullError)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	im, ok := r.images[image]
	if !ok {
		im = imageOf(image)
		r.images[image] = im
	}
	return im.ID, nil
}

// ImageStatus implements runtime.ImageService.
func (r *Runtime) ImageStatus(ctx context.Context, image string) (runtime.Image, error) {
	if err := r.inject("ImageStatus", image); err != nil {
		return runtime.Image{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	im, ok := r.images[image]
	if !ok {
		for _, i := range r.images {
			if i.ID == image {
				im, ok = i, true
			}
		}
	}
	if !ok {
		return runtime.Image{}, fmt.Errorf("fake: image %s: %w", image, runtime.ErrNotFound)
	}
	im.Tags = slices.Clone(im.Tags)
	return im, nil
}

// ListImages implements runtime.ImageService.
func (r *Runtime) ListImages(ctx context.Context) ([]runtime.Image, error) {
	if err := r.inject("ListImages", ""); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]runtime.Image, 0, len(r.images))
	for _, im := range r.images {
		im.Tags = slices.Clone(im.Tags)
		out = append(out, im)
	}
	slices.SortFunc(out, func(a, b runtime.Image) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// RemoveImage implements runtime.ImageService.
func (r *Runtime) RemoveImage(ctx context.Context, image string) error {
	if err := r.inject("RemoveImage", image); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.images, image)
	for k, im := range r.images {
		if im.ID == image {
			delete(r.images, k)
		}
	}
	return nil
}
