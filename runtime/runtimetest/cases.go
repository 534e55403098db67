package runtimetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/coxswain/coxswain/runtime"
)

var cases = []testCase{
	{"the runtime reports its name and version", func(h *harness) {
		v, err := h.rt.Version(h.ctx)
		if err != nil {
			h.t.Fatalf("Version: %v", err)
		}
		if v.RuntimeName == "" || v.RuntimeVersion == "" || v.APIVersion == "" {
			h.t.Errorf("Version = %+v, want every field set", v)
		}
	}},
	{"a new sandbox is Ready with an IP", func(h *harness) {
		id, cfg := h.sandbox("web", map[string]string{"app": "web"})
		st := h.sandboxStatus(id)
		if st.ID != id || st.Name != cfg.Name || st.Namespace != cfg.Namespace || st.UID != cfg.UID {
			h.t.Errorf("status = %+v, want the sandbox's ID and metadata", st)
		}
		if st.State != runtime.SandboxReady {
			h.t.Errorf("state = %s, want Ready", st.State)
		}
		if _, err := netip.ParseAddr(st.IP); err != nil {
			h.t.Errorf("IP = %q: %v", st.IP, err)
		}
		if len(st.IPs) == 0 || st.IPs[0] != st.IP {
			h.t.Errorf("IPs = %v, want %s first", st.IPs, st.IP)
		}
		if st.CreatedAt.IsZero() {
			h.t.Error("CreatedAt is zero")
		}
		if st.Labels["app"] != "web" {
			h.t.Errorf("labels = %v, want app=web", st.Labels)
		}
	}},
	{"two sandboxes get different IPs", func(h *harness) {
		a, _ := h.sandbox("a", nil)
		b, _ := h.sandbox("b", nil)
		if ia, ib := h.sandboxStatus(a).IP, h.sandboxStatus(b).IP; ia == ib {
			h.t.Errorf("both sandboxes have IP %s", ia)
		}
	}},
	{"a sandbox with the same name, uid and attempt is ErrAlreadyExists", func(h *harness) {
		_, cfg := h.sandbox("dup", nil)
		id, err := h.rt.RunPodSandbox(h.ctx, cfg)
		if err == nil {
			_ = h.rt.RemovePodSandbox(h.ctx, id)
		}
		if !errors.Is(err, runtime.ErrAlreadyExists) {
			h.t.Errorf("second RunPodSandbox = %v, want ErrAlreadyExists", err)
		}
	}},
	{"listing sandboxes filters by ID, label and state", func(h *harness) {
		a, _ := h.sandbox("a", map[string]string{"app": "x"})
		b, _ := h.sandbox("b", map[string]string{"app": "y"})
		c, _ := h.sandbox("c", map[string]string{"app": "x"})
		if err := h.rt.StopPodSandbox(h.ctx, c); err != nil {
			h.t.Fatalf("StopPodSandbox: %v", err)
		}
		for _, tc := range []struct {
			f    runtime.SandboxFilter
			want []string
		}{
			{runtime.SandboxFilter{}, []string{a, b, c}},
			{runtime.SandboxFilter{ID: b}, []string{b}},
			{runtime.SandboxFilter{Labels: map[string]string{"app": "x"}}, []string{a, c}},
			{runtime.SandboxFilter{State: runtime.SandboxReady}, []string{a, b}},
			{runtime.SandboxFilter{State: runtime.SandboxNotReady, Labels: map[string]string{"app": "x"}}, []string{c}},
			{runtime.SandboxFilter{Labels: map[string]string{"app": "z"}}, nil},
		} {
			list, err := h.rt.ListPodSandboxes(h.ctx, tc.f)
			if err != nil {
				h.t.Fatalf("ListPodSandboxes(%+v): %v", tc.f, err)
			}
			if got := sandboxIDs(list); !sameIDs(got, tc.want) {
				h.t.Errorf("ListPodSandboxes(%+v) = %v, want %v (oldest first)", tc.f, got, tc.want)
			}
		}
	}},
	{"stopping a sandbox makes it NotReady, stops its containers, and can be repeated", func(h *harness) {
		h.need(h.opts.Sleep != nil, "Sleep")
		sb, sbc := h.sandbox("p", nil)
		id := h.create(sb, sbc, h.opts.Sleep(), "main")
		h.start(id)
		h.waitState(id, runtime.ContainerRunning)
		h.during(func() {
			if err := h.rt.StopPodSandbox(h.ctx, sb); err != nil {
				h.t.Errorf("StopPodSandbox: %v", err)
			}
		})
		if st := h.sandboxStatus(sb); st.State != runtime.SandboxNotReady {
			h.t.Errorf("sandbox state = %s, want NotReady", st.State)
		}
		h.waitState(id, runtime.ContainerExited)
		if err := h.rt.StopPodSandbox(h.ctx, sb); err != nil {
			h.t.Errorf("second StopPodSandbox = %v, want nil", err)
		}
	}},
	{"a container cannot be created in a stopped sandbox", func(h *harness) {
		h.need(h.opts.Sleep != nil, "Sleep")
		sb, sbc := h.sandbox("p", nil)
		if err := h.rt.StopPodSandbox(h.ctx, sb); err != nil {
			h.t.Fatalf("StopPodSandbox: %v", err)
		}
		_, err := h.tryCreate(sb, sbc, h.opts.Sleep(), "late")
		if !errors.Is(err, runtime.ErrNotRunning) {
			h.t.Errorf("CreateContainer in a stopped sandbox = %v, want ErrNotRunning", err)
		}
	}},
	{"removing a sandbox removes its containers", func(h *harness) {
		h.need(h.opts.Sleep != nil, "Sleep")
		sb, sbc := h.sandbox("p", nil)
		a := h.create(sb, sbc, h.opts.Sleep(), "a")
		b := h.create(sb, sbc, h.opts.Sleep(), "b")
		h.start(a)
		h.waitState(a, runtime.ContainerRunning)
		h.during(func() {
			if err := h.rt.RemovePodSandbox(h.ctx, sb); err != nil {
				h.t.Errorf("RemovePodSandbox: %v", err)
			}
		})
		if _, err := h.rt.PodSandboxStatus(h.ctx, sb); !errors.Is(err, runtime.ErrNotFound) {
			h.t.Errorf("PodSandboxStatus after remove = %v, want ErrNotFound", err)
		}
		for _, id := range []string{a, b} {
			if _, err := h.rt.ContainerStatus(h.ctx, id); !errors.Is(err, runtime.ErrNotFound) {
				h.t.Errorf("ContainerStatus(%s) after removing its sandbox = %v, want ErrNotFound", id, err)
			}
		}
		list, err := h.rt.ListContainers(h.ctx, runtime.ContainerFilter{SandboxID: sb})
		if err != nil || len(list) != 0 {
			h.t.Errorf("ListContainers of the removed sandbox = %v, %v; want none", containerIDs(list), err)
		}
	}},
	{"removing a missing sandbox or container succeeds", func(h *harness) {
		if err := h.rt.RemovePodSandbox(h.ctx, "no-such-sandbox"); err != nil {
			h.t.Errorf("RemovePodSandbox(missing) = %v", err)
		}
		if err := h.rt.RemoveContainer(h.ctx, "no-such-container"); err != nil {
			h.t.Errorf("RemoveContainer(missing) = %v", err)
		}
	}},
	{"the status of a missing sandbox or container is ErrNotFound", func(h *harness) {
		if _, err := h.rt.PodSandboxStatus(h.ctx, "no-such-sandbox"); !errors.Is(err, runtime.ErrNotFound) {
			h.t.Errorf("PodSandboxStatus(missing) = %v", err)
		}
		if _, err := h.rt.ContainerStatus(h.ctx, "no-such-container"); !errors.Is(err, runtime.ErrNotFound) {
			h.t.Errorf("ContainerStatus(missing) = %v", err)
		}
		if err := h.rt.StartContainer(h.ctx, "no-such-container"); !errors.Is(err, runtime.ErrNotFound) {
			h.t.Errorf("StartContainer(missing) = %v", err)
		}
	}},
	{"a created container reports Created with its metadata", func(h *harness) {
		h.need(h.opts.Sleep != nil, "Sleep")
		sb, sbc := h.sandbox("p", nil)
		cfg := h.opts.Sleep()
		cfg.Attempt = 2
		cfg.Labels = map[string]string{"tier": "web"}
		id := h.create(sb, sbc, cfg, "main")
		st := h.status(id)
		if st.State != runtime.ContainerCreated || st.ID != id || st.SandboxID != sb || st.Name != "main" || st.Attempt != 2 {
			h.t.Errorf("status = %+v, want Created main attempt 2 in %s", st, sb)
		}
		if st.Image != cfg.Image || st.Labels["tier"] != "web" || st.CreatedAt.IsZero() || !st.StartedAt.IsZero() {
			h.t.Errorf("status = %+v, want image %q, label tier=web, CreatedAt set, StartedAt zero", st, cfg.Image)
		}
	}},
	{"a container with the same name and attempt in a sandbox is ErrAlreadyExists", func(h *harness) {
		h.need(h.opts.Sleep != nil, "Sleep")
		sb, sbc := h.sandbox("p", nil)
		h.create(sb, sbc, h.opts.Sleep(), "main")
		if _, err := h.tryCreate(sb, sbc, h.opts.Sleep(), "main"); !errors.Is(err, runtime.ErrAlreadyExists) {
			h.t.Errorf("second CreateContainer = %v, want ErrAlreadyExists", err)
		}
		cfg := h.opts.Sleep()
		cfg.Attempt = 1
		if _, err := h.tryCreate(sb, sbc, cfg, "main"); err != nil {
			h.t.Errorf("CreateContainer of the next attempt = %v", err)
		}
	}},
	{"a started container reports Running", func(h *harness) {
		h.need(h.opts.Sleep != nil, "Sleep")
		_, id := h.run(h.opts.Sleep())
		st := h.waitState(id, runtime.ContainerRunning)
		if st.StartedAt.IsZero() || !st.FinishedAt.IsZero() {
			h.t.Errorf("status = %+v, want StartedAt set and FinishedAt zero", st)
		}
		if err := h.rt.StartContainer(h.ctx, id); !errors.Is(err, runtime.ErrInvalidState) {
			h.t.Errorf("starting it again = %v, want ErrInvalidState", err)
		}
	}},
	{"exit code is reported", func(h *harness) {
		h.need(h.opts.Exit != nil, "Exit")
		_, id := h.run(h.opts.Exit(3))
		st := h.waitState(id, runtime.ContainerExited)
		if st.ExitCode != 3 || st.Reason != runtime.ReasonError {
			h.t.Errorf("exit code %d reason %q, want 3 Error", st.ExitCode, st.Reason)
		}
		if st.FinishedAt.IsZero() || st.FinishedAt.Before(st.StartedAt) {
			h.t.Errorf("StartedAt %v FinishedAt %v, want finish at or after start", st.StartedAt, st.FinishedAt)
		}
	}},
	{"a container that exits 0 is Completed", func(h *harness) {
		h.need(h.opts.Exit != nil, "Exit")
		_, id := h.run(h.opts.Exit(0))
		st := h.waitState(id, runtime.ContainerExited)
		if st.ExitCode != 0 || st.Reason != runtime.ReasonCompleted {
			h.t.Errorf("exit code %d reason %q, want 0 Completed", st.ExitCode, st.Reason)
		}
	}},
	{"logs capture stdout", func(h *harness) {
		h.need(h.opts.Print != nil, "Print")
		_, id := h.run(h.opts.Print("hello from the container"))
		h.waitState(id, runtime.ContainerExited)
		h.waitLogs(id, "hello from the container\n")
	}},
	{"logs tail returns the last lines", func(h *harness) {
		h.need(h.opts.Print != nil, "Print")
		_, id := h.run(h.opts.Print("one\ntwo\nthree\nfour"))
		h.waitState(id, runtime.ContainerExited)
		h.waitLogs(id, "four\n")
		if got := h.logs(id, runtime.LogOptions{Tail: 2}); got != "three\nfour\n" {
			h.t.Errorf("tail 2 = %q, want %q", got, "three\nfour\n")
		}
	}},
	{"logs follow ends when the container exits", func(h *harness) {
		h.need(h.opts.Sleep != nil, "Sleep")
		_, id := h.run(h.opts.Sleep())
		h.waitState(id, runtime.ContainerRunning)
		rc, err := h.rt.Logs(h.ctx, id, runtime.LogOptions{Follow: true})
		if err != nil {
			h.t.Fatalf("Logs(follow): %v", err)
		}
		defer rc.Close()
		done := make(chan error, 1)
		go func() { _, err := io.Copy(io.Discard, rc); done <- err }()
		h.during(func() {
			if err := h.rt.StopContainer(h.ctx, id, 10*time.Second); err != nil {
				h.t.Errorf("StopContainer: %v", err)
			}
		})
		h.during(func() {
			if err := <-done; err != nil {
				h.t.Errorf("reading the followed log: %v", err)
			}
		})
	}},
	{"stop sends SIGTERM and returns once the container exits", func(h *harness) {
		h.need(h.opts.Sleep != nil, "Sleep")
		_, id := h.run(h.opts.Sleep())
		h.waitState(id, runtime.ContainerRunning)
		timeout := 30 * time.Second
		start := h.clock.Now()
		h.during(func() {
			if err := h.rt.StopContainer(h.ctx, id, timeout); err != nil {
				h.t.Errorf("StopContainer: %v", err)
			}
		})
		if took := h.clock.Now().Sub(start); took >= timeout {
			h.t.Errorf("stop took %v, the whole timeout: SIGTERM was not honoured", took)
		}
		st := h.status(id)
		if st.State != runtime.ContainerExited || st.ExitCode != 143 {
			h.t.Errorf("after stop: %s, exit code %d; want Exited 143 (SIGTERM)", st.State, st.ExitCode)
		}
	}},
	{"stop escalates to SIGKILL after the timeout", func(h *harness) {
		h.need(h.opts.IgnoreTerm != nil, "IgnoreTerm")
		_, id := h.run(h.opts.IgnoreTerm())
		h.waitState(id, runtime.ContainerRunning)
		h.waitLogs(id, "ready\n")
		timeout := 500 * time.Millisecond
		start := h.clock.Now()
		h.during(func() {
			if err := h.rt.StopContainer(h.ctx, id, timeout); err != nil {
				h.t.Errorf("StopContainer: %v", err)
			}
		})
		if took := h.clock.Now().Sub(start); took < timeout {
			h.t.Errorf("stop took %v, less than the %v timeout", took, timeout)
		}
		st := h.status(id)
		if st.State != runtime.ContainerExited || st.ExitCode != 137 {
			h.t.Errorf("after stop: %s, exit code %d; want Exited 137 (SIGKILL)", st.State, st.ExitCode)
		}
	}},
	{"stopping an exited container succeeds and keeps its exit code", func(h *harness) {
		h.need(h.opts.Exit != nil, "Exit")
		_, id := h.run(h.opts.Exit(4))
		h.waitState(id, runtime.ContainerExited)
		if err := h.rt.StopContainer(h.ctx, id, time.Second); err != nil {
			h.t.Errorf("StopContainer(exited) = %v", err)
		}
		if st := h.status(id); st.ExitCode != 4 {
			h.t.Errorf("exit code after stop = %d, want 4", st.ExitCode)
		}
	}},
	{"removing a running container kills it", func(h *harness) {
		h.need(h.opts.Sleep != nil, "Sleep")
		sb, id := h.run(h.opts.Sleep())
		h.waitState(id, runtime.ContainerRunning)
		h.during(func() {
			if err := h.rt.RemoveContainer(h.ctx, id); err != nil {
				h.t.Errorf("RemoveContainer: %v", err)
			}
		})
		if _, err := h.rt.ContainerStatus(h.ctx, id); !errors.Is(err, runtime.ErrNotFound) {
			h.t.Errorf("ContainerStatus after remove = %v, want ErrNotFound", err)
		}
		if list, _ := h.rt.ListContainers(h.ctx, runtime.ContainerFilter{SandboxID: sb}); len(list) != 0 {
			h.t.Errorf("the sandbox still lists %v", containerIDs(list))
		}
	}},
	{"listing containers filters by ID, sandbox, state and label", func(h *harness) {
		h.need(h.opts.Sleep != nil, "Sleep")
		s1, c1 := h.sandbox("p1", nil)
		s2, c2 := h.sandbox("p2", nil)
		lbl := func(v string) runtime.ContainerConfig {
			c := h.opts.Sleep()
			c.Labels = map[string]string{"role": v}
			return c
		}
		a := h.create(s1, c1, lbl("x"), "a")
		b := h.create(s1, c1, lbl("y"), "b")
		c := h.create(s2, c2, lbl("x"), "c")
		h.start(a)
		h.waitState(a, runtime.ContainerRunning)
		for _, tc := range []struct {
			f    runtime.ContainerFilter
			want []string
		}{
			{runtime.ContainerFilter{}, []string{a, b, c}},
			{runtime.ContainerFilter{ID: b}, []string{b}},
			{runtime.ContainerFilter{SandboxID: s1}, []string{a, b}},
			{runtime.ContainerFilter{State: runtime.ContainerRunning}, []string{a}},
			{runtime.ContainerFilter{State: runtime.ContainerCreated}, []string{b, c}},
			{runtime.ContainerFilter{Labels: map[string]string{"role": "x"}}, []string{a, c}},
			{runtime.ContainerFilter{SandboxID: s2, Labels: map[string]string{"role": "y"}}, nil},
		} {
			list, err := h.rt.ListContainers(h.ctx, tc.f)
			if err != nil {
				h.t.Fatalf("ListContainers(%+v): %v", tc.f, err)
			}
			if got := containerIDs(list); !sameIDs(got, tc.want) {
				h.t.Errorf("ListContainers(%+v) = %v, want %v (oldest first)", tc.f, got, tc.want)
			}
		}
	}},
	{"a container sees its environment", func(h *harness) {
		h.need(h.opts.PrintEnv != nil, "PrintEnv")
		cfg := h.opts.PrintEnv("GREETING")
		cfg.Env = append(cfg.Env, runtime.KeyValue{Key: "GREETING", Value: "first"}, runtime.KeyValue{Key: "GREETING", Value: "hello world"})
		_, id := h.run(cfg)
		h.waitState(id, runtime.ContainerExited)
		h.waitLogs(id, "hello world\n")
	}},
	{"two containers of a sandbox share its IP as POD_IP", func(h *harness) {
		h.need(h.opts.PrintEnv != nil, "PrintEnv")
		sb, sbc := h.sandbox("p", nil)
		ip := h.sandboxStatus(sb).IP
		a := h.create(sb, sbc, h.opts.PrintEnv("POD_IP"), "a")
		b := h.create(sb, sbc, h.opts.PrintEnv("POD_IP"), "b")
		h.start(a)
		h.start(b)
		for _, id := range []string{a, b} {
			h.waitState(id, runtime.ContainerExited)
			h.waitLogs(id, ip+"\n")
		}
	}},
	{"exec runs in the container's environment", func(h *harness) {
		h.need(h.opts.Sleep != nil && h.opts.ExecPrintEnv != nil, "Sleep and Options.ExecPrintEnv")
		cfg := h.opts.Sleep()
		cfg.Env = append(cfg.Env, runtime.KeyValue{Key: "SECRET_WORD", Value: "swordfish"})
		sb, id := h.run(cfg)
		h.waitState(id, runtime.ContainerRunning)
		for _, tc := range []struct{ name, want string }{
			{"SECRET_WORD", "swordfish\n"},
			{"POD_IP", h.sandboxStatus(sb).IP + "\n"},
		} {
			var out, errb syncBuffer
			code, err := h.rt.Exec(h.ctx, id, runtime.ExecRequest{Cmd: h.opts.ExecPrintEnv(tc.name), Stdout: &out, Stderr: &errb})
			if err != nil || code != 0 {
				h.t.Fatalf("Exec = %d, %v (stderr %q)", code, err, errb.String())
			}
			if out.String() != tc.want {
				h.t.Errorf("exec printed %s=%q, want %q", tc.name, out.String(), tc.want)
			}
		}
	}},
	{"exec returns the command's exit code", func(h *harness) {
		h.need(h.opts.Sleep != nil && h.opts.ExecExit != nil, "Sleep and Options.ExecExit")
		_, id := h.run(h.opts.Sleep())
		h.waitState(id, runtime.ContainerRunning)
		for _, want := range []int{0, 1, 42} {
			code, err := h.rt.Exec(h.ctx, id, runtime.ExecRequest{Cmd: h.opts.ExecExit(want)})
			if err != nil || code != want {
				h.t.Errorf("Exec(exit %d) = %d, %v", want, code, err)
			}
		}
	}},
	{"exec in a container that does not run is ErrNotRunning", func(h *harness) {
		h.need(h.opts.Exit != nil && h.opts.ExecExit != nil, "Exit and Options.ExecExit")
		_, id := h.run(h.opts.Exit(0))
		h.waitState(id, runtime.ContainerExited)
		if _, err := h.rt.Exec(h.ctx, id, runtime.ExecRequest{Cmd: h.opts.ExecExit(0)}); !errors.Is(err, runtime.ErrNotRunning) {
			h.t.Errorf("Exec in an exited container = %v, want ErrNotRunning", err)
		}
	}},
	{"stats report a running container", func(h *harness) {
		h.need(h.opts.Sleep != nil, "Sleep")
		_, id := h.run(h.opts.Sleep())
		h.waitState(id, runtime.ContainerRunning)
		st, err := h.rt.Stats(h.ctx, id)
		if err != nil {
			h.t.Fatalf("Stats: %v", err)
		}
		if st.Timestamp.IsZero() {
			h.t.Error("stats timestamp is zero")
		}
		if _, err := h.rt.Stats(h.ctx, "no-such-container"); !errors.Is(err, runtime.ErrNotFound) {
			h.t.Errorf("Stats(missing) = %v, want ErrNotFound", err)
		}
	}},
	{"a pulled image is listed until removed", func(h *harness) {
		const image = "docker.io/library/conformance:1.0"
		ref, err := h.rt.PullImage(h.ctx, image)
		if err != nil {
			h.t.Fatalf("PullImage: %v", err)
		}
		im, err := h.rt.ImageStatus(h.ctx, image)
		if err != nil || im.ID != ref {
			h.t.Errorf("ImageStatus = %+v, %v; want ID %s", im, err, ref)
		}
		list, err := h.rt.ListImages(h.ctx)
		if err != nil || !hasImage(list, ref) {
			h.t.Errorf("ListImages = %+v, %v; want %s listed", list, err, ref)
		}
		if err := h.rt.RemoveImage(h.ctx, image); err != nil {
			h.t.Errorf("RemoveImage: %v", err)
		}
		if _, err := h.rt.ImageStatus(h.ctx, image); !errors.Is(err, runtime.ErrNotFound) {
			h.t.Errorf("ImageStatus after remove = %v, want ErrNotFound", err)
		}
		if err := h.rt.RemoveImage(h.ctx, image); err != nil {
			h.t.Errorf("RemoveImage(absent) = %v", err)
		}
	}},
	{"a container listens on the pod IP", func(h *harness) {
		h.need(h.opts.Listen != nil, "Listen")
		const port = 18080
		sb, sbc := h.sandbox("a", nil)
		id := h.create(sb, sbc, h.opts.Listen(port), "server")
		h.start(id)
		// A second pod listens on the same port: pod IPs keep them apart.
		sb2, sbc2 := h.sandbox("b", nil)
		id2 := h.create(sb2, sbc2, h.opts.Listen(port), "server")
		h.start(id2)
		for _, s := range []string{sb, sb2} {
			addr := net.JoinHostPort(h.sandboxStatus(s).IP, fmt.Sprint(port))
			h.dial(addr)
		}
		for _, c := range []string{id, id2} {
			if st := h.status(c); st.State != runtime.ContainerRunning {
				h.t.Errorf("server %s is %s (exit %d), want Running", c, st.State, st.ExitCode)
			}
		}
	}},
}

func hasImage(list []runtime.Image, id string) bool {
	for _, im := range list {
		if im.ID == id {
			return true
		}
	}
	return false
}

// dial waits until addr accepts a TCP connection.
func (h *harness) dial(addr string) {
	h.t.Helper()
	deadline := time.Now().Add(h.opts.Timeout)
	for {
		ctx, cancel := context.WithTimeout(h.ctx, time.Second)
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		cancel()
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		if !strings.Contains(err.Error(), "refused") && !errors.Is(err, context.DeadlineExceeded) {
			h.t.Logf("dial %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
