package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/types"
)

const (
	probeStartup = iota
	probeLiveness
	probeReadiness
)

// probeState counts one probe's consecutive results.
type probeState struct {
	next      time.Time // when it is due; zero: not scheduled yet
	successes int32
	failures  int32
	// ok is the probe's current verdict (after thresholds).
	ok bool
}

// probeTimes are a probe's timings with Kubernetes' defaults.
func probeTimes(p *types.Probe) (delay, period, timeout time.Duration, success, failure int32) {
	delay = time.Duration(p.InitialDelaySeconds) * time.Second
	period = time.Duration(or(p.PeriodSeconds, 10)) * time.Second
	timeout = time.Duration(or(p.TimeoutSeconds, 1)) * time.Second
	return delay, period, timeout, or(p.SuccessThreshold, 1), or(p.FailureThreshold, 3)
}

// probe runs the container's due probes: the startup probe until it
// succeeds, then liveness (whose failure restarts the container) and
// readiness (which gates the pod's Ready condition).
func (w *podWorker) probe(ctx context.Context, pod *types.Pod, c *types.Container, st *ctrState, now time.Time) {
	started := st.status.StartedAt
	if started.IsZero() {
		started = now
	}
	if !st.startupDone {
		if c.StartupProbe == nil {
			st.startupDone = true
		} else {
			res, ran := w.runProbe(ctx, pod, c, st, c.StartupProbe, &st.probes[probeStartup], started, now)
			if ran && res {
				st.startupDone = true
			}
			if ran && !res && st.probes[probeStartup].failures >= failureOf(c.StartupProbe) {
				w.killForProbe(ctx, pod, c, st, c.StartupProbe, "Startup")
				return
			}
			if !st.startupDone {
				st.ready = false
				return
			}
		}
	}
	if c.LivenessProbe != nil {
		res, ran := w.runProbe(ctx, pod, c, st, c.LivenessProbe, &st.probes[probeLiveness], started, now)
		if ran && !res && st.probes[probeLiveness].failures >= failureOf(c.LivenessProbe) {
			w.killForProbe(ctx, pod, c, st, c.LivenessProbe, "Liveness")
			return
		}
	}
	if c.ReadinessProbe == nil {
		st.ready = true
		return
	}
	ps := &st.probes[probeReadiness]
	res, ran := w.runProbe(ctx, pod, c, st, c.ReadinessProbe, ps, started, now)
	if !ran {
		return
	}
	_, _, _, succ, fail := probeTimes(c.ReadinessProbe)
	switch {
	case res && ps.successes >= succ:
		st.ready = true
	case !res && ps.failures >= fail:
		st.ready = false
	}
}

func failureOf(p *types.Probe) int32 {
	_, _, _, _, f := probeTimes(p)
	return f
}

func (w *podWorker) killForProbe(ctx context.Context, pod *types.Pod, c *types.Container, st *ctrState, p *types.Probe, kind string) {
	grace := w.grace(pod)
	if p.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*p.TerminationGracePeriodSeconds) * time.Second
	}
	w.a.log.Info("container failed probe, restarting", "pod", w.key, "container", c.Name, "probe", kind)
	if err := w.a.rt.StopContainer(ctx, st.id, grace); err != nil && ctx.Err() == nil {
		w.a.log.Warn("stopping container", "pod", w.key, "container", c.Name, "err", err)
	}
	st.ready = false
	if s, err := w.a.rt.ContainerStatus(ctx, st.id); err == nil {
		st.status, st.has = s, true
	}
}

// runProbe runs p when due and records the result; ran reports whether it
// ran.
func (w *podWorker) runProbe(ctx context.Context, pod *types.Pod, c *types.Container, st *ctrState, p *types.Probe, ps *probeState, started, now time.Time) (result, ran bool) {
	delay, period, timeout, _, _ := probeTimes(p)
	if ps.next.IsZero() {
		ps.next = started.Add(delay)
	}
	if now.Before(ps.next) {
		return ps.ok, false
	}
	ps.next = now.Add(period)
	ok, _ := w.a.doProbe(ctx, w.podIP(), c, st.id, &p.ProbeHandler, timeout)
	if ok {
		ps.successes++
		ps.failures = 0
	} else {
		ps.failures++
		ps.successes = 0
	}
	ps.ok = ok
	return ok, true
}

func (w *podWorker) podIP() string {
	if len(w.podIPs) > 0 {
		return w.podIPs[0]
	}
	return ""
}

// doProbe runs one probe handler against container id of c at podIP. The
// timeout is on the real clock (it bounds real I/O).
func (a *Agent) doProbe(ctx context.Context, podIP string, c *types.Container, id string, h *types.ProbeHandler, timeout time.Duration) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case h.Exec != nil:
		code, err := a.rt.Exec(ctx, id, runtime.ExecRequest{Cmd: h.Exec.Command, Stdout: io.Discard, Stderr: io.Discard})
		if err != nil {
			return false, err.Error()
		}
		return code == 0, fmt.Sprintf("exit code %d", code)
	case h.HTTPGet != nil:
		g := h.HTTPGet
		port, err := resolvePort(g.Port, c)
		if err != nil {
			return false, err.Error()
		}
		host := or(g.Host, podIP)
		scheme := "http"
		if g.Scheme == types.URISchemeHTTPS {
			scheme = "https"
		}
		path := g.Path
		if path == "" || path[0] != '/' {
			path = "/" + path
		}
		url := scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port)) + path
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err.Error()
		}
		req.Header.Set("User-Agent", "kube-probe/"+Version)
		for _, hh := range g.HTTPHeaders {
			if hh.Name == "Host" {
				req.Host = hh.Value
				continue
			}
			req.Header.Add(hh.Name, hh.Value)
		}
		tr := &http.Transport{DialContext: a.dialer(), DisableKeepAlives: true,
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // probes do not verify, as the kubelet's
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			return false, err.Error()
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 10<<10))
		resp.Body.Close()
		return resp.StatusCode >= 200 && resp.StatusCode < 400, resp.Status
	case h.TCPSocket != nil:
		port, err := resolvePort(h.TCPSocket.Port, c)
		if err != nil {
			return false, err.Error()
		}
		conn, err := a.dialer()(ctx, "tcp", net.JoinHostPort(or(h.TCPSocket.Host, podIP), strconv.Itoa(port)))
		if err != nil {
			return false, err.Error()
		}
		conn.Close()
		return true, ""
	}
	return false, "probe has no handler"
}

func (a *Agent) dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	if a.cfg.Dial != nil {
		return a.cfg.Dial
	}
	var d net.Dialer
	return d.DialContext
}

// resolvePort returns a probe's port number, looking a name up in the
// container's ports.
func resolvePort(p types.IntOrString, c *types.Container) (int, error) {
	if p.Type == types.Int {
		if p.IntVal <= 0 || p.IntVal > 65535 {
			return 0, fmt.Errorf("invalid probe port %d", p.IntVal)
		}
		return int(p.IntVal), nil
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil && n > 0 && n <= 65535 {
		return n, nil
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("probe port %q not found in container %s's ports", p.StrVal, c.Name)
}
