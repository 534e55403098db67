package agent

import (
	"os"
	"syscall"
)

// mountTmpfs mounts a tmpfs on dir when the agent runs as root; otherwise
// (or when the mount fails) emptyDir with medium Memory is a plain directory.
func mountTmpfs(dir string) error {
	if os.Geteuid() != 0 {
		return syscall.EPERM
	}
	return syscall.Mount("tmpfs", dir, "tmpfs", 0, "mode=0777")
}

func unmount(dir string) error { return syscall.Unmount(dir, 0) }
