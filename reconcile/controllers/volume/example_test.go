package volume_test

import (
	"fmt"

	"github.com/coxswain/coxswain/reconcile/controllers/volume"
	"github.com/coxswain/coxswain/types"
)

func ExampleBestMatch() {
	vol := func(name, size string) *types.PersistentVolume {
		v := &types.PersistentVolume{ObjectMeta: types.ObjectMeta{Name: name}}
		v.Spec.Capacity = types.ResourceList{types.ResourceStorage: types.MustParseQuantity(size)}
		v.Spec.AccessModes = []types.PersistentVolumeAccessMode{types.ReadWriteOnce}
		return v
	}
	vols := []*types.PersistentVolume{vol("big", "100Gi"), vol("small", "1Gi"), vol("medium", "10Gi")}
	claim := &types.PersistentVolumeClaim{ObjectMeta: types.ObjectMeta{Name: "data", Namespace: "default"}}
	claim.Spec.AccessModes = []types.PersistentVolumeAccessMode{types.ReadWriteOnce}
	claim.Spec.Resources.Requests = types.ResourceList{types.ResourceStorage: types.MustParseQuantity("5Gi")}
	fmt.Println(volume.BestMatch(claim, vols, volume.ClassOf(claim, "")).Name)
	// Output: medium
}
