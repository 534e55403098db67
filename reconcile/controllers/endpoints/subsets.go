package endpoints

import (
	"fmt"
	"sort"
	"strings"

	"github.com/coxswain/coxswain/types"
)

// Subsets computes the subsets of svc's Endpoints from the pods its
// selector picked. It is pure: the controller's decisions can be tested and
// reused (by a proxy or a simulation) without a store.
func Subsets(svc *types.Service, pods []*types.Pod) []types.EndpointSubset {
	var subsets []types.EndpointSubset
	headless := svc.Spec.ClusterIP == types.ClusterIPNone
	for _, p := range pods {
		if p.Status.PodIP == "" || p.DeletionTimestamp != nil || p.IsTerminal() {
			continue
		}
		addr := address(svc, p)
		ready := svc.Spec.PublishNotReadyAddresses || types.IsPodReady(p)
		var ports []types.EndpointPort
		for _, sp := range svc.Spec.Ports {
			n, err := FindPort(p, &sp)
			if err != nil {
				continue
			}
			ports = append(ports, types.EndpointPort{Name: sp.Name, Port: n, Protocol: protocol(sp.Protocol), AppProtocol: sp.AppProtocol})
		}
		if len(ports) == 0 && !(headless && len(svc.Spec.Ports) == 0) {
			continue
		}
		ss := types.EndpointSubset{Ports: ports}
		if ready {
			ss.Addresses = []types.EndpointAddress{addr}
		} else {
			ss.NotReadyAddresses = []types.EndpointAddress{addr}
		}
		subsets = append(subsets, ss)
	}
	return Repack(subsets)
}

func address(svc *types.Service, p *types.Pod) types.EndpointAddress {
	a := types.EndpointAddress{
		IP:        p.Status.PodIP,
		TargetRef: &types.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
	}
	if p.Spec.NodeName != "" {
		n := p.Spec.NodeName
		a.NodeName = &n
	}
	if svc.Spec.ClusterIP == types.ClusterIPNone && p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name {
		a.Hostname = p.Spec.Hostname
	}
	return a
}

func protocol(p types.Protocol) types.Protocol {
	if p == "" {
		return types.ProtocolTCP
	}
	return p
}

// FindPort resolves a Service port's targetPort for one pod: a number is
// itself (0 means the Service port), a name is looked up among the pod's
// container ports with the same protocol.
func FindPort(p *types.Pod, sp *types.ServicePort) (int32, error) {
	tp := sp.TargetPort
	if tp.Type == types.Int {
		if tp.IntVal == 0 {
			return sp.Port, nil
		}
		return tp.IntVal, nil
	}
	if tp.StrVal == "" {
		return sp.Port, nil
	}
	proto := protocol(sp.Protocol)
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == tp.StrVal && protocol(cp.Protocol) == proto {
				return cp.ContainerPort, nil
			}
		}
	}
	return 0, fmt.Errorf("pod %s/%s has no %s port named %q", p.Namespace, p.Name, proto, tp.StrVal)
}

// Repack merges subsets with the same set of ports, deduplicates addresses
// (ready wins over not ready), and sorts everything, as Kubernetes'
// endpoints.RepackSubsets does.
func Repack(subsets []types.EndpointSubset) []types.EndpointSubset {
	type group struct {
		ports    []types.EndpointPort
		ready    map[string]types.EndpointAddress
		notReady map[string]types.EndpointAddress
	}
	groups := map[string]*group{}
	var keys []string
	for _, ss := range subsets {
		ports := append([]types.EndpointPort(nil), ss.Ports...)
		sort.Slice(ports, func(i, j int) bool { return portKey(ports[i]) < portKey(ports[j]) })
		var kb strings.Builder
		for _, p := range ports {
			kb.WriteString(portKey(p))
			kb.WriteByte(';')
		}
		k := kb.String()
		g, ok := groups[k]
		if !ok {
			g = &group{ports: ports, ready: map[string]types.EndpointAddress{}, notReady: map[string]types.EndpointAddress{}}
			groups[k] = g
			keys = append(keys, k)
		}
		for _, a := range ss.Addresses {
			g.ready[addrKey(a)] = a
			delete(g.notReady, addrKey(a))
		}
		for _, a := range ss.NotReadyAddresses {
			if _, ok := g.ready[addrKey(a)]; !ok {
				g.notReady[addrKey(a)] = a
			}
		}
	}
	sort.Strings(keys)
	var out []types.EndpointSubset
	for _, k := range keys {
		g := groups[k]
		ss := types.EndpointSubset{Ports: g.ports, Addresses: sorted(g.ready), NotReadyAddresses: sorted(g.notReady)}
		if len(ss.Addresses) == 0 && len(ss.NotReadyAddresses) == 0 {
			continue
		}
		out = append(out, ss)
	}
	return out
}

func portKey(p types.EndpointPort) string {
	return fmt.Sprintf("%s/%d/%s", p.Name, p.Port, p.Protocol)
}

func addrKey(a types.EndpointAddress) string {
	if a.TargetRef != nil {
		return a.IP + "/" + a.TargetRef.UID
	}
	return a.IP
}

func sorted(m map[string]types.EndpointAddress) []types.EndpointAddress {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]types.EndpointAddress, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}
