package agent

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// podVolumes are one pod's volumes on the node, under
// RootDir/pods/<uid>/volumes/<name>.
type podVolumes struct {
	a   *Agent
	dir string
	// paths are the host paths of the volumes set up, by name.
	paths map[string]string
	// hashes are the payload hashes of projected volumes, by name, so
	// unchanged payloads are not rewritten.
	hashes map[string][32]byte
	// tmpfs are the directories mounted as tmpfs, to unmount on teardown.
	tmpfs []string
}

func newPodVolumes(a *Agent, uid string) *podVolumes {
	return &podVolumes{a: a, dir: filepath.Join(a.cfg.RootDir, "pods", uid),
		paths: map[string]string{}, hashes: map[string][32]byte{}}
}

// setup makes every volume of pod ready, and refreshes projected ones
// (configMap, secret, downwardAPI) whose source changed.
func (v *podVolumes) setup(ctx context.Context, pod *types.Pod) error {
	for i := range pod.Spec.Volumes {
		vol := &pod.Spec.Volumes[i]
		if err := v.setupOne(ctx, pod, vol); err != nil {
			return fmt.Errorf("%w: volume %q: %v", ErrVolume, vol.Name, err)
		}
	}
	return nil
}

func (v *podVolumes) volDir(name string) string {
	return filepath.Join(v.dir, "volumes", name)
}

func (v *podVolumes) setupOne(ctx context.Context, pod *types.Pod, vol *types.Volume) error {
	if strings.ContainsAny(vol.Name, "/\\") || vol.Name == "" || vol.Name == "." || vol.Name == ".." {
		return fmt.Errorf("invalid volume name")
	}
	dir := v.volDir(vol.Name)
	switch {
	case vol.EmptyDir != nil:
		if _, ok := v.paths[vol.Name]; ok {
			return nil
		}
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return err
		}
		_ = os.Chmod(dir, 0o777)
		if vol.EmptyDir.Medium == types.StorageMediumMemory && mountTmpfs(dir) == nil {
			v.tmpfs = append(v.tmpfs, dir)
		}
		v.paths[vol.Name] = dir
	case vol.HostPath != nil:
		if _, ok := v.paths[vol.Name]; ok {
			return nil
		}
		if err := checkHostPath(vol.HostPath); err != nil {
			return err
		}
		v.paths[vol.Name] = vol.HostPath.Path
	case vol.PersistentVolumeClaim != nil:
		if _, ok := v.paths[vol.Name]; ok {
			return nil
		}
		p, err := v.claimPath(ctx, pod.Namespace, vol.PersistentVolumeClaim.ClaimName)
		if err != nil {
			return err
		}
		v.paths[vol.Name] = p
	case vol.ConfigMap != nil:
		src := vol.ConfigMap
		cm, err := v.a.refs.configMap(ctx, pod.Namespace, src.Name)
		if err != nil {
			return err
		}
		if cm == nil {
			if src.Optional == nil || !*src.Optional {
				return fmt.Errorf("configmap %q not found", src.Name)
			}
			cm = &types.ConfigMap{}
		}
		data := map[string][]byte{}
		for k, s := range cm.Data {
			data[k] = []byte(s)
		}
		for k, b := range cm.BinaryData {
			data[k] = b
		}
		payload, err := project(data, src.Items, src.DefaultMode, src.Optional, "configmap "+src.Name)
		if err != nil {
			return err
		}
		return v.write(vol.Name, dir, payload)
	case vol.Secret != nil:
		src := vol.Secret
		sec, err := v.a.refs.secret(ctx, pod.Namespace, src.SecretName)
		if err != nil {
			return err
		}
		if sec == nil {
			if src.Optional == nil || !*src.Optional {
				return fmt.Errorf("secret %q not found", src.SecretName)
			}
			sec = &types.Secret{}
		}
		data := map[string][]byte{}
		for k, b := range sec.Data {
			data[k] = b
		}
		for k, s := range sec.StringData {
			data[k] = []byte(s)
		}
		payload, err := project(data, src.Items, src.DefaultMode, src.Optional, "secret "+src.SecretName)
		if err != nil {
			return err
		}
		return v.write(vol.Name, dir, payload)
	case vol.DownwardAPI != nil:
		payload := map[string]fileData{}
		mode := int32(0o644)
		if vol.DownwardAPI.DefaultMode != nil {
			mode = *vol.DownwardAPI.DefaultMode
		}
		for _, it := range vol.DownwardAPI.Items {
			var val string
			var err error
			switch {
			case it.FieldRef != nil && it.FieldRef.FieldPath == "metadata.labels":
				val = formatMap(pod.Labels)
			case it.FieldRef != nil && it.FieldRef.FieldPath == "metadata.annotations":
				val = formatMap(pod.Annotations)
			case it.FieldRef != nil:
				val, err = runtime.PodField(pod, it.FieldRef.FieldPath, runtime.EnvOptions{HostIP: v.a.hostIP})
			case it.ResourceFieldRef != nil:
				c := findContainer(pod, it.ResourceFieldRef.ContainerName)
				if c == nil {
					return fmt.Errorf("item %q: container %q not found", it.Path, it.ResourceFieldRef.ContainerName)
				}
				val, err = runtime.ResourceField(pod, c, *it.ResourceFieldRef, v.a.allocatable)
			default:
				return fmt.Errorf("item %q has no fieldRef or resourceFieldRef", it.Path)
			}
			if err != nil {
				return fmt.Errorf("item %q: %v", it.Path, err)
			}
			m := mode
			if it.Mode != nil {
				m = *it.Mode
			}
			payload[it.Path] = fileData{data: []byte(val), mode: fs.FileMode(m) & 0o777}
		}
		return v.write(vol.Name, dir, payload)
	default:
		return fmt.Errorf("unsupported volume source")
	}
	return nil
}

// formatMap writes labels or annotations as the downward API does: one
// key="value" per line (value quoted as Go does), sorted by key.
func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + "=" + strconv.Quote(m[k])
	}
	return strings.Join(lines, "\n")
}

func findContainer(pod *types.Pod, name string) *types.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name || name == "" {
			return &pod.Spec.Containers[i]
		}
	}
	return nil
}

// claimPath finds the host path of the volume bound to a claim.
func (v *podVolumes) claimPath(ctx context.Context, namespace, claim string) (string, error) {
	pvc, err := store.For[*types.PersistentVolumeClaim](v.a.st).Get(ctx, namespace, claim)
	if err != nil {
		return "", fmt.Errorf("persistentvolumeclaim %q: %v", claim, err)
	}
	if pvc.Spec.VolumeName == "" {
		return "", fmt.Errorf("persistentvolumeclaim %q is not bound", claim)
	}
	pv, err := store.For[*types.PersistentVolume](v.a.st).Get(ctx, "", pvc.Spec.VolumeName)
	if err != nil {
		return "", fmt.Errorf("persistentvolume %q: %v", pvc.Spec.VolumeName, err)
	}
	switch {
	case pv.Spec.HostPath != nil:
		if err := checkHostPath(pv.Spec.HostPath); err != nil {
			return "", fmt.Errorf("persistentvolume %q: %v", pv.Name, err)
		}
		return pv.Spec.HostPath.Path, nil
	case pv.Spec.Local != nil:
		if _, err := os.Stat(pv.Spec.Local.Path); err != nil {
			return "", fmt.Errorf("persistentvolume %q: local path: %v", pv.Name, err)
		}
		return pv.Spec.Local.Path, nil
	}
	return "", fmt.Errorf("persistentvolume %q has no hostPath or local source this node can mount", pv.Name)
}

// checkHostPath checks (and for the ...OrCreate types makes) a hostPath.
func checkHostPath(h *types.HostPathVolumeSource) error {
	if !filepath.IsAbs(h.Path) {
		return fmt.Errorf("hostPath %q is not absolute", h.Path)
	}
	t := types.HostPathUnset
	if h.Type != nil {
		t = *h.Type
	}
	fi, err := os.Stat(h.Path)
	switch t {
	case types.HostPathUnset:
		return nil
	case types.HostPathDirectoryOrCreate:
		if errors.Is(err, fs.ErrNotExist) {
			return os.MkdirAll(h.Path, 0o755)
		}
		if err == nil && !fi.IsDir() {
			return fmt.Errorf("hostPath %q exists and is not a directory", h.Path)
		}
		return err
	case types.HostPathFileOrCreate:
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(h.Path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(h.Path, os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			return f.Close()
		}
		if err == nil && !fi.Mode().IsRegular() {
			return fmt.Errorf("hostPath %q exists and is not a file", h.Path)
		}
		return err
	}
	if err != nil {
		return fmt.Errorf("hostPath %q of type %s: %v", h.Path, t, err)
	}
	var ok bool
	switch t {
	case types.HostPathDirectory:
		ok = fi.IsDir()
	case types.HostPathFile:
		ok = fi.Mode().IsRegular()
	case types.HostPathSocket:
		ok = fi.Mode()&fs.ModeSocket != 0
	case types.HostPathCharDev:
		ok = fi.Mode()&fs.ModeCharDevice != 0
	case types.HostPathBlockDev:
		ok = fi.Mode()&fs.ModeDevice != 0 && fi.Mode()&fs.ModeCharDevice == 0
	default:
		return fmt.Errorf("hostPath %q: unknown type %q", h.Path, t)
	}
	if !ok {
		return fmt.Errorf("hostPath %q is not a %s", h.Path, t)
	}
	return nil
}

type fileData struct {
	data []byte
	mode fs.FileMode
}

// project turns keys into files: every key, or only items (key → path with
// an optional mode), with defaultMode (0644 when nil).
func project(data map[string][]byte, items []types.KeyToPath, defaultMode *int32, optional *bool, what string) (map[string]fileData, error) {
	mode := fs.FileMode(0o644)
	if defaultMode != nil {
		mode = fs.FileMode(*defaultMode) & 0o777
	}
	out := map[string]fileData{}
	if len(items) == 0 {
		for k, b := range data {
			out[k] = fileData{data: b, mode: mode}
		}
		return out, nil
	}
	for _, it := range items {
		b, ok := data[it.Key]
		if !ok {
			if optional != nil && *optional {
				continue
			}
			return nil, fmt.Errorf("%s has no key %q", what, it.Key)
		}
		m := mode
		if it.Mode != nil {
			m = fs.FileMode(*it.Mode) & 0o777
		}
		out[it.Path] = fileData{data: b, mode: m}
	}
	return out, nil
}

// write projects payload into dir atomically, as the kubelet's atomic
// writer does: the files go into a new hidden directory "..<n>", a
// "..data" symlink is swapped to it with a rename, and each top-level name is
// a symlink through "..data". A reader sees the old files or the new ones,
// never a mix.
func (v *podVolumes) write(name, dir string, payload map[string]fileData) error {
	h := payloadHash(payload)
	if old, ok := v.hashes[name]; ok && old == h {
		return nil
	}
	if err := writeAtomic(dir, payload); err != nil {
		return err
	}
	v.hashes[name] = h
	v.paths[name] = dir
	return nil
}

func payloadHash(payload map[string]fileData) [32]byte {
	keys := make([]string, 0, len(payload))
	for k := range payload {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	hh := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(hh, "%q %o %d\n", k, payload[k].mode, len(payload[k].data))
		hh.Write(payload[k].data)
	}
	var out [32]byte
	copy(out[:], hh.Sum(nil))
	return out
}

// validPayloadPath rejects absolute paths, ".." elements and names starting
// with "..", which the writer uses itself.
func validPayloadPath(p string) error {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "..") {
		return fmt.Errorf("invalid path %q", p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." || el == "" || el == "." {
			return fmt.Errorf("invalid path %q", p)
		}
	}
	return nil
}

func writeAtomic(dir string, payload map[string]fileData) error {
	for p := range payload {
		if err := validPayloadPath(p); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tsDir, err := os.MkdirTemp(dir, "..data_")
	if err != nil {
		return err
	}
	_ = os.Chmod(tsDir, 0o755)
	for p, f := range payload {
		full := filepath.Join(tsDir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, f.data, f.mode); err != nil {
			return err
		}
		_ = os.Chmod(full, f.mode)
	}
	dataLink := filepath.Join(dir, "..data")
	oldTarget, _ := os.Readlink(dataLink)
	tmpLink := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmpLink)
	if err := os.Symlink(filepath.Base(tsDir), tmpLink); err != nil {
		return err
	}
	if err := os.Rename(tmpLink, dataLink); err != nil {
		return err
	}
	// Top-level names point through ..data.
	top := map[string]bool{}
	for p := range payload {
		top[strings.SplitN(p, "/", 2)[0]] = true
	}
	for t := range top {
		link := filepath.Join(dir, t)
		if target, err := os.Readlink(link); err == nil && target == filepath.Join("..data", t) {
			continue
		}
		_ = os.RemoveAll(link)
		if err := os.Symlink(filepath.Join("..data", t), link); err != nil {
			return err
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		switch {
		case n == "..data":
		case strings.HasPrefix(n, ".."):
			if n != filepath.Base(tsDir) && (oldTarget == "" || n == oldTarget || strings.HasPrefix(n, "..data_")) {
				_ = os.RemoveAll(filepath.Join(dir, n))
			}
		case !top[n]:
			_ = os.RemoveAll(filepath.Join(dir, n))
		}
	}
	return nil
}

// mounts returns container c's volume mounts as host paths.
func (v *podVolumes) mounts(c *types.Container) ([]runtime.Mount, error) {
	var out []runtime.Mount
	for _, m := range c.VolumeMounts {
		p, ok := v.paths[m.Name]
		if !ok {
			return nil, fmt.Errorf("volume mount %q: no volume of that name is set up", m.Name)
		}
		if m.SubPath != "" {
			if err := validPayloadPath(m.SubPath); err != nil {
				return nil, fmt.Errorf("volume mount %q: subPath: %v", m.Name, err)
			}
			p = filepath.Join(p, m.SubPath)
			if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
				_ = os.MkdirAll(p, 0o755)
			}
		}
		out = append(out, runtime.Mount{HostPath: p, ContainerPath: m.MountPath, ReadOnly: m.ReadOnly})
	}
	return out, nil
}

// teardown unmounts and removes the pod's directory.
func (v *podVolumes) teardown() {
	for _, d := range slices.Backward(v.tmpfs) {
		_ = unmount(d)
	}
	v.tmpfs = nil
	_ = os.RemoveAll(v.dir)
}
