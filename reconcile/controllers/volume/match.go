package volume

import (
	"slices"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

// ClassOf returns the storage class a claim asks for: its
// storageClassName, or defaultClass when it names none (nil). An explicit
// "" asks for volumes without a class.
func ClassOf(c *types.PersistentVolumeClaim, defaultClass string) string {
	if c.Spec.StorageClassName == nil {
		return defaultClass
	}
	return *c.Spec.StorageClassName
}

// Matches reports whether volume pv can serve claim c of class class: not
// bound to another claim, the same class and volume mode, every access mode
// asked for, at least the storage requested, and the claim's selector.
func Matches(c *types.PersistentVolumeClaim, pv *types.PersistentVolume, class string) bool {
	if pv.DeletionTimestamp != nil || pv.Status.Phase == types.VolumeReleased || pv.Status.Phase == types.VolumeFailed {
		return false
	}
	if r := pv.Spec.ClaimRef; r != nil && !(r.Namespace == c.Namespace && r.Name == c.Name && (r.UID == "" || r.UID == c.UID)) {
		return false
	}
	if pv.Spec.StorageClassName != class {
		return false
	}
	mode := func(m *types.PersistentVolumeMode) types.PersistentVolumeMode {
		if m == nil {
			return types.PersistentVolumeFilesystem
		}
		return *m
	}
	if mode(pv.Spec.VolumeMode) != mode(c.Spec.VolumeMode) {
		return false
	}
	for _, m := range c.Spec.AccessModes {
		if !slices.Contains(pv.Spec.AccessModes, m) {
			return false
		}
	}
	want := c.Spec.Resources.Requests[types.ResourceStorage]
	have := pv.Spec.Capacity[types.ResourceStorage]
	if have.Cmp(want) < 0 {
		return false
	}
	if c.Spec.Selector != nil {
		sel, err := c.Spec.Selector.AsSelector()
		if err != nil || !sel.Matches(labels.Set(pv.Labels)) {
			return false
		}
	}
	return true
}

// BestMatch returns the volume for claim c: one pre-bound to it, else the
// smallest that Matches (ties broken by name), or nil.
func BestMatch(c *types.PersistentVolumeClaim, pvs []*types.PersistentVolume, class string) *types.PersistentVolume {
	var best *types.PersistentVolume
	for _, pv := range pvs {
		if !Matches(c, pv, class) {
			continue
		}
		if pv.Spec.ClaimRef != nil {
			return pv // pre-bound to this claim
		}
		if best == nil {
			best = pv
			continue
		}
		a, b := pv.Spec.Capacity[types.ResourceStorage], best.Spec.Capacity[types.ResourceStorage]
		if d := a.Cmp(b); d < 0 || d == 0 && pv.Name < best.Name {
			best = pv
		}
	}
	return best
}
