// Package volume is the PersistentVolume controller: it binds claims to
// volumes, provisions volumes for storage classes and reclaims released
// ones, as Kubernetes' persistent volume binder does.
//
// A PersistentVolumeClaim binds one-to-one to an available volume of its
// storage class (its storageClassName, the default class when it names
// none, no class when it names ""), with every access mode it asks for, the
// same volume mode, at least its requested storage and matching its label
// selector; the smallest such volume wins (BestMatch). Binding sets the
// volume's spec.claimRef first (a compare-and-swap, so a volume is never
// given twice) and then the claim's spec.volumeName; the phases go
// Available → Bound for the volume and Pending → Bound for the claim.
// hostPath and local volumes are supported.
//
// When nothing fits and the class's provisioner is in Config.Provisioners,
// the controller asks it for a volume (for WaitForFirstConsumer classes
// once the claim has the volume.kubernetes.io/selected-node annotation),
// stores it pre-bound to the claim with the class's reclaim policy (default
// Delete) and binds it. HostPath provisions directories under a root on
// one machine ("coxswain.io/hostpath"); it gives each volume a node
// affinity to that node, so it only suits single-node clusters or a root
// shared by all nodes. DefaultStorageClass and EnsureDefaultStorageClass
// make it the default class, so StatefulSet claims work out of the box.
//
// When a bound claim is deleted its volume becomes Released. With reclaim
// policy Retain it stays so (an administrator reuses or deletes it); with
// Delete the provisioner that made it deletes the storage and the
// controller the volume (a volume no provisioner claims becomes Failed).
package volume
