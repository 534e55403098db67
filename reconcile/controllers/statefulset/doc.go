// Package statefulset is the StatefulSet controller: pods with stable names,
// hostnames and storage, as Kubernetes' StatefulSet controller runs them.
//
// A StatefulSet of n replicas owns the pods "<set>-0" … "<set>-(n-1)"
// (from spec.ordinals.start when set). Each pod's hostname is its name and
// its subdomain spec.serviceName (the headless Service), and it carries the
// labels statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index
// and controller-revision-hash.
//
// # Ordering
//
// With podManagementPolicy OrderedReady (the default) the controller creates
// one pod at a time in ordinal order, waiting for each to be Running and
// Ready before the next, and removes pods on scale-down from the highest
// ordinal, one at a time, only while the remaining pods are healthy. With
// Parallel it creates and deletes all at once.
//
// # Storage
//
// Each entry of volumeClaimTemplates gives every ordinal its own
// PersistentVolumeClaim "<template>-<set>-<ordinal>", created before the pod
// and mounted in place of the template volume of the same name. Claims are
// kept when pods or the set are deleted, so a pod that comes back gets its
// data back, unless persistentVolumeClaimRetentionPolicy says Delete:
// whenDeleted=Delete gives each claim an ownerReference to the set (the
// garbage collector deletes it with the set) and whenScaled=Delete deletes
// a condemned ordinal's claims with its pod.
//
// # Updates
//
// Every template is stored as a ControllerRevision "<set>-<hash>";
// status.updateRevision names the newest and status.currentRevision the one
// the set last fully ran. RollingUpdate replaces pods from the highest
// ordinal down to spec.updateStrategy.rollingUpdate.partition, one at a
// time, each after the previous is Ready; pods below the partition keep (and
// are re-created with) the current revision. A replaced pod keeps its name
// and its claims. OnDelete replaces a pod only when someone deletes it.
// revisionHistoryLimit (default 10) bounds the unused revisions kept.
//
// Pods are found through their controller ownerReference; orphans are not
// adopted.
package statefulset
