// Package oci writes OCI image layout archives: a tar holding oci-layout,
// index.json and content-addressed blobs (one uncompressed layer, the image
// config and the manifest), the format containerd imports. It has no
// dependencies beyond the standard library, so the pause binary can pack
// itself.
package oci

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// Media types of the OCI image specification.
const (
	MediaTypeIndex    = "application/vnd.oci.image.index.v1+json"
	MediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar"
)

// Annotations naming an image in an index.
const (
	AnnotationRefName   = "org.opencontainers.image.ref.name"
	AnnotationImageName = "io.containerd.image.name"
)

// Image describes an image of one layer.
type Image struct {
	// Name is the full reference, such as "docker.io/library/app:1".
	Name string
	// Files maps absolute paths in the image to their contents. Every file
	// is executable (mode 0755); parent directories are made as needed.
	Files map[string][]byte
	// Entrypoint and Cmd are the image's default command.
	Entrypoint, Cmd []string
	// Env is the default environment, as KEY=value; empty means a PATH.
	Env []string
	// WorkingDir is the default working directory.
	WorkingDir string
	// OS and Architecture are the platform, such as "linux" and "amd64".
	OS, Architecture string
}

// Validate reports the first problem of im, naming the field.
func (im Image) Validate() error {
	if im.Name == "" {
		return errors.New("oci: image Name is empty")
	}
	if im.OS == "" || im.Architecture == "" {
		return fmt.Errorf("oci: image %s: OS %q and Architecture %q must be set", im.Name, im.OS, im.Architecture)
	}
	for p := range im.Files {
		if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
			return fmt.Errorf("oci: image %s: file path %q must be absolute and clean", im.Name, p)
		}
	}
	return nil
}

// Descriptor is an OCI content descriptor.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *Platform         `json:"platform,omitempty"`
}

// Platform is a descriptor's platform.
type Platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

type index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []Descriptor `json:"manifests"`
}

type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        Descriptor   `json:"config"`
	Layers        []Descriptor `json:"layers"`
}

type imageConfig struct {
	Architecture string          `json:"architecture"`
	OS           string          `json:"os"`
	Config       containerConfig `json:"config"`
	RootFS       rootFS          `json:"rootfs"`
}

type containerConfig struct {
	Env        []string `json:"Env,omitempty"`
	Entrypoint []string `json:"Entrypoint,omitempty"`
	Cmd        []string `json:"Cmd,omitempty"`
	WorkingDir string   `json:"WorkingDir,omitempty"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

// DefaultPath is the PATH of an image that sets no Env.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Write writes im to w as an OCI image layout tar and returns the
// manifest's digest. The archive is deterministic: the same image always
// gives the same bytes.
func Write(w io.Writer, im Image) (string, error) {
	if err := im.Validate(); err != nil {
		return "", err
	}
	layer, err := Layer(im.Files)
	if err != nil {
		return "", err
	}
	layerDesc := describe(MediaTypeLayer, layer)
	env := im.Env
	if len(env) == 0 {
		env = []string{DefaultPath}
	}
	cfg, err := json.Marshal(imageConfig{
		Architecture: im.Architecture, OS: im.OS,
		Config: containerConfig{Env: env, Entrypoint: im.Entrypoint, Cmd: im.Cmd, WorkingDir: im.WorkingDir},
		RootFS: rootFS{Type: "layers", DiffIDs: []string{layerDesc.Digest}},
	})
	if err != nil {
		return "", err
	}
	cfgDesc := describe(MediaTypeConfig, cfg)
	man, err := json.Marshal(manifest{SchemaVersion: 2, MediaType: MediaTypeManifest, Config: cfgDesc, Layers: []Descriptor{layerDesc}})
	if err != nil {
		return "", err
	}
	manDesc := describe(MediaTypeManifest, man)
	manDesc.Platform = &Platform{Architecture: im.Architecture, OS: im.OS}
	manDesc.Annotations = map[string]string{AnnotationImageName: im.Name, AnnotationRefName: refName(im.Name)}
	idx, err := json.Marshal(index{SchemaVersion: 2, MediaType: MediaTypeIndex, Manifests: []Descriptor{manDesc}})
	if err != nil {
		return "", err
	}
	tw := tar.NewWriter(w)
	files := []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", idx},
		{blobPath(layerDesc.Digest), layer},
		{blobPath(cfgDesc.Digest), cfg},
		{blobPath(manDesc.Digest), man},
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, Format: tar.FormatPAX}); err != nil {
			return "", err
		}
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Format: tar.FormatPAX}); err != nil {
			return "", err
		}
		if _, err := tw.Write(f.data); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	return manDesc.Digest, nil
}

// refName returns the tag of a reference ("1" of "docker.io/x/y:1"), or
// "latest" when it has none.
func refName(name string) string {
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	i := strings.LastIndexByte(name, ':')
	if i < 0 || strings.Contains(name[i:], "/") {
		return "latest"
	}
	return name[i+1:]
}

func describe(mediaType string, b []byte) Descriptor {
	return Descriptor{MediaType: mediaType, Digest: Digest(b), Size: int64(len(b))}
}

// Digest returns the sha256 digest of b, as "sha256:<hex>".
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func blobPath(digest string) string {
	return "blobs/sha256/" + strings.TrimPrefix(digest, "sha256:")
}

// Layer returns an uncompressed layer tar of files, with their parent
// directories, in sorted order and with zero times.
func Layer(files map[string][]byte) ([]byte, error) {
	var names []string
	dirs := map[string]bool{}
	for p := range files {
		names = append(names, p)
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for d := range dirs {
		if _, clash := files[d]; clash {
			return nil, fmt.Errorf("oci: %s is both a file and a directory", d)
		}
		names = append(names, d+"/")
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		h := &tar.Header{Name: strings.TrimPrefix(n, "/"), Mode: 0o755, Format: tar.FormatPAX}
		if strings.HasSuffix(n, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(files[n]))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(files[n]); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
