package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/coxswain/coxswain/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HeaderExitCode is the trailer of an /exec response that carries the
// command's exit code.
const HeaderExitCode = "X-Exit-Code"

// Handler returns the agent's HTTP API:
//
//	GET  /healthz                                   "ok"
//	GET  /metrics                                   Prometheus metrics (when the Registerer is a Gatherer)
//	GET  /stats/summary                             Summary as JSON
//	GET  /containerLogs/{namespace}/{pod}/{container}?follow=true&tailLines=N
//	POST /exec/{namespace}/{pod}/{container}?command=sh&command=-c&command=...
//
// /exec runs the command with the request body as stdin and streams its
// stdout and stderr, interleaved, as the response body; the exit code is the
// X-Exit-Code trailer. The API server proxies these for `logs` and `exec`.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := a.rt.Version(r.Context()); err != nil {
			http.Error(w, "runtime: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	if g, ok := a.cfg.Registerer.(prometheus.Gatherer); ok {
		mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("GET /stats/summary", func(w http.ResponseWriter, r *http.Request) {
		s, err := a.Summary(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s)
	})
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", a.serveLogs)
	mux.HandleFunc("POST /exec/{ns}/{pod}/{container}", a.serveExec)
	return mux
}

// ContainerID returns the runtime ID of the current container named
// container of pod namespace/name on this node, or ErrNotFound.
func (a *Agent) ContainerID(ctx context.Context, namespace, pod, container string) (string, error) {
	cs, err := a.rt.ListContainers(ctx, runtime.ContainerFilter{Labels: map[string]string{
		runtime.LabelPodNamespace: namespace, runtime.LabelPodName: pod, runtime.LabelContainerName: container}})
	if err != nil {
		return "", err
	}
	if len(cs) == 0 {
		return "", fmt.Errorf("%w: container %q of pod %s/%s", ErrNotFound, container, namespace, pod)
	}
	best := cs[0]
	for _, c := range cs[1:] {
		if c.Attempt >= best.Attempt {
			best = c
		}
	}
	return best.ID, nil
}

func httpError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	if errors.Is(err, ErrNotFound) || errors.Is(err, runtime.ErrNotFound) {
		code = http.StatusNotFound
	} else if errors.Is(err, runtime.ErrNotRunning) {
		code = http.StatusConflict
	}
	http.Error(w, err.Error(), code)
}

func (a *Agent) serveLogs(w http.ResponseWriter, r *http.Request) {
	id, err := a.ContainerID(r.Context(), r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container"))
	if err != nil {
		httpError(w, err)
		return
	}
	q := r.URL.Query()
	opts := runtime.LogOptions{Follow: q.Get("follow") == "true" || q.Get("follow") == "1"}
	if t := q.Get("tailLines"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			http.Error(w, fmt.Sprintf("tailLines: invalid value %q", t), http.StatusBadRequest)
			return
		}
		opts.Tail = n
	}
	rc, err := a.rt.Logs(r.Context(), id, opts)
	if err != nil {
		httpError(w, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fw := flushWriter{w}
	_, _ = io.Copy(fw, rc)
}

type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}

func (a *Agent) serveExec(w http.ResponseWriter, r *http.Request) {
	cmd := r.URL.Query()["command"]
	if len(cmd) == 0 {
		http.Error(w, "command: at least one command parameter is required", http.StatusBadRequest)
		return
	}
	id, err := a.ContainerID(r.Context(), r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container"))
	if err != nil {
		httpError(w, err)
		return
	}
	w.Header().Set("Trailer", HeaderExitCode)
	w.Header().Set("Content-Type", "application/octet-stream")
	out := &lockedWriter{w: flushWriter{w}}
	code, err := a.rt.Exec(r.Context(), id, runtime.ExecRequest{Cmd: cmd, Stdin: r.Body, Stdout: out, Stderr: out})
	if err != nil {
		w.Header().Set(HeaderExitCode, "-1")
		_, _ = fmt.Fprintf(out, "\nexec: %v\n", err)
		return
	}
	w.Header().Set(HeaderExitCode, strconv.Itoa(code))
}
