package exec

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/coxswain/coxswain/runtime"
)

// imageOf returns the record of an image name. The exec driver has no
// images: the name is only a label, and its ID a hash of the name.
func imageOf(name string) runtime.Image {
	sum := sha256.Sum256([]byte(name))
	return runtime.Image{ID: "sha256:" + hex.EncodeToString(sum[:]), Tags: []string{name}}
}

// PullImage implements runtime.ImageService. Nothing is downloaded: the
// name is recorded and its ID returned.
func (r *Runtime) PullImage(ctx context.Context, image string) (string, error) {
	if image == "" {
		return "", fmt.Errorf("exec: pull: %w: image name is empty", runtime.ErrInvalidConfig)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	im := imageOf(image)
	r.images[image] = im
	return im.ID, nil
}

// ImageStatus implements runtime.ImageService.
func (r *Runtime) ImageStatus(ctx context.Context, image string) (runtime.Image, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if im, ok := r.images[image]; ok {
		im.Tags = slices.Clone(im.Tags)
		return im, nil
	}
	for _, im := range r.images {
		if im.ID == image {
			im.Tags = slices.Clone(im.Tags)
			return im, nil
		}
	}
	return runtime.Image{}, fmt.Errorf("exec: image %s: %w", image, runtime.ErrNotFound)
}

// ListImages implements runtime.ImageService.
func (r *Runtime) ListImages(ctx context.Context) ([]runtime.Image, error) {
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
