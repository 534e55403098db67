package exec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// procStat is the part of /proc/<pid>/stat the driver reads.
type procStat struct {
	state      byte
	pgrp       int
	utime      uint64 // clock ticks
	stime      uint64
	startTicks uint64
	rssPages   uint64
}

// parseStat parses the contents of /proc/<pid>/stat. The command name, in
// parentheses, may hold spaces and parentheses, so fields are counted from
// the last ')'.
func parseStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, errors.New("no ')' in stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 22 {
		return procStat{}, fmt.Errorf("stat has %d fields after the name, want at least 22", len(f))
	}
	if len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("bad state %q", f[0])
	}
	var s procStat
	s.state = f[0][0]
	nums := []struct {
		field int
		dst   *uint64
	}{{14, &s.utime}, {15, &s.stime}, {22, &s.startTicks}, {24, &s.rssPages}}
	for _, n := range nums {
		v, err := strconv.ParseUint(f[n.field-3], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("field %d: %w", n.field, err)
		}
		*n.dst = v
	}
	pgrp, err := strconv.Atoi(f[5-3])
	if err != nil {
		return procStat{}, fmt.Errorf("field 5: %w", err)
	}
	s.pgrp = pgrp
	return s, nil
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// alive reports whether pid is the process that started at startTicks and
// has not exited.
func alive(pid int, startTicks uint64) bool {
	if pid <= 0 {
		return false
	}
	s, err := readStat(pid)
	return err == nil && s.startTicks == startTicks && s.state != 'Z' && s.state != 'X'
}

// ticksPerSecond is USER_HZ, 100 on every Linux the driver runs on.
const ticksPerSecond = 100

type usage struct {
	cpuNs    uint64
	rssBytes uint64
}

// groupUsage sums cpu time and resident memory per process group.
func groupUsage() map[int]usage {
	out := map[int]usage{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	page := uint64(os.Getpagesize())
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		s, err := readStat(pid)
		if err != nil || s.state == 'Z' {
			continue
		}
		u := out[s.pgrp]
		u.cpuNs += (s.utime + s.stime) * (1e9 / ticksPerSecond)
		u.rssBytes += s.rssPages * page
		out[s.pgrp] = u
	}
	return out
}

// treeUsage sums cpu time and resident memory over pid and its
// descendants, found through /proc/<pid>/task/<tid>/children. A descendant
// that left the tree (a daemon reparented to init) is not counted. Without
// the children files it falls back to summing pid's process group.
func treeUsage(pid int) usage {
	page := uint64(os.Getpagesize())
	var u usage
	seen := map[int]bool{}
	stack := []int{pid}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[p] {
			continue
		}
		seen[p] = true
		if s, err := readStat(p); err == nil && s.state != 'Z' {
			u.cpuNs += (s.utime + s.stime) * (1e9 / ticksPerSecond)
			u.rssBytes += s.rssPages * page
		}
		tasks, err := os.ReadDir("/proc/" + strconv.Itoa(p) + "/task")
		if err != nil {
			continue
		}
		for _, t := range tasks {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/task/" + t.Name() + "/children")
			if err != nil {
				if os.IsNotExist(err) && p == pid {
					return groupUsage()[pid]
				}
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					stack = append(stack, c)
				}
			}
		}
	}
	return u
}

// killGroup sends sig to process group pgid; a group that is gone is fine.
func killGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 1 {
		return fmt.Errorf("refusing to signal process group %d", pgid)
	}
	err := syscall.Kill(-pgid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// exitedChild checks, without reaping, whether our child pid has exited.
func exitedChild(pid int) bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	if err != nil {
		return errors.Is(err, syscall.ECHILD) // not our child any more: gone
	}
	return info.Signo != 0
}

// reapChild collects the exit status of our exited child pid, and returns
// the container exit code (128+n after signal n).
func reapChild(pid int) (int, error) {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return 0, err
		}
		break
	}
	return exitCode(ws), nil
}

func exitCode(ws syscall.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 255
}

// lookPath finds file as a shell would, on the container's PATH, relative
// paths with a slash being taken from dir.
func lookPath(file, path, dir string) (string, error) {
	if strings.Contains(file, "/") {
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		if err := executable(file); err != nil {
			return "", err
		}
		return file, nil
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		p := filepath.Join(d, file)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%q not found in PATH %q", file, path)
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// envValue returns the last value of key in env.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}
