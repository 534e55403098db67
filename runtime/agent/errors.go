package agent

import "errors"

var (
	// ErrInvalidConfig is wrapped by every Config.Validate error.
	ErrInvalidConfig = errors.New("agent: invalid config")
	// ErrAlreadyRunning is returned by Run when it is called a second time.
	ErrAlreadyRunning = errors.New("agent: already running")
	// ErrNotFound means a pod or container the HTTP API or Summary asked for
	// is not on this node.
	ErrNotFound = errors.New("agent: not found")
	// ErrVolume means a pod's volume could not be set up; the message names
	// the volume and the reason.
	ErrVolume = errors.New("agent: volume setup failed")
)

// Reasons the agent writes into pod and container statuses, as the kubelet
// words them.
const (
	ReasonCrashLoopBackOff           = "CrashLoopBackOff"
	ReasonErrImagePull               = "ErrImagePull"
	ReasonImagePullBackOff           = "ImagePullBackOff"
	ReasonCreateContainerConfigError = "CreateContainerConfigError"
	ReasonCreateContainerError       = "CreateContainerError"
	ReasonContainerCreating          = "ContainerCreating"
	ReasonPodInitializing            = "PodInitializing"
	ReasonDeadlineExceeded           = "DeadlineExceeded"
	ReasonEvicted                    = "Evicted"
	ReasonInvalidPod                 = "InvalidPod"
	ReasonUnhealthy                  = "Unhealthy"
)

// Annotations of static and mirror pods, as the kubelet sets them.
const (
	AnnotationConfigSource = "kubernetes.io/config.source"
	AnnotationConfigHash   = "kubernetes.io/config.hash"
	AnnotationConfigMirror = "kubernetes.io/config.mirror"
)
