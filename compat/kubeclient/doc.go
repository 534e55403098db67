// Package kubeclient holds compatibility tests: the unchanged Kubernetes
// clients (client-go's typed clientset, dynamic client and informers, and a
// kubectl built from k8s.io/kubectl) against a three-member Coxswain master
// started by the tests: three store members over loopback TCP, each with a
// store/remote API server on its own loopback port over TLS from a
// generated CA, and the built-in controllers.
//
// Run them with
//
//	cd compat && go test -race ./kubeclient/...
//
// See docs/kubernetes-compatibility.md for what works, kind by kind and verb
// by verb.
package kubeclient
