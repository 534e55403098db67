// Package node is the worker side of the example programs: join a cluster
// with a bootstrap token (the CA pinned by its hash), then run the node agent
// over a runtime driver (exec, containerd or fake) and the Service proxy.
// examples/node runs it as a program and examples/cluster as child processes.
package node
