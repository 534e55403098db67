package containerd

import (
	"context"
	"fmt"

	ctrd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// imageInfo is what the driver keeps of an image's content, by the digest
// of its manifest (or index), which never changes: the configuration blob
// and the chain ID of its unpacked root filesystem. With it, creating a
// container costs one image lookup, one snapshot Prepare and the container
// itself, instead of reading the manifest and configuration from the
// content store three times (unpack check, snapshot, spec).
type imageInfo struct {
	config  ocispec.Descriptor // with Data: the blob
	diffIDs []digest.Digest
	chainID string
}

// resolvedImage is a ctrd.Image whose configuration and root filesystem
// come from the driver's cache.
type resolvedImage struct {
	ctrd.Image
	info *imageInfo
}

// Config returns the configuration's descriptor with its blob inline, so
// that readers (oci.WithImageConfig) need not ask the content store.
func (i resolvedImage) Config(context.Context) (ocispec.Descriptor, error) { return i.info.config, nil }

// RootFS returns the diff IDs of the image's layers.
func (i resolvedImage) RootFS(context.Context) ([]digest.Digest, error) { return i.info.diffIDs, nil }

// image looks up the image named ref (already normalized) and returns it
// unpacked in the driver's snapshotter. The first time a content is seen
// it is checked (and unpacked if needed) and its configuration read; after
// that only the name is looked up. A missing image is an errdefs
// NotFound error.
func (r *Runtime) image(ctx context.Context, ref string) (resolvedImage, error) {
	md, err := r.client.ImageService().Get(ctx, ref)
	if err != nil {
		return resolvedImage{}, err
	}
	img := ctrd.NewImage(r.client, md)
	dg := md.Target.Digest
	r.imgMu.Lock()
	info := r.images[dg]
	r.imgMu.Unlock()
	if info != nil {
		return resolvedImage{img, info}, nil
	}
	if err := r.unpack(ctx, img); err != nil {
		return resolvedImage{}, err
	}
	desc, err := img.Config(ctx)
	if err != nil {
		return resolvedImage{}, fmt.Errorf("image %s: configuration: %w", ref, err)
	}
	blob, err := content.ReadBlob(ctx, img.ContentStore(), desc)
	if err != nil {
		return resolvedImage{}, fmt.Errorf("image %s: configuration: %w", ref, err)
	}
	desc.Data = blob
	diffs, err := img.RootFS(ctx)
	if err != nil {
		return resolvedImage{}, fmt.Errorf("image %s: layers: %w", ref, err)
	}
	info = &imageInfo{config: desc, diffIDs: diffs, chainID: identity.ChainID(diffs).String()}
	r.imgMu.Lock()
	r.images[dg] = info
	r.imgMu.Unlock()
	return resolvedImage{img, info}, nil
}

// forgetImage drops what the driver knows of img's content, so that the
// next use checks its snapshot again (after a failed container creation:
// the snapshot may have been removed behind the driver's back).
func (r *Runtime) forgetImage(img resolvedImage) {
	r.imgMu.Lock()
	delete(r.images, img.Target().Digest)
	r.imgMu.Unlock()
}

// withSnapshot prepares the container's writable snapshot on the image's
// unpacked root filesystem, as ctrd.WithNewSnapshot does without reading
// the image again or asking containerd which snapshotter is the default.
func (r *Runtime) withSnapshot(id string, img resolvedImage) ctrd.NewContainerOpts {
	return func(ctx context.Context, client *ctrd.Client, c *containers.Container) error {
		sn := client.SnapshotService(r.snapshotter)
		_, err := sn.Prepare(ctx, id, img.info.chainID)
		if errdefs.IsNotFound(err) {
			// The image's unpacked layers are gone (removed, then the
			// image loaded again without unpacking): unpack it again.
			if err = r.unpack(ctx, img.Image); err == nil {
				_, err = sn.Prepare(ctx, id, img.info.chainID)
			}
		}
		if err != nil {
			return err
		}
		c.Snapshotter, c.SnapshotKey, c.Image = r.snapshotter, id, img.Name()
		return nil
	}
}
