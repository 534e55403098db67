package remote

import (
	"context"
	"slices"
	"strings"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// NodeAuthorizer limits what a node's credential (user system:node:<name>
// in group system:nodes) may do, as Kubernetes' Node authorizer does, which
// RBAC alone cannot express:
//
//   - nodes: read any; create, update and patch (also /status) only its own;
//   - pods: read, and create/delete mirror pods; update pods/status and
//     delete only pods bound to it (spec.nodeName);
//   - secrets, configmaps, persistentvolumeclaims: read only those a pod
//     bound to it uses (volumes, env, envFrom, imagePullSecrets), one by
//     name: get, or list/watch with the field selector metadata.name=<name>
//     (as the kubelet watches them); never all of them;
//   - services, endpoints, namespaces, persistentvolumes: read;
//   - leases in kube-node-lease: only its own;
//   - events: create, update, patch.
//
// Everything else a node asks is denied; requests from other users get no
// opinion. It reads pods from the store (stale reads from the local member).
type NodeAuthorizer struct {
	st store.Store
}

var _ Authorizer = (*NodeAuthorizer)(nil)

// NewNodeAuthorizer returns a node authorizer that looks pods up in st.
func NewNodeAuthorizer(st store.Store) *NodeAuthorizer { return &NodeAuthorizer{st: st} }

// NodeName returns the node a user is the credential of, if any.
func NodeName(u *User) (string, bool) {
	if u == nil || !strings.HasPrefix(u.Name, NodeUserPrefix) || !u.InGroup(GroupNodes) {
		return "", false
	}
	n := strings.TrimPrefix(u.Name, NodeUserPrefix)
	return n, n != ""
}

// Authorize implements Authorizer.
func (na *NodeAuthorizer) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	node, ok := NodeName(a.User)
	if !ok {
		return NoOpinion, "", nil
	}
	if !a.IsResource {
		return NoOpinion, "", nil // RBAC's discovery roles decide
	}
	deny := func(why string) (Decision, string, error) { return Deny, "node " + quote(node) + " " + why, nil }
	isRead := a.Verb == "get" || a.Verb == "list" || a.Verb == "watch"
	if a.Group == "coordination.k8s.io" && a.Resource == "leases" {
		if a.Namespace == types.NamespaceNodeLease && (a.Name == node || (a.Verb == "create" && a.Name == "")) && a.Verb != "list" && a.Verb != "watch" {
			return Allow, "", nil
		}
		return deny("may only use its own lease in " + types.NamespaceNodeLease)
	}
	if a.Group != "" {
		return deny("may not access " + a.Resource + " in group " + a.Group)
	}
	switch a.Resource {
	case "nodes":
		if isRead {
			return Allow, "", nil
		}
		if (a.Verb == "create" && a.Name == "") || ((a.Verb == "update" || a.Verb == "patch" || a.Verb == "create") && a.Name == node) {
			return Allow, "", nil
		}
		return deny("may only modify its own Node")
	case "pods":
		if isRead && a.Subresource == "" {
			return Allow, "", nil
		}
		switch {
		case a.Verb == "create" && a.Subresource == "":
			return Allow, "", nil // mirror pods; NodeRestriction admission checks the binding
		case a.Subresource == "status" && (a.Verb == "update" || a.Verb == "patch" || a.Verb == "get"),
			a.Subresource == "" && a.Verb == "delete":
			obj, err := na.st.Get(ctx, "Pod", a.Namespace, a.Name, store.Stale())
			if err != nil {
				if store.IsNotFound(err) {
					return deny("may not touch pod " + a.Namespace + "/" + a.Name + " which does not exist")
				}
				return Deny, "", err
			}
			if obj.(*types.Pod).Spec.NodeName == node {
				return Allow, "", nil
			}
			return deny("may only change pods bound to it")
		}
		return deny("may not " + a.Verb + " pods/" + a.Subresource)
	case "services", "endpoints", "namespaces", "persistentvolumes":
		if isRead {
			return Allow, "", nil
		}
		return deny("may only read " + a.Resource)
	case "events":
		if a.Verb == "create" || a.Verb == "update" || a.Verb == "patch" {
			return Allow, "", nil
		}
		return deny("may only write events")
	case "secrets", "configmaps", "persistentvolumeclaims":
		if !isRead || a.Name == "" {
			return deny("may only read " + a.Resource + " used by its pods, one by name (get, or list/watch with fieldSelector metadata.name)")
		}
		used, err := na.usedBy(ctx, node, a.Namespace, a.Resource, a.Name)
		if err != nil {
			return Deny, "", err
		}
		if used {
			return Allow, "", nil
		}
		return deny("has no pod that uses " + a.Resource + " " + a.Namespace + "/" + a.Name)
	}
	return deny("may not access " + a.Resource)
}

// usedBy reports whether a pod bound to node in ns refers to the object.
func (na *NodeAuthorizer) usedBy(ctx context.Context, node, ns, resource, name string) (bool, error) {
	f, err := store.ParseFields("Pod", "spec.nodeName="+node)
	if err != nil {
		return false, err
	}
	res, err := na.st.List(ctx, "Pod", store.ListOptions{Namespace: ns, Fields: f, Stale: true})
	if err != nil {
		return false, err
	}
	for _, o := range res.Items {
		if slices.Contains(podRefs(o.(*types.Pod), resource), name) {
			return true, nil
		}
	}
	return false, nil
}

// podRefs lists the names of objects of resource a pod uses.
func podRefs(p *types.Pod, resource string) []string {
	var out []string
	for _, v := range p.Spec.Volumes {
		switch resource {
		case "secrets":
			if v.Secret != nil {
				out = append(out, v.Secret.SecretName)
			}
		case "configmaps":
			if v.ConfigMap != nil {
				out = append(out, v.ConfigMap.Name)
			}
		case "persistentvolumeclaims":
			if v.PersistentVolumeClaim != nil {
				out = append(out, v.PersistentVolumeClaim.ClaimName)
			}
		}
	}
	if resource == "secrets" {
		for _, s := range p.Spec.ImagePullSecrets {
			out = append(out, s.Name)
		}
	}
	cs := append(slices.Clone(p.Spec.InitContainers), p.Spec.Containers...)
	for _, c := range cs {
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if resource == "secrets" && e.ValueFrom.SecretKeyRef != nil {
				out = append(out, e.ValueFrom.SecretKeyRef.Name)
			}
			if resource == "configmaps" && e.ValueFrom.ConfigMapKeyRef != nil {
				out = append(out, e.ValueFrom.ConfigMapKeyRef.Name)
			}
		}
		for _, e := range c.EnvFrom {
			if resource == "secrets" && e.SecretRef != nil {
				out = append(out, e.SecretRef.Name)
			}
			if resource == "configmaps" && e.ConfigMapRef != nil {
				out = append(out, e.ConfigMapRef.Name)
			}
		}
	}
	return out
}

// NodeRestriction is the admission plugin that goes with NodeAuthorizer:
// a node may only create or change its own Node object and Lease, and only
// create pods bound to itself (mirror pods).
func NodeRestriction() Admission {
	return AdmissionFunc(func(_ context.Context, r *AdmissionRequest) error {
		node, ok := NodeName(r.User)
		if !ok || r.Object == nil {
			return nil
		}
		m := r.Object.GetObjectMeta()
		switch o := r.Object.(type) {
		case *types.Node:
			if m.Name != node {
				return newNodeRestriction(node, "may only create or modify its own Node, not "+quote(m.Name))
			}
		case *types.Lease:
			if m.Name != node {
				return newNodeRestriction(node, "may only create or modify its own Lease, not "+quote(m.Name))
			}
		case *types.Pod:
			if r.Verb == "create" && o.Spec.NodeName != node {
				return newNodeRestriction(node, "may only create pods bound to itself (spec.nodeName "+quote(node)+")")
			}
		}
		return nil
	})
}

func newNodeRestriction(node, msg string) error {
	return &nodeRestrictionError{msg: "node " + quote(node) + " " + msg}
}

type nodeRestrictionError struct{ msg string }

func (e *nodeRestrictionError) Error() string { return e.msg }
