package alloc

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/coxswain/coxswain/types"
)

// Operation is the write Admit is asked about.
type Operation string

// Operations.
const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
	Delete Operation = "DELETE"
)

// holding is one reserved value.
type holding struct{ kind, value string }

// hasNodePorts reports whether the service type exposes node ports.
func hasNodePorts(s *types.Service) bool {
	return s.Spec.Type == types.ServiceTypeNodePort || s.Spec.Type == types.ServiceTypeLoadBalancer
}

// holdings lists what s holds in this allocator's ranges.
func (a *Allocator) holdings(s *types.Service) []holding {
	var out []holding
	if s.Spec.Type == types.ServiceTypeExternalName {
		return nil
	}
	for _, ip := range clusterIPs(s) {
		if addr, err := netip.ParseAddr(ip); err == nil && a.cfg.ServiceCIDR.Contains(addr) {
			out = append(out, holding{KindClusterIP, addr.String()})
		}
	}
	if hasNodePorts(s) {
		for _, p := range s.Spec.Ports {
			if p.NodePort != 0 && a.inPortRange(p.NodePort) {
				h := holding{KindNodePort, strconv.Itoa(int(p.NodePort))}
				if !slices.Contains(out, h) {
					out = append(out, h)
				}
			}
		}
	}
	if s.Spec.Type == types.ServiceTypeLoadBalancer && a.cfg.LoadBalancerPool.IsValid() {
		for _, in := range s.Status.LoadBalancer.Ingress {
			if addr, err := netip.ParseAddr(in.IP); err == nil && a.cfg.LoadBalancerPool.Contains(addr) {
				out = append(out, holding{KindLBIP, addr.String()})
			}
		}
	}
	return out
}

func clusterIPs(s *types.Service) []string {
	if len(s.Spec.ClusterIPs) > 0 {
		return s.Spec.ClusterIPs
	}
	if s.Spec.ClusterIP != "" {
		return []string{s.Spec.ClusterIP}
	}
	return nil
}

func (a *Allocator) inPortRange(p int32) bool {
	return p >= int32(a.cfg.NodePortMin) && p <= int32(a.cfg.NodePortMax)
}

// Admit allocates for a Service write the API server is about to make:
// svc is the Service to be stored (changed in place: cluster IP, node
// ports, load-balancer ingress filled in), old the stored one (update,
// delete; for a delete svc may be nil, and when old is nil too nothing is
// freed here — Run frees it later). A refusal is an *Error wrapping
// ErrOutOfRange, ErrAllocated, ErrFull or ErrImmutable with
// Kubernetes' message. What a failed write leaves reserved is freed by
// Run after Config.LeakGrace.
func (a *Allocator) Admit(ctx context.Context, op Operation, svc, old *types.Service) error {
	switch op {
	case Create:
		_, err := a.fill(ctx, svc, nil)
		return err
	case Update:
		if old != nil && svc.Spec.Type != types.ServiceTypeExternalName {
			if err := carryOver(svc, old); err != nil {
				return err
			}
		}
		if _, err := a.fill(ctx, svc, old); err != nil {
			return err
		}
		if old != nil {
			keep := a.holdings(svc)
			for _, h := range a.holdings(old) {
				if !slices.Contains(keep, h) {
					if err := a.release(ctx, h.kind, h.value, owner(old)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	case Delete:
		if old == nil {
			old = svc
		}
		if old == nil {
			return nil
		}
		var errs []error
		for _, h := range a.holdings(old) {
			errs = append(errs, a.release(ctx, h.kind, h.value, owner(old)))
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("alloc: unknown operation %q", op)
}

// carryOver keeps the stored cluster IP and node ports where the update
// leaves them empty, and refuses a changed cluster IP.
func carryOver(svc, old *types.Service) error {
	oldIPs := clusterIPs(old)
	newIPs := clusterIPs(svc)
	if len(newIPs) == 0 && len(oldIPs) > 0 && old.Spec.Type != types.ServiceTypeExternalName {
		svc.Spec.ClusterIP = oldIPs[0]
		svc.Spec.ClusterIPs = slices.Clone(oldIPs)
	} else if len(newIPs) > 0 && len(oldIPs) > 0 && newIPs[0] != oldIPs[0] && old.Spec.Type != types.ServiceTypeExternalName {
		return &Error{Err: ErrImmutable, Field: &types.FieldError{Type: types.ErrorTypeInvalid, Field: "spec.clusterIPs[0]", BadValue: newIPs[0], Detail: "may not change once set"}}
	}
	if hasNodePorts(svc) && hasNodePorts(old) {
		for i := range svc.Spec.Ports {
			p := &svc.Spec.Ports[i]
			if p.NodePort != 0 {
				continue
			}
			for _, op := range old.Spec.Ports {
				if op.Port == p.Port && op.Protocol == p.Protocol && op.NodePort != 0 {
					p.NodePort = op.NodePort
					break
				}
			}
		}
	}
	if svc.Spec.Type == types.ServiceTypeLoadBalancer && len(svc.Status.LoadBalancer.Ingress) == 0 {
		svc.Status.LoadBalancer.Ingress = slices.Clone(old.Status.LoadBalancer.Ingress)
	}
	return nil
}

// fill allocates or reserves everything svc needs. It reports whether it
// changed svc. On failure it releases what it took (except what old
// already held).
func (a *Allocator) fill(ctx context.Context, svc, old *types.Service) (changed bool, err error) {
	if svc.Spec.Type == types.ServiceTypeExternalName {
		return false, nil
	}
	who := owner(svc)
	var held []holding
	if old != nil {
		held = a.holdings(old)
	}
	var took []holding
	defer func() {
		if err != nil {
			for _, h := range took {
				a.release(context.WithoutCancel(ctx), h.kind, h.value, who)
			}
		}
	}()
	take := func(kind, value string) error {
		h := holding{kind, value}
		if slices.Contains(held, h) || slices.Contains(took, h) {
			return nil
		}
		if err := a.reserve(ctx, kind, value, who); err != nil {
			return err
		}
		took = append(took, h)
		return nil
	}

	// Cluster IP.
	ips := clusterIPs(svc)
	switch {
	case len(ips) > 0 && ips[0] == types.ClusterIPNone:
		// Headless: nothing to allocate.
	case len(ips) == 0:
		v, err := a.allocate(ctx, a.ipSpan(KindClusterIP, a.cfg.ServiceCIDR, true), who)
		if err != nil {
			if errors.Is(err, ErrFull) {
				return false, invalid(ErrFull, "spec.clusterIPs", nil, fmt.Sprintf("failed to allocate IP: range %s is full", a.cfg.ServiceCIDR))
			}
			return false, err
		}
		took = append(took, holding{KindClusterIP, v})
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = v, []string{v}
		changed = true
	default:
		field := "spec.clusterIPs[0]"
		addr, perr := netip.ParseAddr(ips[0])
		if perr != nil {
			return false, invalid(ErrOutOfRange, field, ips[0], "must be a valid IP address")
		}
		if !a.cfg.ServiceCIDR.Contains(addr) {
			return false, invalid(ErrOutOfRange, field, ips[0], fmt.Sprintf("failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", ips[0], ips[0], a.cfg.ServiceCIDR))
		}
		if addr == a.KubernetesIP() && who != "default/kubernetes" {
			return false, invalid(ErrAllocated, field, ips[0], fmt.Sprintf("failed to allocate IP %s: provided IP is already allocated", ips[0]))
		}
		if err := take(KindClusterIP, addr.String()); err != nil {
			if errors.Is(err, ErrAllocated) {
				return false, invalid(ErrAllocated, field, ips[0], fmt.Sprintf("failed to allocate IP %s: provided IP is already allocated", ips[0]))
			}
			return false, err
		}
		if svc.Spec.ClusterIP == "" || len(svc.Spec.ClusterIPs) == 0 {
			changed = true
		}
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = ips[0], slices.Clone(ips)
	}

	// Node ports.
	if hasNodePorts(svc) {
		for i := range svc.Spec.Ports {
			p := &svc.Spec.Ports[i]
			field := fmt.Sprintf("spec.ports[%d].nodePort", i)
			if p.NodePort == 0 {
				v, err := a.allocate(ctx, a.portSpan(), who)
				if err != nil {
					if errors.Is(err, ErrFull) {
						return false, invalid(ErrFull, field, p.NodePort, fmt.Sprintf("failed to allocate a nodePort: range %d-%d is full", a.cfg.NodePortMin, a.cfg.NodePortMax))
					}
					return false, err
				}
				n, _ := strconv.Atoi(v)
				took = append(took, holding{KindNodePort, v})
				p.NodePort = int32(n)
				changed = true
				continue
			}
			if !a.inPortRange(p.NodePort) {
				return false, invalid(ErrOutOfRange, field, p.NodePort, fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %d-%d", a.cfg.NodePortMin, a.cfg.NodePortMax))
			}
			if err := take(KindNodePort, strconv.Itoa(int(p.NodePort))); err != nil {
				if errors.Is(err, ErrAllocated) {
					return false, invalid(ErrAllocated, field, p.NodePort, "provided port is already allocated")
				}
				return false, err
			}
		}
	}

	// Load-balancer address.
	if svc.Spec.Type == types.ServiceTypeLoadBalancer && a.cfg.LoadBalancerPool.IsValid() && len(svc.Status.LoadBalancer.Ingress) == 0 {
		var v string
		if req := svc.Spec.LoadBalancerIP; req != "" {
			addr, perr := netip.ParseAddr(req)
			if perr != nil || !a.cfg.LoadBalancerPool.Contains(addr) {
				return false, invalid(ErrOutOfRange, "spec.loadBalancerIP", req, fmt.Sprintf("provided IP is not in the load-balancer pool %s", a.cfg.LoadBalancerPool))
			}
			if err := take(KindLBIP, addr.String()); err != nil {
				if errors.Is(err, ErrAllocated) {
					return false, invalid(ErrAllocated, "spec.loadBalancerIP", req, "provided IP is already allocated")
				}
				return false, err
			}
			v = addr.String()
		} else {
			got, err := a.allocate(ctx, a.ipSpan(KindLBIP, a.cfg.LoadBalancerPool, false), who)
			if err != nil {
				if errors.Is(err, ErrFull) {
					return false, invalid(ErrFull, "status.loadBalancer.ingress", nil, fmt.Sprintf("load-balancer pool %s is full", a.cfg.LoadBalancerPool))
				}
				return false, err
			}
			took = append(took, holding{KindLBIP, got})
			v = got
		}
		svc.Status.LoadBalancer.Ingress = []types.LoadBalancerIngress{{IP: v}}
		changed = true
	}
	return changed, nil
}
