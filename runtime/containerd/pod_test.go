package containerd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	nft "github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/coxswain/coxswain/runtime"
)

// pod runs a sandbox named name, removed when t ends.
func pod(t *testing.T, rt *Runtime, name string, mod ...func(*runtime.SandboxConfig)) (string, runtime.SandboxConfig) {
	t.Helper()
	cfg := runtime.SandboxConfig{Name: name, Namespace: "test", UID: "uid-" + name, LogDirectory: t.TempDir()}
	for _, f := range mod {
		f(&cfg)
	}
	id, err := rt.RunPodSandbox(context.Background(), cfg)
	if err != nil {
		t.Fatalf("RunPodSandbox(%s): %v", name, err)
	}
	t.Cleanup(func() {
		if err := rt.RemovePodSandbox(context.Background(), id); err != nil {
			t.Errorf("RemovePodSandbox(%s): %v", name, err)
		}
	})
	return id, cfg
}

// run creates and starts a container of the test image with args.
func run(t *testing.T, rt *Runtime, sb string, sbc runtime.SandboxConfig, name string, res runtime.Resources, args ...string) string {
	t.Helper()
	ctx := context.Background()
	id, err := rt.CreateContainer(ctx, sb, runtime.ContainerConfig{Name: name, Image: testImage, Args: args, LogPath: name + ".log", Resources: res}, sbc)
	if err != nil {
		t.Fatalf("CreateContainer(%s): %v", name, err)
	}
	if err := rt.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer(%s): %v", name, err)
	}
	return id
}

// waitExit waits for a container to exit and returns its status.
func waitExit(t *testing.T, rt *Runtime, id string) runtime.ContainerStatus {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		st, err := rt.ContainerStatus(context.Background(), id)
		if err != nil {
			t.Fatalf("ContainerStatus: %v", err)
		}
		if st.State == runtime.ContainerExited {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s still %s after 20s", st.Name, st.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func logs(t *testing.T, rt *Runtime, id string) string {
	t.Helper()
	rc, err := rt.Logs(context.Background(), id, runtime.LogOptions{})
	if err != nil {
		t.Fatalf("Logs: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading logs: %v", err)
	}
	return string(b)
}

func TestContainersOfAPodTalkOverLocalhost(t *testing.T) {
	rt := newTestRuntime(t)
	sb, sbc := pod(t, rt, "localhost")
	run(t, rt, sb, sbc, "server", runtime.Resources{}, "listen", "9000", "127.0.0.1")
	client := run(t, rt, sb, sbc, "client", runtime.Resources{}, "dial", "127.0.0.1:9000")
	st := waitExit(t, rt, client)
	if got := logs(t, rt, client); st.ExitCode != 0 || got != "hello from localhost\n" {
		t.Errorf("client exited %d and printed %q, want 0 and the server's greeting with the pod's hostname", st.ExitCode, got)
	}
}

// TestShortImageName creates a container from the image's short name, as
// pod specs usually give it ("coxswain/testbin:1" for
// "docker.io/coxswain/testbin:1").
func TestShortImageName(t *testing.T) {
	rt := newTestRuntime(t)
	sb, sbc := pod(t, rt, "short")
	short := strings.TrimPrefix(testImage, "docker.io/")
	id, err := rt.CreateContainer(context.Background(), sb, runtime.ContainerConfig{Name: "app", Image: short, Args: []string{"exit", "0"}, LogPath: "app.log"}, sbc)
	if err != nil {
		t.Fatalf("CreateContainer with image %q: %v", short, err)
	}
	if err := rt.StartContainer(context.Background(), id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	if st := waitExit(t, rt, id); st.ExitCode != 0 {
		t.Errorf("container of image %q exited %d, want 0", short, st.ExitCode)
	}
}

func TestAPodReachesAnotherPodsIP(t *testing.T) {
	rt := newTestRuntime(t)
	a, ac := pod(t, rt, "server-pod")
	run(t, rt, a, ac, "server", runtime.Resources{}, "listen", "9001")
	st, err := rt.PodSandboxStatus(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	b, bc := pod(t, rt, "client-pod")
	client := run(t, rt, b, bc, "client", runtime.Resources{}, "dial", st.IP+":9001")
	cs := waitExit(t, rt, client)
	if got := logs(t, rt, client); cs.ExitCode != 0 || got != "hello from server-pod\n" {
		t.Errorf("client exited %d and printed %q, want 0 and a greeting from server-pod at %s", cs.ExitCode, got, st.IP)
	}
}

func TestMemoryLimitExceededIsOOMKilled(t *testing.T) {
	rt := newTestRuntime(t)
	sb, sbc := pod(t, rt, "oom")
	id := run(t, rt, sb, sbc, "hog", runtime.Resources{MemoryLimit: 32 << 20}, "alloc", "256")
	st := waitExit(t, rt, id)
	if st.Reason != runtime.ReasonOOMKilled || st.ExitCode != 137 {
		t.Errorf("exit %d reason %q (%s), want 137 OOMKilled; log %q", st.ExitCode, st.Reason, st.Message, logs(t, rt, id))
	}
	// Under the limit, the same program runs.
	ok := run(t, rt, sb, sbc, "fits", runtime.Resources{MemoryLimit: 64 << 20}, "alloc", "8")
	waitRunning(t, rt, ok)
}

func waitRunning(t *testing.T, rt *Runtime, id string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		st, err := rt.ContainerStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.State == runtime.ContainerRunning && strings.Contains(logs(t, rt, id), "allocated") {
			return
		}
		if st.State == runtime.ContainerExited || time.Now().After(deadline) {
			t.Fatalf("container %s is %s (exit %d %s), want Running with its memory allocated", st.Name, st.State, st.ExitCode, st.Reason)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMissingImage(t *testing.T) {
	rt := newTestRuntime(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const image = "registry.invalid/coxswain/missing:1"
	_, err := rt.PullImage(ctx, image)
	if !errors.Is(err, runtime.ErrImagePull) || !strings.Contains(err.Error(), image) {
		t.Errorf("PullImage(missing) = %v, want ErrImagePull naming the image", err)
	}
	sb, sbc := pod(t, rt, "missing")
	_, err = rt.CreateContainer(ctx, sb, runtime.ContainerConfig{Name: "c", Image: image}, sbc)
	if !errors.Is(err, runtime.ErrNotFound) || !strings.Contains(err.Error(), image) {
		t.Errorf("CreateContainer with a missing image = %v, want ErrNotFound naming the image", err)
	}
	if list, _ := rt.ListContainers(ctx, runtime.ContainerFilter{SandboxID: sb}); len(list) != 0 {
		t.Errorf("the failed container is listed: %+v", list)
	}
}

func TestStatsReportMemory(t *testing.T) {
	rt := newTestRuntime(t)
	sb, sbc := pod(t, rt, "stats")
	id := run(t, rt, sb, sbc, "hog", runtime.Resources{MemoryLimit: 256 << 20}, "alloc", "16")
	waitRunning(t, rt, id)
	st, err := rt.Stats(context.Background(), id)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.MemoryWorkingSetBytes < 16<<20 || st.CPUUsageCoreNanoSeconds == 0 {
		t.Errorf("stats = %+v, want at least 16 MiB working set and some cpu time", st)
	}
}

func TestHostNetworkSandbox(t *testing.T) {
	rt := newTestRuntime(t)
	sb, sbc := pod(t, rt, "hostnet", func(c *runtime.SandboxConfig) { c.HostNetwork = true })
	st, err := rt.PodSandboxStatus(context.Background(), sb)
	if err != nil {
		t.Fatal(err)
	}
	if st.IP != rt.cfg.HostIP {
		t.Errorf("host-network sandbox IP = %s, want the host's %s", st.IP, rt.cfg.HostIP)
	}
	id := run(t, rt, sb, sbc, "env", runtime.Resources{}, "printenv", "POD_IP")
	waitExit(t, rt, id)
	if got := logs(t, rt, id); got != st.IP+"\n" {
		t.Errorf("POD_IP = %q, want %s", got, st.IP)
	}
}

func TestExecWithStdin(t *testing.T) {
	rt := newTestRuntime(t)
	sb, sbc := pod(t, rt, "exec")
	id := run(t, rt, sb, sbc, "main", runtime.Resources{}, "sleep")
	for deadline := time.Now().Add(10 * time.Second); ; {
		if st, _ := rt.ContainerStatus(context.Background(), id); st.State == runtime.ContainerRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not running")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var out strings.Builder
	code, err := rt.Exec(context.Background(), id, runtime.ExecRequest{Cmd: []string{"/testbin", "print", "hi"}, Stdout: &out})
	if err != nil || code != 0 || out.String() != "hi\n" {
		t.Errorf("Exec = %d, %v, output %q; want 0 and hi", code, err, out.String())
	}
	out.Reset()
	code, err = rt.Exec(context.Background(), id, runtime.ExecRequest{Cmd: []string{"/testbin", "cat"}, Stdin: strings.NewReader("from stdin\n"), Stdout: &out})
	if err != nil || code != 0 || out.String() != "from stdin\n" {
		t.Errorf("Exec with stdin = %d, %v, output %q; want 0 and the input echoed", code, err, out.String())
	}
	_, err = rt.Exec(context.Background(), id, runtime.ExecRequest{Cmd: []string{"/no/such/program"}})
	if err == nil {
		t.Error("Exec of a missing program succeeded")
	}
}

func TestMissingPauseImage(t *testing.T) {
	rt := newTestRuntime(t, func(c *Config) { c.PauseImage, c.PauseContainer = "docker.io/coxswain/pause:none", true })
	_, err := rt.RunPodSandbox(context.Background(), runtime.SandboxConfig{Name: "p", Namespace: "test", UID: "u"})
	if !errors.Is(err, ErrNoPauseImage) || !strings.Contains(err.Error(), "pause:none") {
		t.Errorf("RunPodSandbox without the pause image = %v, want ErrNoPauseImage naming it", err)
	}
	if list, _ := rt.ListPodSandboxes(context.Background(), runtime.SandboxFilter{}); len(list) != 0 {
		t.Errorf("the failed sandbox is listed: %v", list)
	}
}

func TestHostPortReachesThePod(t *testing.T) {
	rt := newTestRuntime(t)
	sb, sbc := pod(t, rt, "hostport", func(c *runtime.SandboxConfig) {
		c.PortMappings = []runtime.PortMapping{{ContainerPort: 9003, HostPort: 18183}}
	})
	run(t, rt, sb, sbc, "server", runtime.Resources{}, "listen", "9003")
	addr := net.JoinHostPort(rt.cfg.HostIP, "18183")
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var c net.Conn
		if c, err = net.DialTimeout("tcp", addr, time.Second); err == nil {
			b, _ := io.ReadAll(c)
			c.Close()
			if string(b) != "hello from hostport\n" {
				t.Errorf("host port %s answered %q", addr, b)
			}
			return
		}
	}
	t.Errorf("host port %s of the pod: %v", addr, err)
}

// Pods start concurrently, as the agent's pod workers start them: each gets
// its own address (and the race detector sees the CNI calls overlap).
func TestConcurrentSandboxes(t *testing.T) {
	rt := newTestRuntime(t)
	const n = 4
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = rt.RunPodSandbox(context.Background(), runtime.SandboxConfig{Name: fmt.Sprintf("conc-%d", i), Namespace: "test", UID: fmt.Sprintf("uid-conc-%d", i)})
		}()
	}
	wg.Wait()
	ips := map[string]bool{}
	for i, id := range ids {
		if errs[i] != nil {
			t.Errorf("RunPodSandbox %d: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { _ = rt.RemovePodSandbox(context.Background(), id) })
		st, err := rt.PodSandboxStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.IP == "" || ips[st.IP] {
			t.Errorf("sandbox %d has address %q, empty or already given", i, st.IP)
		}
		ips[st.IP] = true
	}
}

// The containers of a pod share one shim (the pause container's, with
// Config.PauseContainer): the shim is the parent of each container's first
// process.
func TestOneShimPerPod(t *testing.T) {
	for _, pause := range []bool{false, true} {
		t.Run(fmt.Sprintf("pause=%v", pause), func(t *testing.T) {
			rt := newTestRuntime(t, func(c *Config) { c.PauseContainer = pause })
			sb, sbc := pod(t, rt, "shim")
			a := run(t, rt, sb, sbc, "a", runtime.Resources{}, "sleep")
			b := run(t, rt, sb, sbc, "b", runtime.Resources{}, "sleep")
			rt.mu.Lock()
			pids := []uint32{rt.containers[a].task.Pid(), rt.containers[b].task.Pid()}
			if pause {
				pids = append(pids, rt.sandboxes[sb].pid)
			}
			rt.mu.Unlock()
			var parents []int
			for _, pid := range pids {
				stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
				if err != nil {
					t.Fatal(err)
				}
				// The parent pid is the second field after the command, which is in
				// parentheses.
				f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
				ppid, err := strconv.Atoi(f[1])
				if err != nil {
					t.Fatalf("/proc/%d/stat: %v", pid, err)
				}
				parents = append(parents, ppid)
			}
			for _, p := range parents[1:] {
				if p != parents[0] {
					t.Errorf("parents of the pod's processes %v, want one shim for the pod", parents)
				}
			}
		})
	}
}

// By default a sandbox is its pinned namespaces and no process: containerd
// holds only the app containers, which share the pod's network, IPC and UTS
// namespaces (the pinned ones), with the pod's hostname and the loopback
// interface up. With Config.PauseContainer the same holds through the
// pause container.
func TestSandboxNamespaces(t *testing.T) {
	for _, pause := range []bool{false, true} {
		t.Run(fmt.Sprintf("pause=%v", pause), func(t *testing.T) {
			rt := newTestRuntime(t, func(c *Config) { c.PauseContainer = pause })
			ctx := rt.ns(context.Background())
			sb, sbc := pod(t, rt, "pinned")
			a := run(t, rt, sb, sbc, "a", runtime.Resources{}, "sleep")
			b := run(t, rt, sb, sbc, "b", runtime.Resources{}, "listen", "9002", "127.0.0.1")
			ctrs, err := rt.client.Containers(ctx, fmt.Sprintf("labels.%q==%s", labelPodName, "pinned"))
			if err != nil {
				t.Fatal(err)
			}
			want := 2
			if pause {
				want = 3
			}
			if len(ctrs) != want {
				t.Errorf("containerd holds %d containers for the pod, want %d (pause container: %v)", len(ctrs), want, pause)
			}
			rt.mu.Lock()
			pids := []uint32{rt.containers[a].task.Pid(), rt.containers[b].task.Pid()}
			ns := rt.sandboxes[sb].ns
			rt.mu.Unlock()
			for _, kind := range []string{"net", "ipc", "uts"} {
				var links []string
				for _, pid := range pids {
					l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
					if err != nil {
						t.Fatal(err)
					}
					links = append(links, l)
				}
				if links[0] != links[1] {
					t.Errorf("%s namespaces of the pod's containers differ: %v", kind, links)
				}
				self, _ := os.Readlink("/proc/self/ns/" + kind)
				if links[0] == self {
					t.Errorf("the pod's %s namespace is the host's: %s, pinned %+v", kind, self, ns)
				}
			}
			if !pause && (ns.ipc == "" || ns.uts == "" || ns.net == "") {
				t.Errorf("pinned namespaces = %+v, want net, ipc and uts", ns)
			}
			if pause && (ns.ipc != "" || ns.uts != "") {
				t.Errorf("pinned namespaces = %+v, want only net (the pause container holds ipc and uts)", ns)
			}
			client := run(t, rt, sb, sbc, "client", runtime.Resources{}, "dial", "127.0.0.1:9002")
			st := waitExit(t, rt, client)
			if got := logs(t, rt, client); st.ExitCode != 0 || got != "hello from pinned\n" {
				t.Errorf("client exited %d and printed %q, want 0 and a greeting over loopback with the pod's hostname", st.ExitCode, got)
			}
		})
	}
}

// Pinning namespaces leaves every thread of the process in its own
// namespaces: the pinning thread goes back to them before it is reused.
func TestPinNamespacesLeavesThreadsAlone(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("pinning namespaces needs root")
	}
	want := map[string]string{}
	for _, kind := range []string{"net", "ipc", "uts"} {
		want[kind], _ = os.Readlink("/proc/self/ns/" + kind)
	}
	dir := t.TempDir()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := pinNamespaces(fmt.Sprintf("%s/ns%d", dir, i), true, true, fmt.Sprintf("pod%d", i))
			if err != nil {
				t.Error(err)
				return
			}
			if err := unpin(p.paths()...); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, task := range tasks {
		for kind, w := range want {
			if got, err := os.Readlink("/proc/self/task/" + task.Name() + "/ns/" + kind); err == nil && got != w {
				t.Errorf("thread %s is in %s, want %s", task.Name(), got, w)
			}
		}
	}
	if _, err := pinNamespaces(dir+"/long", false, true, strings.Repeat("h", 65)); err == nil || !strings.Contains(err.Error(), "hostname") {
		t.Errorf("pinning with a 65-character hostname = %v, want an error naming the hostname", err)
	}
}

// The built-in network masquerades pods with one nftables rule of the
// driver's own, not with the bridge plugin's per-pod iptables chains.
func TestMasqueradeRule(t *testing.T) {
	rt := newTestRuntime(t)
	c, err := nft.New()
	if err != nil {
		t.Fatal(err)
	}
	table := &nft.Table{Name: masqueradeTable(rt.cfg), Family: nft.TableFamilyIPv4}
	rules, err := c.GetRules(table, &nft.Chain{Name: "postrouting", Table: table})
	if err != nil {
		t.Fatalf("rules of nftables table %s: %v", table.Name, err)
	}
	masq := 0
	for _, r := range rules {
		for _, e := range r.Exprs {
			if _, ok := e.(*expr.Masq); ok {
				masq++
			}
		}
	}
	if len(rules) != 1 || masq != 1 {
		t.Errorf("table %s holds %d rules with %d masquerades, want one", table.Name, len(rules), masq)
	}
	if b := rt.net.pick(false).Plugins[0].Bytes; !bytes.Contains(b, []byte(`"ipMasq":false`)) {
		t.Errorf("the bridge plugin masquerades too: %s", b)
	}
}

// ImageStatus reports every name of the asked image's content, and only
// those.
func TestImageStatusTags(t *testing.T) {
	rt := newTestRuntime(t)
	ctx := rt.ns(context.Background())
	is := rt.client.ImageService()
	img, err := is.Get(ctx, testImage)
	if err != nil {
		t.Fatal(err)
	}
	alias := img
	alias.Name = "docker.io/coxswain/testbin:alias"
	if _, err := is.Create(ctx, alias); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = is.Delete(context.Background(), alias.Name) })
	for _, name := range []string{testImage, "coxswain/testbin:alias"} {
		st, err := rt.ImageStatus(context.Background(), name)
		if err != nil {
			t.Fatalf("ImageStatus(%s): %v", name, err)
		}
		want := []string{testImage, alias.Name} // sorted
		if st.ID != img.Target.Digest.String() || strings.Join(st.Tags, " ") != strings.Join(want, " ") || st.Size == 0 {
			t.Errorf("ImageStatus(%s) = %+v, want ID %s, tags %v and a size", name, st, img.Target.Digest, want)
		}
	}
}
