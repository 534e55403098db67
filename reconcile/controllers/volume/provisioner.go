package volume

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Well-known names.
const (
	// HostPathProvisionerName is StorageClass.provisioner for HostPath.
	HostPathProvisionerName = "coxswain.io/hostpath"
	// DefaultClassAnnotation marks the StorageClass of claims that name none.
	DefaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"
	// ProvisionedByAnnotation records on a PersistentVolume who made it.
	ProvisionedByAnnotation = "pv.kubernetes.io/provisioned-by"
	// SelectedNodeAnnotation is set on a claim by the scheduler for
	// WaitForFirstConsumer classes: the node its first pod goes to.
	SelectedNodeAnnotation = "volume.kubernetes.io/selected-node"
)

// Provisioner creates volumes for claims of a StorageClass, and deletes
// them when a volume with reclaim policy Delete is released.
type Provisioner interface {
	// Provision creates storage for claim and returns its volume (not yet
	// stored; the controller names it, binds and stores it).
	Provision(ctx context.Context, claim *types.PersistentVolumeClaim, class *types.StorageClass) (*types.PersistentVolume, error)
	// Delete frees the storage of pv.
	Delete(ctx context.Context, pv *types.PersistentVolume) error
}

// HostPath provisions directories under Root on the local machine. The
// directories live on one machine: set Node to that machine's node name so
// each volume gets a node affinity to it and the scheduler sends its pods
// there (a claim's SelectedNodeAnnotation, when present, wins). A cluster of
// several nodes needs a HostPath per node, or shared storage mounted at the
// same Root on every node.
type HostPath struct {
	// Root is the directory volumes are created in.
	Root string
	// Node is the node the directories are on; "" means no node affinity.
	Node string
}

var _ Provisioner = (*HostPath)(nil)

// Provision creates Root/<volume name> for claim.
func (h *HostPath) Provision(_ context.Context, claim *types.PersistentVolumeClaim, class *types.StorageClass) (*types.PersistentVolume, error) {
	if h.Root == "" {
		return nil, fmt.Errorf("hostpath provisioner: Root is empty")
	}
	name := "pvc-" + claim.UID
	dir := filepath.Join(h.Root, name)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("hostpath provisioner: %w", err)
	}
	pv := &types.PersistentVolume{ObjectMeta: types.ObjectMeta{Name: name}}
	pv.Spec.Capacity = types.ResourceList{types.ResourceStorage: claim.Spec.Resources.Requests[types.ResourceStorage]}
	pv.Spec.AccessModes = append([]types.PersistentVolumeAccessMode(nil), claim.Spec.AccessModes...)
	pv.Spec.HostPath = &types.HostPathVolumeSource{Path: dir}
	node := h.Node
	if n := claim.Annotations[SelectedNodeAnnotation]; n != "" {
		node = n
	}
	if node != "" {
		pv.Spec.NodeAffinity = &types.VolumeNodeAffinity{Required: &types.NodeSelector{NodeSelectorTerms: []types.NodeSelectorTerm{{
			MatchExpressions: []types.NodeSelectorRequirement{{Key: types.LabelHostname, Operator: types.NodeSelectorOpIn, Values: []string{node}}}}}}}
	}
	return pv, nil
}

// Delete removes the volume's directory, only if it is under Root.
func (h *HostPath) Delete(_ context.Context, pv *types.PersistentVolume) error {
	if pv.Spec.HostPath == nil {
		return fmt.Errorf("hostpath provisioner: volume %s is not a hostPath volume", pv.Name)
	}
	p := filepath.Clean(pv.Spec.HostPath.Path)
	root := filepath.Clean(h.Root)
	if h.Root == "" || !strings.HasPrefix(p, root+string(filepath.Separator)) {
		return fmt.Errorf("hostpath provisioner: volume %s path %q is not under %q", pv.Name, p, root)
	}
	if err := os.RemoveAll(p); err != nil {
		return fmt.Errorf("hostpath provisioner: %w", err)
	}
	return nil
}

// DefaultStorageClass is a StorageClass "standard", marked default,
// provisioned by HostPathProvisionerName with reclaim policy Delete and
// immediate binding, so StatefulSet claims work out of the box.
func DefaultStorageClass() *types.StorageClass {
	del := types.PersistentVolumeReclaimDelete
	imm := types.VolumeBindingImmediate
	return &types.StorageClass{
		ObjectMeta:        types.ObjectMeta{Name: "standard", Annotations: map[string]string{DefaultClassAnnotation: "true"}},
		Provisioner:       HostPathProvisionerName,
		ReclaimPolicy:     &del,
		VolumeBindingMode: &imm,
	}
}

// EnsureDefaultStorageClass stores DefaultStorageClass unless some class is
// already marked default.
func EnsureDefaultStorageClass(ctx context.Context, st store.Store) error {
	classes, _, _, err := store.For[*types.StorageClass](st).List(ctx, store.ListOptions{})
	if err != nil {
		return fmt.Errorf("list storage classes: %w", err)
	}
	for _, c := range classes {
		if c.Annotations[DefaultClassAnnotation] == "true" {
			return nil
		}
	}
	if _, err := st.Create(ctx, DefaultStorageClass()); err != nil && !store.IsAlreadyExists(err) {
		return fmt.Errorf("create default storage class: %w", err)
	}
	return nil
}
