// Command ctrbench measures pod start latency of the containerd driver side
// by side with `ctr run`, against one private containerd started for the
// run, with the same image. It needs root, containerd, runc, ctr and the CNI
// plugins; it is not part of CI.
//
//	cd compat && go run ./ctrbench -n 50 -concurrent 20
//
// It measures, n times each and interleaved so drift hits all alike:
//
//   - ctr: `ctr run -d` of the image (create the container and its
//     snapshot, create and start the task; no network setup), until it
//     returns;
//   - hostnet: RunPodSandbox with HostNetwork, CreateContainer,
//     StartContainer, until the container is Running (one container: the
//     sandbox is pinned namespaces; no CNI);
//   - cni: the same with pod networking (netns, CNI bridge);
//   - cni+pause: the same on a driver with Config.PauseContainer (two
//     containers: the pause container and the app), as Kubernetes' CRI
//     plugin starts a pod;
//   - agent: a pod created in an in-memory store until the store says it is
//     Running, through the node agent (runtime/agent) on a second driver
//     (its own containerd namespace and bridge): the agent's watch, pod
//     worker, the driver calls of cni, and the status write;
//
// and then, -concurrent at once and the latency of each: `ctr run -d` (the
// reference under the same contention), pods through the driver with host
// network, with CNI and with CNI and a pause container, and pods through
// the agent. It also prints how long each driver call took, the p50 of each
// step of a pod's start through the agent (from its creation in the store
// to RunPodSandbox, the three driver calls, and from StartContainer's
// return to the store saying Running), the load average, and a warning for
// any agent pod whose container restarted before it was Running.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/containerd"
)

const (
	ns         = "coxswain-bench"
	image      = "docker.io/coxswain/sleeper:1"
	pauseImage = "docker.io/coxswain/pause:bench"
)

func main() {
	n := flag.Int("n", 50, "starts measured per variant")
	conc := flag.Int("concurrent", 20, "pods started at once in the concurrent run")
	flag.Parse()
	if err := run(*n, *conc); err != nil {
		log.Fatal(err)
	}
}

func run(n, conc int) error {
	dir, err := os.MkdirTemp("", "ctrbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "containerd.sock")
	stop, err := startContainerd(dir, sock)
	if err != nil {
		return err
	}
	defer stop()

	ctx := context.Background()
	rt, err := containerd.New(ctx, containerd.Config{Address: sock, Namespace: ns, StateDir: filepath.Join(dir, "driver"),
		PauseImage: pauseImage, Bridge: "coxbench0", PodCIDR: "10.215.0.0/16", NetworkName: "coxswain-bench", CgroupRoot: "/coxswain-bench"})
	if err != nil {
		return err
	}
	defer rt.Close()
	rtPause, err := containerd.New(ctx, containerd.Config{Address: sock, Namespace: ns + "-pause", StateDir: filepath.Join(dir, "driver-pause"),
		PauseContainer: true, PauseImage: pauseImage, Bridge: "coxbench2", PodCIDR: "10.218.0.0/16", NetworkName: "coxswain-bench-pause",
		CgroupRoot: "/coxswain-bench-pause"})
	if err != nil {
		return err
	}
	defer rtPause.Close()
	var images [][]byte
	for name, pkg := range map[string]string{image: "./ctrbench/sleeper", pauseImage: "github.com/coxswain/coxswain/runtime/containerd/pause"} {
		bin := filepath.Join(dir, "bin")
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v: %s", pkg, err, out)
		}
		b, err := os.ReadFile(bin)
		if err != nil {
			return err
		}
		var arch bytes.Buffer
		if _, err := containerd.BuildImage(ctx, &arch, containerd.ImageSpec{Name: name, Files: map[string][]byte{"/bin": b}, Entrypoint: []string{"/bin"}}); err != nil {
			return err
		}
		archive := arch.Bytes()
		for _, r := range []*containerd.Runtime{rt, rtPause} {
			if _, err := r.LoadImage(ctx, bytes.NewReader(archive)); err != nil {
				return err
			}
		}
		images = append(images, archive)
	}

	ag, err := startAgent(ctx, dir, sock, images)
	if err != nil {
		return err
	}
	defer ag.stop()

	var ctrT, hostT, cniT, pauseT, agentT []time.Duration
	var sandboxes, pauseSandboxes []string
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("ctr-%d", i)
		start := time.Now()
		if out, err := exec.Command("ctr", "--address", sock, "-n", ns, "run", "-d", image, id).CombinedOutput(); err != nil {
			return fmt.Errorf("ctr run: %v: %s", err, out)
		}
		ctrT = append(ctrT, time.Since(start))
		for _, hn := range []bool{true, false} {
			d, sb, err := startPod(ctx, rt, fmt.Sprintf("p%d-%v", i, hn), variantName(false, hn, false))
			if err != nil {
				return err
			}
			sandboxes = append(sandboxes, sb)
			if hn {
				hostT = append(hostT, d)
			} else {
				cniT = append(cniT, d)
			}
		}
		d, sb, err := startPod(ctx, rtPause, fmt.Sprintf("q%d", i), variantName(false, false, true))
		if err != nil {
			return err
		}
		pauseSandboxes = append(pauseSandboxes, sb)
		pauseT = append(pauseT, d)
		d, err = ag.start(ctx, fmt.Sprintf("as%d", i))
		if err != nil {
			return err
		}
		agentT = append(agentT, d)
		// Keep the machine's load steady: clean up as we go.
		_ = exec.Command("ctr", "--address", sock, "-n", ns, "task", "kill", "-s", "KILL", id).Run()
		time.Sleep(20 * time.Millisecond)
		_ = exec.Command("ctr", "--address", sock, "-n", ns, "task", "rm", "-f", id).Run()
		_ = exec.Command("ctr", "--address", sock, "-n", ns, "container", "rm", id).Run()
		for _, sb := range sandboxes {
			_ = rt.RemovePodSandbox(ctx, sb)
		}
		sandboxes = sandboxes[:0]
		for _, sb := range pauseSandboxes {
			_ = rtPause.RemovePodSandbox(ctx, sb)
		}
		pauseSandboxes = pauseSandboxes[:0]
		if err := ag.deleteAll(ctx); err != nil {
			return err
		}
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	concurrent := func(hostNet, pause bool) []time.Duration {
		rt := rt
		if pause {
			rt = rtPause
		}
		ds := make([]time.Duration, conc)
		sbs := make([]string, conc)
		for i := 0; i < conc; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, sb, err := startPod(ctx, rt, fmt.Sprintf("c%d-%v-%v", i, hostNet, pause), variantName(true, hostNet, pause))
				mu.Lock()
				defer mu.Unlock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				ds[i], sbs[i] = d, sb
			}()
		}
		wg.Wait()
		for _, sb := range sbs {
			if sb != "" {
				_ = rt.RemovePodSandbox(ctx, sb)
			}
		}
		return ds
	}
	// The reference under the same concurrency: conc `ctr run -d` at once.
	concCtrT := make([]time.Duration, conc)
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("cctr-%d", i)
			start := time.Now()
			out, err := exec.Command("ctr", "--address", sock, "-n", ns, "run", "-d", image, id).CombinedOutput()
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("ctr run: %v: %s", err, out)
			}
			concCtrT[i] = time.Since(start)
		}()
	}
	wg.Wait()
	for i := 0; i < conc; i++ {
		id := fmt.Sprintf("cctr-%d", i)
		_ = exec.Command("ctr", "--address", sock, "-n", ns, "task", "kill", "-s", "KILL", id).Run()
		_ = exec.Command("ctr", "--address", sock, "-n", ns, "task", "rm", "-f", id).Run()
		_ = exec.Command("ctr", "--address", sock, "-n", ns, "container", "rm", id).Run()
	}
	concHostT := concurrent(true, false)
	concT := concurrent(false, false)
	concPauseT := concurrent(false, true)
	if firstErr != nil {
		return firstErr
	}

	agentConcT := make([]time.Duration, conc)
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := ag.start(ctx, fmt.Sprintf("ac%d", i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			agentConcT[i] = d
		}()
	}
	wg.Wait()
	if err := ag.deleteAll(ctx); err != nil {
		return err
	}
	if firstErr != nil {
		return firstErr
	}

	v, _ := rt.Version(ctx)
	fmt.Printf("containerd %s, %d starts per variant, %d concurrent\n\n", v.RuntimeVersion, n, conc)
	fmt.Println("| variant | p50 | p99 | ratio p50 vs ctr run |")
	fmt.Println("|---|---|---|---|")
	base := pct(ctrT, 50)
	for _, row := range []struct {
		name string
		d    []time.Duration
	}{
		{"ctr run -d (no network)", ctrT},
		{"driver, host network", hostT},
		{"driver, CNI bridge", cniT},
		{"driver, CNI bridge, pause container + app", pauseT},
		{fmt.Sprintf("ctr run -d, %d at once", conc), concCtrT},
		{fmt.Sprintf("driver, host network, %d at once", conc), concHostT},
		{fmt.Sprintf("driver, CNI, %d at once", conc), concT},
		{fmt.Sprintf("driver, CNI, pause container, %d at once", conc), concPauseT},
		{"agent: create to Running in the store (CNI)", agentT},
		{fmt.Sprintf("agent, %d pods created at once", conc), agentConcT},
	} {
		fmt.Printf("| %s | %v | %v | %.2fx |\n", row.name, pct(row.d, 50).Round(100*time.Microsecond),
			pct(row.d, 99).Round(100*time.Microsecond), float64(pct(row.d, 50))/float64(base))
	}
	cb := float64(pct(concCtrT, 50))
	fmt.Printf("\nAt %d at once, p50 vs ctr run -d at %d at once: driver host network %.2fx, driver CNI %.2fx, with a pause container %.2fx, agent %.2fx\n",
		conc, conc, float64(pct(concHostT, 50))/cb, float64(pct(concT, 50))/cb, float64(pct(concPauseT, 50))/cb, float64(pct(agentConcT, 50))/cb)
	cp := float64(pct(concCtrT, 99))
	fmt.Printf("At %d at once, p99 vs ctr run -d at %d at once: driver host network %.2fx, driver CNI %.2fx, with a pause container %.2fx, agent %.2fx\n",
		conc, conc, float64(pct(concHostT, 99))/cp, float64(pct(concT, 99))/cp, float64(pct(concPauseT, 99))/cp, float64(pct(agentConcT, 99))/cp)
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("Load average at the end: %s", la)
	}
	phases.print()
	fmt.Println()
	fmt.Println("| agent, p50 of each step | created → RunPodSandbox | RunPodSandbox | → CreateContainer returned | → StartContainer returned | → Running in the store |")
	fmt.Println("|---|---|---|---|---|---|")
	ag.printTraces("sequential", "as")
	ag.printTraces(fmt.Sprintf("%d at once", conc), "ac")
	for _, r := range ag.restarts {
		fmt.Println("warning:", r)
	}
	return nil
}

// startPod runs a sandbox and one container in it and returns how long it
// took until the container was Running.
func startPod(ctx context.Context, rt *containerd.Runtime, name, variant string) (time.Duration, string, error) {
	hostNet := strings.Contains(variant, "host network")
	start := time.Now()
	sbc := runtime.SandboxConfig{Name: name, Namespace: "bench", UID: name, HostNetwork: hostNet}
	sb, err := rt.RunPodSandbox(ctx, sbc)
	if err != nil {
		return 0, "", err
	}
	t1 := time.Now()
	id, err := rt.CreateContainer(ctx, sb, runtime.ContainerConfig{Name: "app", Image: image}, sbc)
	if err != nil {
		return 0, sb, err
	}
	t2 := time.Now()
	if err := rt.StartContainer(ctx, id); err != nil {
		return 0, sb, err
	}
	phases.add(variant, t1.Sub(start), t2.Sub(t1), time.Since(t2))
	for {
		st, err := rt.ContainerStatus(ctx, id)
		if err != nil {
			return 0, sb, err
		}
		if st.State == runtime.ContainerRunning {
			return time.Since(start), sb, nil
		}
		time.Sleep(time.Millisecond)
	}
}

func pct(d []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i]
}

// startContainerd starts a private containerd (the CRI plugin off) and
// returns how to stop it.
func startContainerd(dir, sock string) (func(), error) {
	conf := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(conf, []byte("version = 2\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"), 0o644); err != nil {
		return nil, err
	}
	var logs bytes.Buffer
	cmd := exec.Command("containerd", "--config", conf, "--root", filepath.Join(dir, "root"), "--state", filepath.Join(dir, "state"), "--address", sock)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		unmountUnder(dir)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			return stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("containerd did not start: %s", logs.String())
		}
	}
}

func unmountUnder(dir string) {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		_ = exec.Command("umount", "-l", points[i]).Run()
	}
}

// phaseLog records how long each call of a pod start took, by variant (the
// pod name's prefix), to show where the time goes.
type phaseLog struct {
	mu sync.Mutex
	d  map[string][3][]time.Duration
}

var phases = &phaseLog{d: map[string][3][]time.Duration{}}

func (l *phaseLog) add(variant string, sb, create, start time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := l.d[variant]
	for i, d := range []time.Duration{sb, create, start} {
		v[i] = append(v[i], d)
	}
	l.d[variant] = v
}

// variantName names a driver variant in the phase table.
func variantName(concurrent, hostNet, pause bool) string {
	s := "sequential"
	if concurrent {
		s = "concurrent"
	}
	switch {
	case hostNet:
		return s + ", host network"
	case pause:
		return s + ", CNI, pause container"
	}
	return s + ", CNI"
}

func (l *phaseLog) print() {
	fmt.Println()
	fmt.Println("| driver variant | RunPodSandbox p50 | CreateContainer p50 | StartContainer p50 |")
	fmt.Println("|---|---|---|---|")
	for _, variant := range []string{"sequential, host network", "sequential, CNI", "sequential, CNI, pause container",
		"concurrent, host network", "concurrent, CNI", "concurrent, CNI, pause container"} {
		v := l.d[variant]
		if len(v[0]) == 0 {
			continue
		}
		fmt.Printf("| %s | %v | %v | %v |\n", variant, pct(v[0], 50).Round(100*time.Microsecond),
			pct(v[1], 50).Round(100*time.Microsecond), pct(v[2], 50).Round(100*time.Microsecond))
	}
}
