package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/coxswain/coxswain/examples/internal/master"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// httpClient returns an HTTP client carrying the client config's
// credentials, and the server's base URL.
func (e *env) httpClient() (*http.Client, *url.URL, error) {
	if _, err := e.client(); err != nil {
		return nil, nil, err
	}
	cc := e.cc
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cc.InsecureSkipVerify} //nolint:gosec // only when the kubeconfig asks
	if cc.TLS != nil {
		tc = cc.TLS.Clone()
	} else {
		if len(cc.CAData) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(cc.CAData) {
				return nil, nil, errors.New("the client config's CA data holds no certificate")
			}
			tc.RootCAs = pool
		}
		if len(cc.CertData) > 0 {
			c, err := tls.X509KeyPair(cc.CertData, cc.KeyData)
			if err != nil {
				return nil, nil, fmt.Errorf("client certificate: %w", err)
			}
			tc.Certificates = []tls.Certificate{c}
		}
	}
	u, err := url.Parse(cc.Server)
	if err != nil {
		return nil, nil, err
	}
	var rt http.RoundTripper = &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment}
	if cc.Token != "" {
		rt = bearer{cc.Token, rt}
	}
	return &http.Client{Transport: rt}, u, nil
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// podContainer finds a pod's node and the container to use.
func (e *env) podContainer(ctx context.Context, pod, container string) (*types.Pod, string, error) {
	o, err := e.cl.Get(ctx, "Pod", e.ns(), pod)
	if err != nil {
		return nil, "", err
	}
	p := o.(*types.Pod)
	if p.Spec.NodeName == "" {
		return nil, "", fmt.Errorf("pod %s is not scheduled to a node yet", pod)
	}
	if container == "" {
		if len(p.Spec.Containers) > 1 {
			fmt.Fprintf(e.stderr, "Defaulted container %q out of: %d containers (use -c)\n", p.Spec.Containers[0].Name, len(p.Spec.Containers))
		}
		container = p.Spec.Containers[0].Name
	}
	return p, container, nil
}

func nodeURL(base *url.URL, node, path string) string {
	u := *base
	u.Path = strings.TrimSuffix(u.Path, "/") + master.NodeProxyPath + node + "/" + path
	return u.String()
}

func check(resp *http.Response) error {
	if resp.StatusCode/100 == 2 {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	msg := strings.TrimSpace(string(b))
	var st struct{ Message string }
	if json.Unmarshal(b, &st) == nil && st.Message != "" {
		msg = st.Message
	}
	if resp.StatusCode == http.StatusNotFound && msg == "" {
		return errors.New("the API server does not proxy to nodes (not supported by this server)")
	}
	return fmt.Errorf("%s: %s", resp.Status, msg)
}

func cmdLogs(ctx context.Context, e *env, args []string) error {
	fs := flags("logs")
	c := fs.String("c", "", "container")
	follow := fs.Bool("f", false, "follow")
	tail := fs.Int("tail", -1, "lines from the end (-1: all)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("logs needs one pod name")
	}
	hc, base, err := e.httpClient()
	if err != nil {
		return err
	}
	p, cn, err := e.podContainer(ctx, strings.TrimPrefix(pos[0], "pod/"), *c)
	if err != nil {
		return err
	}
	q := url.Values{}
	if *follow {
		q.Set("follow", "true")
	}
	if *tail >= 0 {
		q.Set("tailLines", strconv.Itoa(*tail))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		nodeURL(base, p.Spec.NodeName, "containerLogs/"+p.Namespace+"/"+p.Name+"/"+cn)+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := check(resp); err != nil {
		return err
	}
	_, err = io.Copy(e.stdout, resp.Body)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func cmdExec(ctx context.Context, e *env, args []string) error {
	fs := flags("exec")
	c := fs.String("c", "", "container")
	stdin := fs.Bool("i", false, "pass stdin to the command")
	fs.Bool("t", false, "ignored: no terminal")
	var command []string
	for j, a := range args {
		if a == "--" {
			args, command = args[:j], args[j+1:]
			break
		}
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || len(command) == 0 {
		return usagef("exec needs POD -- COMMAND")
	}
	hc, base, err := e.httpClient()
	if err != nil {
		return err
	}
	p, cn, err := e.podContainer(ctx, strings.TrimPrefix(pos[0], "pod/"), *c)
	if err != nil {
		return err
	}
	q := url.Values{}
	for _, a := range command {
		q.Add("command", a)
	}
	var body io.Reader = http.NoBody
	if *stdin {
		body = e.stdin
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		nodeURL(base, p.Spec.NodeName, "exec/"+p.Namespace+"/"+p.Name+"/"+cn)+"?"+q.Encode(), body)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := check(resp); err != nil {
		return err
	}
	if _, err := io.Copy(e.stdout, resp.Body); err != nil {
		return err
	}
	if code := resp.Trailer.Get("X-Exit-Code"); code != "" && code != "0" {
		return fmt.Errorf("command terminated with exit code %s", code)
	}
	return nil
}

func cmdTop(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 || (args[0] != "nodes" && args[0] != "node" && args[0] != "pods" && args[0] != "pod") {
		return usagef("top needs nodes or pods")
	}
	hc, base, err := e.httpClient()
	if err != nil {
		return err
	}
	l, err := e.cl.List(ctx, "Node", store.ListOptions{})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 3, ' ', 0)
	nodes := args[0] == "nodes" || args[0] == "node"
	if nodes {
		fmt.Fprintln(tw, "NAME\tCPU(cores)\tMEMORY(bytes)")
	} else {
		fmt.Fprintln(tw, "NAMESPACE\tNAME\tCPU(cores)\tMEMORY(bytes)")
	}
	var rows []string
	for _, o := range l.Items {
		n := o.(*types.Node)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, nodeURL(base, n.Name, "stats/summary"), nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			fmt.Fprintf(e.stderr, "node %s: %v\n", n.Name, err)
			continue
		}
		var s agent.Summary
		err = check(resp)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&s)
		}
		resp.Body.Close()
		if err != nil {
			fmt.Fprintf(e.stderr, "node %s: %v\n", n.Name, err)
			continue
		}
		if nodes {
			rows = append(rows, fmt.Sprintf("%s\t%dm\t%dMi", n.Name, s.Node.CPU.UsageNanoCores/1e6, s.Node.Memory.WorkingSetBytes>>20))
			continue
		}
		for _, p := range s.Pods {
			if !e.allNS && p.PodRef.Namespace != e.ns() {
				continue
			}
			rows = append(rows, fmt.Sprintf("%s\t%s\t%dm\t%dMi", p.PodRef.Namespace, p.PodRef.Name, p.CPU.UsageNanoCores/1e6, p.Memory.WorkingSetBytes>>20))
		}
	}
	sort.Strings(rows)
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	return tw.Flush()
}

func cmdProxy(ctx context.Context, e *env, args []string) error {
	fs := flags("proxy")
	port := fs.Int("port", 8001, "loopback port to listen on")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	hc, base, err := e.httpClient()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		return err
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(base)
			pr.Out.Host = base.Host
		},
		Transport:     hc.Transport,
		FlushInterval: -1,
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10e9}
	fmt.Fprintf(e.stdout, "Starting to serve on %s\n", ln.Addr())
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
