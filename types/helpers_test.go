package types

import (
	"testing"
)

func TestPodRequests(t *testing.T) {
	p := &Pod{Spec: PodSpec{
		Containers: []Container{
			{Resources: ResourceRequirements{Requests: ResourceList{ResourceCPU: MustParseQuantity("250m"), ResourceMemory: MustParseQuantity("64Mi")}}},
			{Resources: ResourceRequirements{Requests: ResourceList{ResourceCPU: MustParseQuantity("250m")}}},
		},
		InitContainers: []Container{
			{Resources: ResourceRequirements{Requests: ResourceList{ResourceCPU: MustParseQuantity("1")}}},
			{Resources: ResourceRequirements{Limits: ResourceList{ResourceMemory: MustParseQuantity("32Mi")}}},
		},
	}}
	r := PodRequests(p)
	if got := r.CPU().MilliValue(); got != 1000 {
		t.Errorf("cpu = %dm, want the init container's 1000m", got)
	}
	if got := r.Memory().Value(); got != 64<<20 {
		t.Errorf("memory = %d, want the containers' 64Mi", got)
	}
}

func TestPodQOS(t *testing.T) {
	rl := func(cpu, mem string) ResourceList {
		l := ResourceList{}
		if cpu != "" {
			l[ResourceCPU] = MustParseQuantity(cpu)
		}
		if mem != "" {
			l[ResourceMemory] = MustParseQuantity(mem)
		}
		return l
	}
	tests := []struct {
		name     string
		req, lim ResourceList
		want     PodQOSClass
	}{
		{"best effort", nil, nil, PodQOSBestEffort},
		{"guaranteed", rl("1", "1Gi"), rl("1", "1Gi"), PodQOSGuaranteed},
		{"burstable", rl("500m", ""), rl("1", "1Gi"), PodQOSBurstable},
		{"limits only cpu", nil, rl("1", ""), PodQOSBurstable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Pod{Spec: PodSpec{Containers: []Container{{Resources: ResourceRequirements{Requests: tt.req, Limits: tt.lim}}}}}
			Default(p)
			if got := PodQOS(p); got != tt.want {
				t.Errorf("PodQOS = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestControllerRef(t *testing.T) {
	rs := &ReplicaSet{ObjectMeta: ObjectMeta{Name: "rs", UID: "u1"}}
	ref := NewControllerRef(rs)
	if ref.APIVersion != "apps/v1" || ref.Kind != "ReplicaSet" || ref.Name != "rs" || ref.UID != "u1" || !*ref.Controller || !*ref.BlockOwnerDeletion {
		t.Fatalf("ref = %+v", ref)
	}
	p := &Pod{}
	if ControllerOf(p) != nil {
		t.Fatal("controller of an orphan")
	}
	f := false
	p.OwnerReferences = []OwnerReference{{Name: "x", Controller: &f}, ref}
	if c := ControllerOf(p); c == nil || c.UID != "u1" || !IsControlledBy(p, rs) {
		t.Fatalf("ControllerOf = %+v", c)
	}
}

func TestPodStatusHelpers(t *testing.T) {
	p := &Pod{}
	if IsPodReady(p) || p.IsTerminal() {
		t.Fatal("empty pod ready or terminal")
	}
	p.Status.Conditions = []PodCondition{{Type: PodReady, Status: ConditionTrue}}
	p.Status.Phase = PodSucceeded
	if !IsPodReady(p) || !p.IsTerminal() {
		t.Fatal("ready succeeded pod not seen")
	}
	n := &Node{Status: NodeStatus{Conditions: []NodeCondition{{Type: NodeReady, Status: ConditionFalse}}}}
	if IsNodeReady(n) {
		t.Fatal("NotReady node is ready")
	}
}

func TestIntOrString(t *testing.T) {
	tests := []struct {
		v       IntOrString
		total   int
		up      bool
		want    int
		wantErr bool
	}{
		{FromInt32(3), 10, false, 3, false},
		{FromString("25%"), 10, true, 3, false},
		{FromString("25%"), 10, false, 2, false},
		{FromString("abc"), 10, false, 0, true},
	}
	for _, tt := range tests {
		got, err := tt.v.ScaledValue(tt.total, tt.up)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%v.ScaledValue(%d, %v) = %d, %v", tt.v, tt.total, tt.up, got, err)
		}
	}
	if ParseIntOrString("80").Type != Int || ParseIntOrString("http").Type != String {
		t.Error("ParseIntOrString")
	}
}

func TestScheme(t *testing.T) {
	s := NewScheme()
	tests := []struct {
		group, resource, kind string
	}{
		{"", "po", "Pod"}, {"", "svc", "Service"}, {"apps", "deploy", "Deployment"}, {"apps", "rs", "ReplicaSet"},
		{"apps", "sts", "StatefulSet"}, {"apps", "ds", "DaemonSet"}, {"", "cm", "ConfigMap"}, {"", "ns", "Namespace"},
		{"", "no", "Node"}, {"", "ep", "Endpoints"}, {"", "rc", "ReplicationController"}, {"", "pv", "PersistentVolume"},
		{"", "pvc", "PersistentVolumeClaim"}, {"autoscaling", "hpa", "HorizontalPodAutoscaler"}, {"batch", "cj", "CronJob"},
		{"", "quota", "ResourceQuota"}, {"", "ev", "Event"}, {"storage.k8s.io", "sc", "StorageClass"},
		{"coordination.k8s.io", "leases", "Lease"}, {"rbac.authorization.k8s.io", "clusterrolebindings", "ClusterRoleBinding"},
	}
	for _, tt := range tests {
		k, ok := s.LookupResource(tt.group, tt.resource)
		if !ok || k.Kind != tt.kind {
			t.Errorf("LookupResource(%q, %q) = %v, %v", tt.group, tt.resource, k.Kind, ok)
		}
	}
	for _, k := range []string{"Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"} {
		info, _ := s.Lookup(k)
		if !contains(info.Subresources, "scale") {
			t.Errorf("%s lacks scale", k)
		}
	}
	if !s.Accepts("autoscaling/v1", "HorizontalPodAutoscaler") || !s.Accepts("autoscaling/v2", "HorizontalPodAutoscaler") {
		t.Error("HPA versions")
	}
	if n, _ := s.Lookup("Node"); n.Namespaced {
		t.Error("Node is namespaced")
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
