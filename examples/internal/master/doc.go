// Package master is the control plane of the example programs: one master
// runs a store member, the API server (HTTPS, client certificates and
// bootstrap tokens, RBAC), the scheduler and the controller manager (each
// active on one master at a time, by leader election), the Service
// allocators, cluster DNS and a web view. examples/master runs one as a
// program and examples/cluster runs three as separate processes.
package master
