package containerd

import (
	"context"
	"fmt"
	"io"
	"sort"

	ctrd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"

	"github.com/coxswain/coxswain/runtime"
)

// normalize returns the full reference of name ("nginx" is
// "docker.io/library/nginx:latest").
func normalize(name string) (string, error) {
	ref, err := reference.ParseDockerRef(name)
	if err != nil {
		return "", fmt.Errorf("containerd: image name %q: %v: %w", name, err, runtime.ErrInvalidConfig)
	}
	return ref.String(), nil
}

// PullImage implements runtime.ImageService. An image already present (pulled
// or loaded before) is returned without contacting its registry; otherwise
// it is pulled and unpacked. A failed pull wraps runtime.ErrImagePull.
func (r *Runtime) PullImage(ctx context.Context, image string) (string, error) {
	ctx = r.ns(ctx)
	name, err := normalize(image)
	if err != nil {
		return "", err
	}
	img, err := r.client.GetImage(ctx, name)
	if errdefs.IsNotFound(err) {
		img, err = r.client.Pull(ctx, name, ctrd.WithPullUnpack, ctrd.WithPullSnapshotter(r.snapshotter))
		if err != nil {
			return "", fmt.Errorf("containerd: pulling image %s: %v: %w", name, err, runtime.ErrImagePull)
		}
	} else if err != nil {
		return "", fmt.Errorf("containerd: image %s: %w", name, err)
	}
	if err := r.unpack(ctx, img); err != nil {
		return "", fmt.Errorf("containerd: image %s: %w", name, err)
	}
	return img.Target().Digest.String(), nil
}

// unpack makes sure img is unpacked in the driver's snapshotter.
func (r *Runtime) unpack(ctx context.Context, img ctrd.Image) error {
	ok, err := img.IsUnpacked(ctx, r.snapshotter)
	if err != nil {
		return fmt.Errorf("unpacking image %s: %w", img.Name(), err)
	}
	if !ok {
		if err := img.Unpack(ctx, r.snapshotter); err != nil && !errdefs.IsAlreadyExists(err) {
			return fmt.Errorf("unpacking image %s: %w", img.Name(), err)
		}
	}
	return nil
}

// ImageStatus implements runtime.ImageService.
func (r *Runtime) ImageStatus(ctx context.Context, image string) (runtime.Image, error) {
	ctx = r.ns(ctx)
	name, err := normalize(image)
	if err != nil {
		return runtime.Image{}, err
	}
	img, err := r.client.ImageService().Get(ctx, name)
	if errdefs.IsNotFound(err) {
		return runtime.Image{}, fmt.Errorf("containerd: image %s: %w", name, runtime.ErrNotFound)
	} else if err != nil {
		return runtime.Image{}, fmt.Errorf("containerd: image %s: %w", name, err)
	}
	// The agent asks before each container start, so this is kept cheap:
	// only the names of this content are listed, and its size (which
	// reads its manifests) is computed once per content.
	dg := img.Target.Digest
	same, err := r.client.ImageService().List(ctx, "target.digest=="+dg.String())
	if err != nil {
		return runtime.Image{}, fmt.Errorf("containerd: image %s: %w", name, err)
	}
	out := runtime.Image{ID: dg.String()}
	for _, im := range same {
		out.Tags = append(out.Tags, im.Name)
	}
	if len(out.Tags) == 0 {
		out.Tags = []string{img.Name}
	}
	sort.Strings(out.Tags)
	r.imgMu.Lock()
	size, ok := r.sizes[dg]
	r.imgMu.Unlock()
	if !ok {
		if s, err := ctrd.NewImage(r.client, img).Size(ctx); err == nil && s > 0 {
			size = uint64(s)
			r.imgMu.Lock()
			r.sizes[dg] = size
			r.imgMu.Unlock()
		}
	}
	out.Size = size
	return out, nil
}

// ListImages implements runtime.ImageService: one entry per content (manifest
// or index digest), with every name it has.
func (r *Runtime) ListImages(ctx context.Context) ([]runtime.Image, error) {
	ctx = r.ns(ctx)
	imgs, err := r.client.ImageService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("containerd: listing images: %w", err)
	}
	byID := map[string]*runtime.Image{}
	for _, im := range imgs {
		id := im.Target.Digest.String()
		e, ok := byID[id]
		if !ok {
			e = &runtime.Image{ID: id}
			if size, err := ctrd.NewImage(r.client, im).Size(ctx); err == nil && size > 0 {
				e.Size = uint64(size)
			}
			byID[id] = e
		}
		e.Tags = append(e.Tags, im.Name)
	}
	out := make([]runtime.Image, 0, len(byID))
	for _, e := range byID {
		sort.Strings(e.Tags)
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// RemoveImage implements runtime.ImageService. Given an ID, it removes every
// name of that content.
func (r *Runtime) RemoveImage(ctx context.Context, image string) error {
	ctx = r.ns(ctx)
	names := []string{}
	list, err := r.ListImages(ctx)
	if err != nil {
		return err
	}
	for _, im := range list {
		if im.ID == image {
			names = append(names, im.Tags...)
		}
	}
	if len(names) == 0 {
		name, err := normalize(image)
		if err != nil {
			return err
		}
		names = append(names, name)
	}
	for _, n := range names {
		if err := r.client.ImageService().Delete(ctx, n); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("containerd: removing image %s: %w", n, err)
		}
	}
	return nil
}

// LoadImage imports the images of an OCI image layout or `docker save`
// archive (such as BuildImage writes) into the driver's namespace, unpacks
// them, and returns their names.
func (r *Runtime) LoadImage(ctx context.Context, archive io.Reader) ([]string, error) {
	ctx = r.ns(ctx)
	imgs, err := r.client.Import(ctx, archive)
	if err != nil {
		return nil, fmt.Errorf("containerd: importing an image archive: %w", err)
	}
	var names []string
	for _, im := range imgs {
		if err := r.unpack(ctx, ctrd.NewImage(r.client, im)); err != nil {
			return nil, fmt.Errorf("containerd: importing %s: %w", im.Name, err)
		}
		names = append(names, im.Name)
	}
	return names, nil
}
