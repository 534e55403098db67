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
//     StartContainer, until the container is Running (two containers: the
//     pause container and the app; no CNI);
//   - cni: the same with pod networking (netns, CNI bridge and loopback);
//
// and then -concurrent pods (cni) started at once, the latency of each.
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
		if _, err := rt.LoadImage(ctx, &arch); err != nil {
			return err
		}
	}

	var ctrT, hostT, cniT []time.Duration
	var sandboxes []string
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("ctr-%d", i)
		start := time.Now()
		if out, err := exec.Command("ctr", "--address", sock, "-n", ns, "run", "-d", image, id).CombinedOutput(); err != nil {
			return fmt.Errorf("ctr run: %v: %s", err, out)
		}
		ctrT = append(ctrT, time.Since(start))
		for _, hn := range []bool{true, false} {
			d, sb, err := startPod(ctx, rt, fmt.Sprintf("p%d-%v", i, hn), hn)
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
		// Keep the machine's load steady: clean up as we go.
		_ = exec.Command("ctr", "--address", sock, "-n", ns, "task", "kill", "-s", "KILL", id).Run()
		time.Sleep(20 * time.Millisecond)
		_ = exec.Command("ctr", "--address", sock, "-n", ns, "task", "rm", "-f", id).Run()
		_ = exec.Command("ctr", "--address", sock, "-n", ns, "container", "rm", id).Run()
		for _, sb := range sandboxes {
			_ = rt.RemovePodSandbox(ctx, sb)
		}
		sandboxes = sandboxes[:0]
	}

	concT := make([]time.Duration, conc)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	sbs := make([]string, conc)
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, sb, err := startPod(ctx, rt, fmt.Sprintf("c%d", i), false)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			concT[i], sbs[i] = d, sb
		}()
	}
	wg.Wait()
	for _, sb := range sbs {
		if sb != "" {
			_ = rt.RemovePodSandbox(ctx, sb)
		}
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
		{"driver, host network (pause + app)", hostT},
		{"driver, CNI bridge (pause + app)", cniT},
		{fmt.Sprintf("driver, CNI, %d at once", conc), concT},
	} {
		fmt.Printf("| %s | %v | %v | %.2fx |\n", row.name, pct(row.d, 50).Round(100*time.Microsecond),
			pct(row.d, 99).Round(100*time.Microsecond), float64(pct(row.d, 50))/float64(base))
	}
	return nil
}

// startPod runs a sandbox and one container in it and returns how long it
// took until the container was Running.
func startPod(ctx context.Context, rt *containerd.Runtime, name string, hostNet bool) (time.Duration, string, error) {
	start := time.Now()
	sbc := runtime.SandboxConfig{Name: name, Namespace: "bench", UID: name, HostNetwork: hostNet}
	sb, err := rt.RunPodSandbox(ctx, sbc)
	if err != nil {
		return 0, "", err
	}
	id, err := rt.CreateContainer(ctx, sb, runtime.ContainerConfig{Name: "app", Image: image}, sbc)
	if err != nil {
		return 0, sb, err
	}
	if err := rt.StartContainer(ctx, id); err != nil {
		return 0, sb, err
	}
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
