// Package endpoints is the Endpoints controller: for every Service with a
// selector it keeps an Endpoints object of the same name listing the pods
// the selector picks.
//
// A pod is listed once it has a pod IP and is neither finished nor being
// deleted (terminating pods are excluded). Ready pods go in addresses and
// the others in notReadyAddresses, unless the Service sets
// publishNotReadyAddresses, which lists every such pod as ready. Each
// address carries the pod's nodeName and a targetRef to it; for a headless
// Service (clusterIP None), a pod whose spec.subdomain is the Service's name
// also gets its spec.hostname, which DNS serves as
// <hostname>.<service>.<namespace>.
//
// A named targetPort is resolved in each pod's containers (same name and
// protocol), so pods that number a port differently land in different
// subsets: addresses are packed into one subset per distinct set of ports,
// as Kubernetes' RepackSubsets does, with addresses sorted by IP so the
// object is stable. A port that a pod does not define leaves that pod out of
// that port only.
//
// Services without a selector are left alone (their Endpoints are managed
// by hand). When a Service is deleted its Endpoints are deleted too.
//
// A Controller is a reconcile.Runnable; it is safe for concurrent use.
package endpoints
