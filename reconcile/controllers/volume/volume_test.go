package volume

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func pv(name, size string, modes ...types.PersistentVolumeAccessMode) *types.PersistentVolume {
	v := &types.PersistentVolume{ObjectMeta: types.ObjectMeta{Name: name}}
	v.Spec.Capacity = types.ResourceList{types.ResourceStorage: types.MustParseQuantity(size)}
	v.Spec.AccessModes = modes
	v.Spec.HostPath = &types.HostPathVolumeSource{Path: "/data/" + name}
	v.Spec.PersistentVolumeReclaimPolicy = types.PersistentVolumeReclaimRetain
	return v
}

func pvc(name, size string, class *string, modes ...types.PersistentVolumeAccessMode) *types.PersistentVolumeClaim {
	c := &types.PersistentVolumeClaim{ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default"}}
	c.Spec.Resources.Requests = types.ResourceList{types.ResourceStorage: types.MustParseQuantity(size)}
	c.Spec.AccessModes = modes
	c.Spec.StorageClassName = class
	return c
}

func TestBestMatch(t *testing.T) {
	rwo, rwx := types.ReadWriteOnce, types.ReadWriteMany
	none := ""
	vols := []*types.PersistentVolume{pv("a-1g", "1Gi", rwo), pv("b-10g", "10Gi", rwo, rwx), pv("c-5g", "5Gi", rwo), pv("d-5g", "5Gi", rwo)}
	fast := pv("fast", "5Gi", rwo)
	fast.Spec.StorageClassName = "fast"
	labelled := pv("labelled", "20Gi", rwo)
	labelled.Labels = map[string]string{"tier": "gold"}
	vols = append(vols, fast, labelled)
	gold := pvc("c", "1Gi", &none, rwo)
	gold.Spec.Selector = &types.LabelSelector{MatchLabels: map[string]string{"tier": "gold"}}
	tests := []struct {
		name  string
		claim *types.PersistentVolumeClaim
		class string
		want  string
	}{
		{"smallest that fits", pvc("c", "2Gi", &none, rwo), "", "c-5g"},
		{"exact", pvc("c", "1Gi", &none, rwo), "", "a-1g"},
		{"access modes", pvc("c", "1Gi", &none, rwx), "", "b-10g"},
		{"class", pvc("c", "1Gi", nil, rwo), "fast", "fast"},
		{"selector", gold, "", "labelled"},
		{"too big", pvc("c", "100Gi", &none, rwo), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BestMatch(tt.claim, vols, ClassOf(tt.claim, tt.class))
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tt.want {
				t.Errorf("BestMatch = %q, want %q", name, tt.want)
			}
		})
	}
}

func setup(t *testing.T, cfg Config) *store.DB {
	t.Helper()
	st := testkit.Store(t, nil)
	f := testkit.Factory(t, st, nil)
	cfg.Logger = testkit.Quiet
	c, err := New(st, f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, c)
	return st
}

func claim(t *testing.T, st store.Store, name string) *types.PersistentVolumeClaim {
	t.Helper()
	c, err := store.For[*types.PersistentVolumeClaim](st).Get(context.Background(), "default", name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func volume(st store.Store, name string) (*types.PersistentVolume, error) {
	return store.For[*types.PersistentVolume](st).Get(context.Background(), "", name)
}

func TestStaticBindAndRetain(t *testing.T) {
	st := setup(t, Config{})
	ctx := context.Background()
	none := ""
	for _, v := range []*types.PersistentVolume{pv("small", "1Gi", types.ReadWriteOnce), pv("medium", "5Gi", types.ReadWriteOnce), pv("large", "50Gi", types.ReadWriteOnce)} {
		if _, err := st.Create(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if _, err := st.Create(ctx, pvc(fmt.Sprint("data-", i), "2Gi", &none, types.ReadWriteOnce)); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, "both bound", func() bool {
		return claim(t, st, "data-0").Status.Phase == types.ClaimBound && claim(t, st, "data-1").Status.Phase == types.ClaimBound
	})
	got := map[string]bool{claim(t, st, "data-0").Spec.VolumeName: true, claim(t, st, "data-1").Spec.VolumeName: true}
	if !got["medium"] || !got["large"] {
		t.Errorf("claims bound to %v, want medium and large (one-to-one, smallest first)", got)
	}
	testkit.Eventually(t, "volumes Bound, small Available", func() bool {
		m, _ := volume(st, "medium")
		s, _ := volume(st, "small")
		return m.Status.Phase == types.VolumeBound && m.Spec.ClaimRef != nil && s.Status.Phase == types.VolumeAvailable
	})
	// Deleting the claim releases the volume, which Retain keeps.
	name := claim(t, st, "data-0").Spec.VolumeName
	if err := store.For[*types.PersistentVolumeClaim](st).Delete(ctx, "default", "data-0"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "Released", func() bool {
		v, err := volume(st, name)
		return err == nil && v.Status.Phase == types.VolumeReleased
	})
	// A new claim does not take a Released volume.
	if _, err := st.Create(ctx, pvc("data-2", "2Gi", &none, types.ReadWriteOnce)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "data-2 pending", func() bool { return claim(t, st, "data-2").Status.Phase == types.ClaimPending })
}

func TestDynamicHostPath(t *testing.T) {
	root := t.TempDir()
	st := setup(t, Config{Provisioners: map[string]Provisioner{HostPathProvisionerName: &HostPath{Root: root, Node: "n1"}}})
	ctx := context.Background()
	if err := EnsureDefaultStorageClass(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, pvc("data", "1Gi", nil, types.ReadWriteOnce)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "bound", func() bool { return claim(t, st, "data").Status.Phase == types.ClaimBound })
	c := claim(t, st, "data")
	v, err := volume(st, c.Spec.VolumeName)
	if err != nil {
		t.Fatal(err)
	}
	if v.Spec.HostPath == nil || v.Spec.StorageClassName != "standard" || v.Annotations[ProvisionedByAnnotation] != HostPathProvisionerName ||
		v.Spec.NodeAffinity == nil || v.Spec.ClaimRef.UID != c.UID {
		t.Fatalf("provisioned volume %+v", v)
	}
	if _, err := os.Stat(v.Spec.HostPath.Path); err != nil {
		t.Fatalf("volume directory: %v", err)
	}
	// Reclaim policy Delete: the directory and the volume go with the claim.
	if err := store.For[*types.PersistentVolumeClaim](st).Delete(ctx, "default", "data"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "volume deleted", func() bool { _, err := volume(st, v.Name); return store.IsNotFound(err) })
	if _, err := os.Stat(v.Spec.HostPath.Path); !os.IsNotExist(err) {
		t.Errorf("directory still there: %v", err)
	}
}

func BenchmarkBestMatch(b *testing.B) {
	none := ""
	for _, n := range []int{100, 10000} {
		vols := make([]*types.PersistentVolume, n)
		for i := range vols {
			vols[i] = pv(fmt.Sprint("pv-", i), fmt.Sprintf("%dGi", 1+i%100), types.ReadWriteOnce)
		}
		c := pvc("c", "50Gi", &none, types.ReadWriteOnce)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if BestMatch(c, vols, "") == nil {
					b.Fatal("no match")
				}
			}
		})
	}
}
