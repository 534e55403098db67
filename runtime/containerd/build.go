package containerd

import (
	"context"
	"io"
	goruntime "runtime"

	"github.com/coxswain/coxswain/runtime/containerd/internal/oci"
)

// ImageSpec describes a one-layer image for BuildImage.
type ImageSpec struct {
	// Name is the image's reference, such as "docker.io/library/app:1".
	Name string
	// Files maps absolute paths in the image to their contents; every file
	// is executable, and parent directories are made as needed. A static
	// binary and its entrypoint are enough for an image.
	Files map[string][]byte
	// Entrypoint and Cmd are the image's default command.
	Entrypoint, Cmd []string
	// Env is the default environment (KEY=value); empty means a PATH.
	Env []string
	// WorkingDir is the default working directory.
	WorkingDir string
}

// BuildImage writes the image spec describes to w as an OCI image layout
// archive, which LoadImage (or `ctr images import`) imports, and returns the
// manifest's digest. The archive is deterministic. The platform is linux on
// the architecture this program runs on.
func BuildImage(ctx context.Context, w io.Writer, spec ImageSpec) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return oci.Write(w, oci.Image{
		Name: spec.Name, Files: spec.Files, Entrypoint: spec.Entrypoint, Cmd: spec.Cmd,
		Env: spec.Env, WorkingDir: spec.WorkingDir, OS: "linux", Architecture: goruntime.GOARCH,
	})
}
