package containerd

// Labels the driver puts on its containerd containers, so that `ctr -n
// coxswain containers ls` tells sandboxes from containers.
const (
	labelKind         = "io.coxswain.kind"
	labelSandbox      = "io.coxswain.sandbox"
	labelPodName      = "io.kubernetes.pod.name"
	labelPodNamespace = "io.kubernetes.pod.namespace"
	labelContainer    = "io.kubernetes.container.name"
	kindSandbox       = "sandbox"
	kindContainer     = "container"
)
