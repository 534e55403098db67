package containerd

import "errors"

// ErrNoPauseImage means the pause image (Config.PauseImage) is not present in
// the driver's containerd namespace, so no sandbox can run. Import it first:
// see the pause command and Runtime.LoadImage.
var ErrNoPauseImage = errors.New("pause image not present")

// The driver otherwise returns the sentinels of package runtime
// (runtime.ErrNotFound, runtime.ErrImagePull, ...), wrapped with the object
// they concern.
