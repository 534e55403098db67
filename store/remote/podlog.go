package remote

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/coxswain/coxswain/types"
)

// servePodLog serves GET pods/{name}/log (kubectl logs) by passing the
// request on to the agent of the pod's node: GET
// http://{InternalIP}:{kubeletEndpoint port}/containerLogs/{ns}/{pod}/{container}
// with follow and tailLines, streaming the answer back.
func (s *Server) servePodLog(w http.ResponseWriter, r *http.Request, req Request, ns string) {
	if req.Verb != "get" {
		writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, "only get is supported on pods/log"))
		return
	}
	q := r.URL.Query()
	if isTrue(q.Get("previous")) {
		writeStatus(w, badRequest("previous=true is not supported: the node agent keeps the logs of the current container only"))
		return
	}
	tail := q.Get("tailLines")
	if tail != "" {
		if n, err := strconv.Atoi(tail); err != nil || n < 0 {
			writeStatus(w, badRequest("tailLines %q is not a non-negative integer", tail))
			return
		}
	}
	obj, err := s.st.Get(r.Context(), "Pod", ns, req.Name)
	if err != nil {
		s.fail(w, err, req)
		return
	}
	pod := obj.(*types.Pod)
	container := q.Get("container")
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	switch {
	case container == "" && len(pod.Spec.Containers) == 1:
		container = pod.Spec.Containers[0].Name
	case container == "":
		writeStatus(w, badRequest("a container name must be specified for pod %s, choose one of: %v", pod.Name, names))
		return
	default:
		ok := false
		for _, n := range names {
			ok = ok || n == container
		}
		if !ok {
			writeStatus(w, badRequest("container %s is not valid for pod %s", container, pod.Name))
			return
		}
	}
	if pod.Spec.NodeName == "" {
		writeStatus(w, badRequest("pod %s does not have a host assigned", pod.Name))
		return
	}
	nobj, err := s.st.Get(r.Context(), "Node", "", pod.Spec.NodeName)
	if err != nil {
		s.fail(w, err, Request{Resource: "nodes", Name: pod.Spec.NodeName})
		return
	}
	node := nobj.(*types.Node)
	addr := ""
	for _, a := range node.Status.Addresses {
		if a.Type == "InternalIP" {
			addr = a.Address
			break
		}
	}
	port := node.Status.DaemonEndpoints.KubeletEndpoint.Port
	if addr == "" || port == 0 {
		writeStatus(w, newStatus(http.StatusServiceUnavailable, ReasonServiceUnavailable,
			fmt.Sprintf("node %s does not publish its agent's address (status.addresses InternalIP and status.daemonEndpoints.kubeletEndpoint.port)", node.Name)))
		return
	}
	aq := url.Values{}
	if isTrue(q.Get("follow")) {
		aq.Set("follow", "true")
	}
	if tail != "" {
		aq.Set("tailLines", tail)
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(addr, strconv.Itoa(int(port))),
		Path: "/containerLogs/" + url.PathEscape(ns) + "/" + url.PathEscape(pod.Name) + "/" + url.PathEscape(container), RawQuery: aq.Encode()}
	areq, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		writeStatus(w, newStatus(http.StatusInternalServerError, ReasonInternalError, err.Error()))
		return
	}
	rt := s.cfg.NodeTransport
	if rt == nil {
		rt = http.DefaultTransport
	}
	resp, err := rt.RoundTrip(areq)
	if err != nil {
		writeStatus(w, newStatus(http.StatusServiceUnavailable, ReasonServiceUnavailable,
			fmt.Sprintf("reaching the agent of node %s for the logs of %s/%s: %v", node.Name, pod.Name, container, err)))
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		text := strings.TrimSpace(string(msg))
		switch resp.StatusCode {
		case http.StatusNotFound:
			writeStatus(w, newStatus(http.StatusNotFound, ReasonNotFound, fmt.Sprintf("container %q in pod %q is not running on node %s: %s", container, pod.Name, node.Name, text)))
		case http.StatusBadRequest:
			writeStatus(w, badRequest("%s", text))
		default:
			writeStatus(w, newStatus(http.StatusInternalServerError, ReasonInternalError, fmt.Sprintf("the agent of node %s answered %d: %s", node.Name, resp.StatusCode, text)))
		}
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}
