// Package containerdtest starts a private containerd for tests and builds
// the static programs of the test images: the driver's own tests and the
// node agent's tests on real containerd share it.
//
// A Daemon runs containerd on its own socket, root and state directories
// under a temporary directory, with the CRI plugin off, so tests never touch
// the machine's containerd. Check says why the machine cannot run one (not
// root, a binary or CNI plugin missing), so tests skip with that reason.
//
// The test program (Binaries()["testbin"]) is one static multi-call binary;
// its first argument picks a behaviour (see the testbin command under
// runtime/containerd/internal). The pause binary is the project's own pause
// command. Pack them into images with containerd.BuildImage.
package containerdtest
