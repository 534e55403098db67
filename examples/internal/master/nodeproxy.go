package master

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// NodeProxyPath prefixes requests the API server passes on to a node agent's
// HTTP API: NodeProxyPath + "<node>/containerLogs/<ns>/<pod>/<container>"
// or "<node>/exec/...", as Kubernetes' nodes/proxy subresource.
const NodeProxyPath = "/coxswain/v1/nodeproxy/"

// nodeProxy forwards to the agent at the node's InternalIP and
// daemonEndpoints.kubeletEndpoint.Port.
type nodeProxy struct {
	st  store.Store
	log *slog.Logger
}

func (p *nodeProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, NodeProxyPath)
	name, path, _ := strings.Cut(rest, "/")
	obj, err := p.st.Get(r.Context(), "Node", "", name)
	if err != nil {
		http.Error(w, fmt.Sprintf("node %q: %v", name, err), http.StatusNotFound)
		return
	}
	n := obj.(*types.Node)
	addr := ""
	for _, a := range n.Status.Addresses {
		if a.Type == "InternalIP" {
			addr = a.Address
			break
		}
	}
	port := n.Status.DaemonEndpoints.KubeletEndpoint.Port
	if addr == "" || port == 0 {
		http.Error(w, fmt.Sprintf("node %q does not publish its agent's address", name), http.StatusServiceUnavailable)
		return
	}
	target := net.JoinHostPort(addr, strconv.Itoa(int(port)))
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = target
			pr.Out.URL.Path = "/" + path
			pr.Out.Header.Del("Authorization")
		},
		FlushInterval: -1,
		ErrorLog:      slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
	rp.ServeHTTP(w, r)
}
