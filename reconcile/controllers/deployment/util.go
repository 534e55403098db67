package deployment

import (
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/coxswain/coxswain/types"
)

// Annotations the controller reads and writes, as Kubernetes names them.
const (
	AnnotationRevision        = types.AnnotationRevision
	AnnotationDesiredReplicas = "deployment.kubernetes.io/desired-replicas"
	AnnotationMaxReplicas     = "deployment.kubernetes.io/max-replicas"
	AnnotationChangeCause     = "kubernetes.io/change-cause"
	// LabelPodTemplateHash is the label that tells the ReplicaSets of one
	// Deployment apart.
	LabelPodTemplateHash = types.DefaultDeploymentUniqueLabelKey
)

// Reasons of the Progressing and Available conditions.
const (
	ReasonNewRSCreated       = "NewReplicaSetCreated"
	ReasonFoundNewRS         = "FoundNewReplicaSet"
	ReasonRSUpdated          = "ReplicaSetUpdated"
	ReasonNewRSAvailable     = "NewReplicaSetAvailable"
	ReasonTimedOut           = "ProgressDeadlineExceeded"
	ReasonPaused             = "DeploymentPaused"
	ReasonResumed            = "DeploymentResumed"
	ReasonMinimumAvailable   = "MinimumReplicasAvailable"
	ReasonMinimumUnavailable = "MinimumReplicasUnavailable"
)

// annotations a ReplicaSet does not copy from its Deployment.
var skipAnnotations = map[string]bool{
	AnnotationRevision:                                 true,
	AnnotationDesiredReplicas:                          true,
	AnnotationMaxReplicas:                              true,
	"kubectl.kubernetes.io/last-applied-configuration": true,
	"deployment.kubernetes.io/revision-history":        true,
}

const safeAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// ComputeHash returns the pod-template-hash of a template: the FNV-32a hash
// of its JSON encoding, and of collisionCount when set, written in the
// alphabet Kubernetes uses for generated names (no vowels, no 0/1/3).
func ComputeHash(t *types.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	b, _ := json.Marshal(t) // a PodTemplateSpec always encodes
	h.Write(b)
	if collisionCount != nil {
		var c [4]byte
		binary.LittleEndian.PutUint32(c[:], uint32(*collisionCount))
		h.Write(c[:])
	}
	s := strconv.FormatUint(uint64(h.Sum32()), 10)
	out := make([]byte, len(s))
	for i := range len(s) {
		out[i] = safeAlphabet[int(s[i])%len(safeAlphabet)]
	}
	return string(out)
}

// equalIgnoreHash reports whether two templates are equal apart from the
// pod-template-hash label.
func equalIgnoreHash(a, b *types.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, LabelPodTemplateHash)
	delete(b.Labels, LabelPodTemplateHash)
	if len(a.Labels) == 0 {
		a.Labels = nil
	}
	if len(b.Labels) == 0 {
		b.Labels = nil
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

func rsReplicas(rs *types.ReplicaSet) int32 { return replicas(rs.Spec.Replicas) }

// Revision returns the revision recorded on obj (0 when none).
func Revision(obj types.Object) int64 {
	v, err := strconv.ParseInt(obj.GetObjectMeta().Annotations[AnnotationRevision], 10, 64)
	if err != nil {
		return 0
	}
	return v
}

func maxRevision(rss []*types.ReplicaSet) int64 {
	var m int64
	for _, rs := range rss {
		m = max(m, Revision(rs))
	}
	return m
}

func intAnnotation(rs *types.ReplicaSet, key string) (int32, bool) {
	v, ok := rs.Annotations[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

func isRolling(d *types.Deployment) bool {
	return d.Spec.Strategy.Type != types.RecreateDeploymentStrategyType
}

// ResolveFenceposts resolves maxSurge and maxUnavailable against desired:
// surge rounds up, unavailability down, and when both are zero the
// unavailability is 1.
func ResolveFenceposts(maxSurge, maxUnavailable *types.IntOrString, desired int32) (surge, unavailable int32, err error) {
	zero := types.FromInt32(0)
	if maxSurge == nil {
		maxSurge = &zero
	}
	if maxUnavailable == nil {
		maxUnavailable = &zero
	}
	s, err := maxSurge.ScaledValue(int(desired), true)
	if err != nil {
		return 0, 0, err
	}
	u, err := maxUnavailable.ScaledValue(int(desired), false)
	if err != nil {
		return 0, 0, err
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u), nil
}

func fenceposts(d *types.Deployment) (int32, int32) {
	ru := d.Spec.Strategy.RollingUpdate
	if ru == nil {
		ru = &types.RollingUpdateDeployment{}
		p := types.FromString("25%")
		ru.MaxSurge, ru.MaxUnavailable = &p, &p
	}
	s, u, err := ResolveFenceposts(ru.MaxSurge, ru.MaxUnavailable, replicas(d.Spec.Replicas))
	if err != nil {
		return 0, 1
	}
	return s, u
}

func maxSurge(d *types.Deployment) int32 {
	if !isRolling(d) {
		return 0
	}
	s, _ := fenceposts(d)
	return s
}

func maxUnavailable(d *types.Deployment) int32 {
	r := replicas(d.Spec.Replicas)
	if !isRolling(d) || r == 0 {
		return 0
	}
	_, u := fenceposts(d)
	return min(u, r)
}

func sumSpec(rss []*types.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rsReplicas(rs)
		}
	}
	return n
}

// sumPods counts the pods the ReplicaSets may have: the larger of spec and
// observed status for each, so a pod not yet deleted still counts.
func sumPods(rss []*types.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += max(rsReplicas(rs), rs.Status.Replicas)
		}
	}
	return n
}

func sumStatus(rss []*types.ReplicaSet, f func(*types.ReplicaSetStatus) int32) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += f(&rs.Status)
		}
	}
	return n
}

func filterActive(rss []*types.ReplicaSet) []*types.ReplicaSet {
	var out []*types.ReplicaSet
	for _, rs := range rss {
		if rs != nil && rsReplicas(rs) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// byCreation sorts oldest first (ties by name).
func byCreation(rss []*types.ReplicaSet) {
	sort.SliceStable(rss, func(i, j int) bool {
		a, b := rss[i].CreationTimestamp.Time, rss[j].CreationTimestamp.Time
		if !a.Equal(b) {
			return a.Before(b)
		}
		return rss[i].Name < rss[j].Name
	})
}

// bySizeNewer sorts largest first, newer first on ties.
func bySizeNewer(rss []*types.ReplicaSet) {
	sort.SliceStable(rss, func(i, j int) bool {
		if a, b := rsReplicas(rss[i]), rsReplicas(rss[j]); a != b {
			return a > b
		}
		return rss[i].CreationTimestamp.After(rss[j].CreationTimestamp.Time)
	})
}

// bySizeOlder sorts largest first, older first on ties.
func bySizeOlder(rss []*types.ReplicaSet) {
	sort.SliceStable(rss, func(i, j int) bool {
		if a, b := rsReplicas(rss[i]), rsReplicas(rss[j]); a != b {
			return a > b
		}
		return rss[i].CreationTimestamp.Before(rss[j].CreationTimestamp.Time)
	})
}

func condition(s *types.DeploymentStatus, t types.DeploymentConditionType) *types.DeploymentCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

func newCondition(t types.DeploymentConditionType, st types.ConditionStatus, reason, msg string, now time.Time) types.DeploymentCondition {
	tm := types.NewTime(now)
	return types.DeploymentCondition{Type: t, Status: st, Reason: reason, Message: msg, LastUpdateTime: tm, LastTransitionTime: tm}
}

// setCondition sets c, keeping the transition time when the status is
// unchanged and doing nothing when status and reason are unchanged.
func setCondition(s *types.DeploymentStatus, c types.DeploymentCondition) {
	cur := condition(s, c.Type)
	if cur != nil && cur.Status == c.Status && cur.Reason == c.Reason {
		return
	}
	if cur != nil && cur.Status == c.Status {
		c.LastTransitionTime = cur.LastTransitionTime
	}
	removeCondition(s, c.Type)
	s.Conditions = append(s.Conditions, c)
}

func removeCondition(s *types.DeploymentStatus, t types.DeploymentConditionType) {
	out := s.Conditions[:0:0]
	for _, c := range s.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	s.Conditions = out
}

func roundHalfAway(f float64) int32 { return int32(math.Round(f)) }
