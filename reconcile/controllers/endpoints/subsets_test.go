package endpoints

import (
	"testing"

	"github.com/coxswain/coxswain/types"
	"github.com/google/go-cmp/cmp"
)

func pod(name, ip string, ready bool, ports ...types.ContainerPort) *types.Pod {
	p := &types.Pod{
		ObjectMeta: types.ObjectMeta{Name: name, Namespace: "ns", UID: "uid-" + name, Labels: map[string]string{"app": "a"}},
		Spec:       types.PodSpec{NodeName: "n1", Containers: []types.Container{{Name: "c", Ports: ports}}},
		Status:     types.PodStatus{Phase: types.PodRunning, PodIP: ip},
	}
	st := types.ConditionFalse
	if ready {
		st = types.ConditionTrue
	}
	p.Status.Conditions = []types.PodCondition{{Type: types.PodReady, Status: st}}
	return p
}

func addr(p *types.Pod) types.EndpointAddress {
	n := p.Spec.NodeName
	return types.EndpointAddress{IP: p.Status.PodIP, NodeName: &n,
		TargetRef: &types.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}}
}

func TestSubsets(t *testing.T) {
	http := types.ServicePort{Name: "http", Port: 80, TargetPort: types.FromString("http")}
	svc := &types.Service{ObjectMeta: types.ObjectMeta{Name: "s", Namespace: "ns"},
		Spec: types.ServiceSpec{Selector: map[string]string{"app": "a"}, Ports: []types.ServicePort{http}}}
	p8080 := types.ContainerPort{Name: "http", ContainerPort: 8080}
	p9090 := types.ContainerPort{Name: "http", ContainerPort: 9090}
	ready1, ready2 := pod("a", "10.0.0.1", true, p8080), pod("b", "10.0.0.2", true, p8080)
	unready := pod("c", "10.0.0.3", false, p8080)
	other := pod("d", "10.0.0.4", true, p9090)
	noIP := pod("e", "", true, p8080)
	noPort := pod("f", "10.0.0.6", true)
	terminating := pod("g", "10.0.0.7", true, p8080)
	terminating.DeletionTimestamp = &types.Time{}
	failed := pod("h", "10.0.0.8", true, p8080)
	failed.Status.Phase = types.PodFailed
	port := func(n int32) []types.EndpointPort {
		return []types.EndpointPort{{Name: "http", Port: n, Protocol: types.ProtocolTCP}}
	}

	publish := svc.DeepCopy()
	publish.Spec.PublishNotReadyAddresses = true
	headless := svc.DeepCopy()
	headless.Spec.ClusterIP = types.ClusterIPNone
	hosted := pod("web-0", "10.0.0.9", true, p8080)
	hosted.Spec.Hostname, hosted.Spec.Subdomain = "web-0", "s"
	hostedAddr := addr(hosted)
	hostedAddr.Hostname = "web-0"

	for _, tc := range []struct {
		name string
		svc  *types.Service
		pods []*types.Pod
		want []types.EndpointSubset
	}{
		{"ready and not ready apart", svc, []*types.Pod{ready2, unready, ready1},
			[]types.EndpointSubset{{Addresses: []types.EndpointAddress{addr(ready1), addr(ready2)}, NotReadyAddresses: []types.EndpointAddress{addr(unready)}, Ports: port(8080)}}},
		{"publishNotReadyAddresses", publish, []*types.Pod{unready},
			[]types.EndpointSubset{{Addresses: []types.EndpointAddress{addr(unready)}, Ports: port(8080)}}},
		{"named port numbered differently: two subsets", svc, []*types.Pod{ready1, other},
			[]types.EndpointSubset{{Addresses: []types.EndpointAddress{addr(ready1)}, Ports: port(8080)}, {Addresses: []types.EndpointAddress{addr(other)}, Ports: port(9090)}}},
		{"no IP, no such port, terminating, finished: left out", svc, []*types.Pod{noIP, noPort, terminating, failed}, nil},
		{"headless service: hostname when subdomain matches", headless, []*types.Pod{hosted, ready1},
			[]types.EndpointSubset{{Addresses: []types.EndpointAddress{addr(ready1), hostedAddr}, Ports: port(8080)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Subsets(tc.svc, tc.pods)); diff != "" {
				t.Errorf("Subsets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindPort(t *testing.T) {
	p := pod("a", "1.1.1.1", true, types.ContainerPort{Name: "dns", ContainerPort: 53, Protocol: types.ProtocolUDP})
	for _, tc := range []struct {
		name string
		sp   types.ServicePort
		want int32
		ok   bool
	}{
		{"number", types.ServicePort{Port: 80, TargetPort: types.FromInt32(8080)}, 8080, true},
		{"zero is the service port", types.ServicePort{Port: 80}, 80, true},
		{"name and protocol", types.ServicePort{Port: 53, Protocol: types.ProtocolUDP, TargetPort: types.FromString("dns")}, 53, true},
		{"name with another protocol", types.ServicePort{Port: 53, TargetPort: types.FromString("dns")}, 0, false},
		{"unknown name", types.ServicePort{Port: 53, TargetPort: types.FromString("nope")}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FindPort(p, &tc.sp)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("FindPort = %d, %v; want %d, ok %v", got, err, tc.want, tc.ok)
			}
		})
	}
}
