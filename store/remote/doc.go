// Package remote is Coxswain's API server and its client.
//
// # Server
//
// NewServer returns a *Server, an http.Handler that serves any store.Store
// over Kubernetes' REST API: the same paths (/api/v1/namespaces/{ns}/pods,
// /apis/apps/v1/deployments, cluster-scoped kinds without a namespace,
// all-namespace lists, the /status, /scale and pods/binding subresources,
// legacy /watch/ paths), the same JSON (kind and apiVersion on every
// object, {"kind":"PodList","metadata":{"resourceVersion","continue"},
// "items":[...]} lists, newline-delimited {"type","object"} watch events
// with BOOKMARKs, metav1.Status error bodies whose reasons client-go's
// apierrors classify) and the same discovery documents (/version, /api,
// /apis, /api/v1, /apis/{group}/{version}), so kubectl and client-go work
// against it unchanged. Request bodies may also be Kubernetes' protobuf
// (client-go's default), converted to JSON through a field table generated
// from k8s.io/api's generated.proto files; answers are always JSON, or a
// meta.k8s.io/v1 Table with the per-kind columns kubectl prints when the
// Accept header asks for one. pods/eviction honours PodDisruptionBudgets,
// pods/log is passed on to the node's agent, and /openapi/v3 lists the
// operations (without schemas) so kubectl leaves validation to the server.
// With Config.Metrics set (a MetricsProvider), the server also serves the
// resource metrics API, metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics,
// as metrics-server does, so `kubectl top` works.
//
// Every request goes through, in order: authentication (an Authenticator
// chain: client certificates, static tokens, bootstrap tokens), per-user
// rate limiting and a max-inflight limit (429 with Retry-After),
// authorization (an Authorizer chain: the Node authorizer, RBAC over the
// Role/ClusterRole/RoleBinding/ClusterRoleBinding objects in the store,
// an ABAC policy file; the first Allow or Deny decides, anything else is
// 403, or 401 for an anonymous caller), decoding (strict: an unknown field
// is 400; bodies are limited to 3 MiB and objects to 1.5 MiB, 413 above),
// defaulting and validation (422 with every field error as a cause), and
// admission (an Admission chain: NodeRestriction, ResourceQuota, yours).
// Malformed input never writes anything.
//
// Several servers, one per store member, may stand behind one load
// balancer: the store forwards writes to the leader, and any member serves
// reads and watches. Shutdown ends watch streams cleanly so clients resume
// elsewhere.
//
// # Client
//
// Dial returns a *Client, which is a store.Store: informers, controllers and
// tools written against store.Store run unchanged against a remote cluster.
// Its errors are *store.Error values, so store.IsNotFound and friends work.
// Reads are retried with back-off while no server (or no leader) answers;
// writes only when the server certainly did not act. Watches reconnect from
// the last revision they delivered, moving to the next server when one goes
// away, and end with store.ErrTooOld when that revision is gone.
// LoadClientConfig reads a kubeconfig file, the format kubectl reads.
//
// # Trust
//
// Package pki makes the cluster CA, server and client certificates; a client
// certificate's CommonName is the user and its Organizations the groups.
// Bootstrap tokens (abcdef.0123456789abcdef, stored as Secrets in
// kube-system) let a new node join: Join fetches the CA, checks it against
// the CA hash it was given, and exchanges the token for a node certificate
// at JoinPath.
//
// A Server, a Client and the authenticators and authorizers are safe for
// concurrent use.
package remote
