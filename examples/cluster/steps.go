package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/reconcile/controllers/deployment"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// errSkipped marks a step that cannot run in this build.
type errSkipped struct{ why string }

func (e errSkipped) Error() string { return "skipped: " + e.why }

type step struct {
	name, title string
	run         func(ctx context.Context, c *cluster) (string, error)
}

var steps = []step{
	{"deploy", "Apply a Deployment of the demo app (3 replicas) and a Service", stepDeploy},
	{"spread", "Pods spread over the nodes", stepSpread},
	{"service", "Call the Service's ClusterIP through the proxy", stepService},
	{"scale", "Scale 3 → 6", stepScale},
	{"rollout", "Roll out v2", stepRollout},
	{"rollback", "Roll back to v1", stepRollback},
	{"leader-kill", "Kill the store's leader master; writes continue", stepLeaderKill},
	{"node-kill", "Kill a node; its pods move (grace periods shortened to seconds for the demo)", stepNodeKill},
	{"statefulset", "A StatefulSet with stable names", stepStatefulSet},
	{"job", "A Job runs to completion", stepJob},
	{"hpa", "A HorizontalPodAutoscaler scales under load", stepHPA},
}

func stepNames() []string {
	var s []string
	for _, st := range steps {
		s = append(s, st.name)
	}
	return s
}

func (c *cluster) demo(ctx context.Context) []Result {
	var out []Result
	for i, st := range steps {
		if len(c.opt.Steps) > 0 && !slices.Contains(c.opt.Steps, st.name) {
			continue
		}
		c.say("\n[%d/%d] %s", i+1, len(steps), st.title)
		sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		detail, err := st.run(sctx, c)
		cancel()
		r := Result{Step: st.name, Status: "ok", Detail: detail}
		var sk errSkipped
		switch {
		case errors.As(err, &sk):
			r.Status, r.Detail = "skipped", sk.why
			c.say("  – skipped: %s", sk.why)
		case err != nil:
			r.Status, r.Detail = "fail", err.Error()
			c.say("  ✗ %s", err)
		default:
			c.say("  ✓ %s", detail)
		}
		out = append(out, r)
		if ctx.Err() != nil {
			break
		}
	}
	return out
}

const webManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: %s
        command: [%q]
        env:
        - {name: VERSION, value: v1}
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        ports:
        - {name: http, containerPort: 8080}
        resources:
          requests: {cpu: 100m, memory: 32Mi}
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
`

func (c *cluster) apply(ctx context.Context, manifest string) error {
	objs, err := types.Decode([]byte(manifest))
	if err != nil {
		return err
	}
	for _, o := range objs {
		if _, err := c.cl.Create(ctx, o); err != nil && !store.IsAlreadyExists(err) {
			return fmt.Errorf("creating %s %s: %w", o.GetKind(), o.GetObjectMeta().Name, err)
		}
	}
	return nil
}

func (c *cluster) deployment(ctx context.Context) (*types.Deployment, error) {
	o, err := c.cl.Get(ctx, "Deployment", "default", "web")
	if err != nil {
		return nil, err
	}
	return o.(*types.Deployment), nil
}

// waitRollout waits until the web Deployment has rolled out completely.
func (c *cluster) waitRollout(ctx context.Context, timeout time.Duration) error {
	last := ""
	return waitFor(ctx, timeout, func() (bool, string) {
		d, err := c.deployment(ctx)
		if err != nil {
			return false, err.Error()
		}
		msg, done, err := deployment.RolloutStatus(d)
		if err != nil {
			return false, err.Error()
		}
		if msg != last {
			c.say("    %s", strings.TrimSpace(msg))
			last = msg
		}
		return done && d.Status.AvailableReplicas == *d.Spec.Replicas && d.Status.Replicas == *d.Spec.Replicas, msg
	})
}

func (c *cluster) pods(ctx context.Context, sel string) ([]*types.Pod, error) {
	s, err := labels.Parse(sel)
	if err != nil {
		return nil, err
	}
	l, err := c.cl.List(ctx, "Pod", store.ListOptions{Namespace: "default", Selector: s})
	if err != nil {
		return nil, err
	}
	var ps []*types.Pod
	for _, o := range l.Items {
		p := o.(*types.Pod)
		if p.DeletionTimestamp == nil && p.Status.Phase != "Succeeded" && p.Status.Phase != "Failed" {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps, nil
}

func stepDeploy(ctx context.Context, c *cluster) (string, error) {
	if err := c.apply(ctx, fmt.Sprintf(webManifest, c.image("v1"), c.appCmd)); err != nil {
		return "", err
	}
	c.say("    ctl apply -f web.yaml  (Deployment web, Service web)")
	if err := c.waitRollout(ctx, 60*time.Second); err != nil {
		return "", err
	}
	return "3 of 3 replicas available", nil
}

func stepSpread(ctx context.Context, c *cluster) (string, error) {
	ps, err := c.pods(ctx, "app=web")
	if err != nil {
		return "", err
	}
	by := map[string]int{}
	for _, p := range ps {
		c.say("    %-28s %-8s %-12s %s", p.Name, p.Spec.NodeName, p.Status.PodIP, p.Status.Phase)
		by[p.Spec.NodeName]++
	}
	if len(by) < 2 {
		return "", fmt.Errorf("all %d pods landed on one node: %v", len(ps), by)
	}
	return fmt.Sprintf("%d pods on %d nodes", len(ps), len(by)), nil
}

func (c *cluster) serviceURL(ctx context.Context) (string, error) {
	o, err := c.cl.Get(ctx, "Service", "default", "web")
	if err != nil {
		return "", err
	}
	s := o.(*types.Service)
	if s.Spec.ClusterIP == "" || s.Spec.ClusterIP == "None" {
		return "", fmt.Errorf("service web has no cluster IP")
	}
	return "http://" + net.JoinHostPort(s.Spec.ClusterIP, "80") + "/", nil
}

// curl calls the Service n times and returns the answers by body.
func (c *cluster) curl(ctx context.Context, n int) (map[string]int, string, error) {
	url, err := c.serviceURL(ctx)
	if err != nil {
		return nil, "", err
	}
	seen := map[string]int{}
	var lastErr error
	for range n {
		b, err := getWith(c.svcClient, url)
		if err != nil {
			lastErr = err
			continue
		}
		seen[b]++
	}
	if len(seen) == 0 {
		return nil, url, fmt.Errorf("no answer from %s: %v", url, lastErr)
	}
	return seen, url, nil
}

func versions(seen map[string]int) map[string]int {
	v := map[string]int{}
	for b, n := range seen {
		f := strings.Fields(b)
		if len(f) >= 2 {
			v[f[1]] += n
		}
	}
	return v
}

func stepService(ctx context.Context, c *cluster) (string, error) {
	var seen map[string]int
	var url string
	err := waitFor(ctx, 30*time.Second, func() (bool, string) {
		var err error
		seen, url, err = c.curl(ctx, 12)
		if err != nil {
			return false, err.Error()
		}
		return len(seen) >= 2, fmt.Sprintf("answers from %d pods only", len(seen))
	})
	if err != nil {
		return "", err
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	c.say("    curl %s  ×12:", url)
	for _, k := range keys {
		c.say("      %2d × %s", seen[k], k)
	}
	return fmt.Sprintf("12 requests answered by %d different pods", len(seen)), nil
}

func (c *cluster) updateWeb(ctx context.Context, f func(d *types.Deployment)) error {
	return waitFor(ctx, 20*time.Second, func() (bool, string) {
		d, err := c.deployment(ctx)
		if err != nil {
			return false, err.Error()
		}
		f(d)
		_, err = c.cl.Update(ctx, d)
		return err == nil, fmt.Sprint(err)
	})
}

func stepScale(ctx context.Context, c *cluster) (string, error) {
	c.say("    ctl scale deployment web --replicas=6")
	if err := c.updateWeb(ctx, func(d *types.Deployment) { n := int32(6); d.Spec.Replicas = &n }); err != nil {
		return "", err
	}
	if err := c.waitRollout(ctx, 60*time.Second); err != nil {
		return "", err
	}
	return "6 of 6 replicas available", nil
}

// image is the demo app's image of version v. The containerd flavour
// names it in full, as it was imported into the nodes' containerds.
func (c *cluster) image(v string) string {
	if c.opt.Runtime == "containerd" {
		return ctrImage + ":" + v
	}
	return "coxswain/demoapp:" + v
}

func setVersion(d *types.Deployment, v, image string) {
	for i := range d.Spec.Template.Spec.Containers[0].Env {
		e := &d.Spec.Template.Spec.Containers[0].Env[i]
		if e.Name == "VERSION" {
			e.Value = v
		}
	}
	d.Spec.Template.Spec.Containers[0].Image = image
}

func (c *cluster) expectVersion(ctx context.Context, v string) error {
	return waitFor(ctx, 20*time.Second, func() (bool, string) {
		seen, _, err := c.curl(ctx, 10)
		if err != nil {
			return false, err.Error()
		}
		vs := versions(seen)
		return len(vs) == 1 && vs[v] > 0, fmt.Sprintf("versions answering: %v", vs)
	})
}

func stepRollout(ctx context.Context, c *cluster) (string, error) {
	c.say("    ctl set image deployment/web web=coxswain/demoapp:v2; ctl rollout status deployment/web")
	if err := c.updateWeb(ctx, func(d *types.Deployment) { setVersion(d, "v2", c.image("v2")) }); err != nil {
		return "", err
	}
	if err := c.waitRollout(ctx, 75*time.Second); err != nil {
		return "", err
	}
	if err := c.expectVersion(ctx, "v2"); err != nil {
		return "", err
	}
	return "every answer now comes from v2", nil
}

func stepRollback(ctx context.Context, c *cluster) (string, error) {
	c.say("    ctl rollout undo deployment/web")
	if err := waitFor(ctx, 20*time.Second, func() (bool, string) {
		_, err := deployment.Rollback(ctx, c.cl, "default", "web", 0)
		return err == nil, fmt.Sprint(err)
	}); err != nil {
		return "", err
	}
	if err := c.waitRollout(ctx, 75*time.Second); err != nil {
		return "", err
	}
	if err := c.expectVersion(ctx, "v1"); err != nil {
		return "", err
	}
	return "every answer comes from v1 again", nil
}

func (c *cluster) storeLeader() (int, error) {
	for i, p := range c.masters {
		if !p.running() {
			continue
		}
		b, err := get(c.https[i] + "/leader")
		if err != nil || b == "" {
			continue
		}
		for j := range c.masters {
			if b == fmt.Sprintf("master-%d", j+1) {
				return j, nil
			}
		}
	}
	return -1, errors.New("no master knows a leader")
}

func stepLeaderKill(ctx context.Context, c *cluster) (string, error) {
	li, err := c.storeLeader()
	if err != nil {
		return "", err
	}
	victim := c.masters[li]
	c.say("    the store leader is %s; killing it (SIGKILL)", victim.name)
	victim.kill()
	start := time.Now()
	cm := &types.ConfigMap{ObjectMeta: types.ObjectMeta{Name: "written-after-failover", Namespace: "default"},
		Data: map[string]string{"at": time.Now().UTC().Format(time.RFC3339)}}
	if err := waitFor(ctx, 45*time.Second, func() (bool, string) {
		_, err := c.cl.Create(ctx, cm)
		return err == nil || store.IsAlreadyExists(err), fmt.Sprint(err)
	}); err != nil {
		return "", err
	}
	took := time.Since(start).Round(100 * time.Millisecond)
	nl, err := c.storeLeader()
	if err != nil {
		return "", err
	}
	c.say("    new store leader: %s", c.masters[nl].name)
	// The controllers keep working under the new leader.
	if err := c.updateWeb(ctx, func(d *types.Deployment) { n := int32(6); d.Spec.Replicas = &n }); err != nil {
		return "", err
	}
	return fmt.Sprintf("a write succeeded %s after the leader died; %s leads now", took, c.masters[nl].name), nil
}

func stepNodeKill(ctx context.Context, c *cluster) (string, error) {
	ps, err := c.pods(ctx, "app=web")
	if err != nil {
		return "", err
	}
	// node-1 carries the Service proxy for the demo; kill the busiest other node.
	count := map[string]int{}
	for _, p := range ps {
		count[p.Spec.NodeName]++
	}
	vi := -1
	for i := 1; i < len(c.nodes); i++ {
		if vi < 0 || count[c.nodes[i].name] > count[c.nodes[vi].name] {
			vi = i
		}
	}
	if vi < 0 {
		return "", errSkipped{"needs at least two nodes"}
	}
	victim := c.nodes[vi]
	c.say("    killing %s (agent and its %d web pods) — node grace 6s, pod eviction after 3s", victim.name, count[victim.name])
	if c.opt.Runtime == "containerd" {
		// A pulled plug: the node, its containerd, the shims and the pods.
		c.ctrKillNode(vi)
	} else {
		victim.kill()
		sweepOrphans(c.known())
	}
	start := time.Now()
	if err := waitFor(ctx, 30*time.Second, func() (bool, string) {
		o, err := c.cl.Get(ctx, "Node", "", victim.name)
		if err != nil {
			return false, err.Error()
		}
		return !nodeReady(o.(*types.Node)), "node still Ready"
	}); err != nil {
		return "", err
	}
	c.say("    %s is NotReady after %s", victim.name, time.Since(start).Round(time.Second))
	if err := waitFor(ctx, 60*time.Second, func() (bool, string) {
		d, err := c.deployment(ctx)
		if err != nil {
			return false, err.Error()
		}
		ps, err := c.pods(ctx, "app=web")
		if err != nil {
			return false, err.Error()
		}
		on := 0
		for _, p := range ps {
			if p.Spec.NodeName == victim.name {
				on++
			}
		}
		return on == 0 && d.Status.AvailableReplicas == *d.Spec.Replicas,
			fmt.Sprintf("%d pods still on %s, %d of %d available", on, victim.name, d.Status.AvailableReplicas, *d.Spec.Replicas)
	}); err != nil {
		return "", err
	}
	return fmt.Sprintf("all replicas available on the remaining nodes %s after the kill", time.Since(start).Round(time.Second)), nil
}

const dbManifest = `apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: db
        image: %s
        command: [%q]
        env:
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 1
`

func stepStatefulSet(ctx context.Context, c *cluster) (string, error) {
	if err := c.apply(ctx, fmt.Sprintf(dbManifest, c.image("v1"), c.appCmd)); err != nil {
		return "", err
	}
	var names []string
	if err := waitFor(ctx, 60*time.Second, func() (bool, string) {
		ps, err := c.pods(ctx, "app=db")
		if err != nil {
			return false, err.Error()
		}
		names = names[:0]
		ready := 0
		for _, p := range ps {
			names = append(names, p.Name)
			for _, cd := range p.Status.Conditions {
				if cd.Type == "Ready" && cd.Status == "True" {
					ready++
				}
			}
		}
		return ready == 2 && slices.Equal(names, []string{"db-0", "db-1"}), fmt.Sprintf("pods %v, %d ready", names, ready)
	}); err != nil {
		return "", err
	}
	detail := "pods db-0 and db-1"
	dnsAddr := ""
	for i, p := range c.masters {
		if p.running() {
			dnsAddr = c.dnsAddrs[i]
			break
		}
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, dnsAddr)
	}}
	err := waitFor(ctx, 15*time.Second, func() (bool, string) {
		addrs, err := r.LookupHost(ctx, "db-0.db.default.svc.cluster.local")
		if err != nil {
			return false, err.Error()
		}
		c.say("    dig @%s db-0.db.default.svc.cluster.local → %v", dnsAddr, addrs)
		return true, ""
	})
	if err != nil {
		return "", fmt.Errorf("%s run, but DNS: %w", detail, err)
	}
	return detail + ", db-0 resolvable as db-0.db.default.svc.cluster.local", nil
}

const jobManifest = `apiVersion: batch/v1
kind: Job
metadata: {name: pi, namespace: default}
spec:
  completions: 2
  parallelism: 2
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: pi
        image: %s
        command: %s
`

// jobContainer is the Job's image and command: a shell on the host for the
// exec driver, the demo app's pi mode in its image for containerd.
func (c *cluster) jobContainer() (image, command string) {
	if c.opt.Runtime == "containerd" {
		return c.image("v1"), `[/demoapp, pi]`
	}
	return "busybox", `[sh, -c, "echo computing; sleep 1; echo 3.14159"]`
}

func stepJob(ctx context.Context, c *cluster) (string, error) {
	image, command := c.jobContainer()
	if err := c.apply(ctx, fmt.Sprintf(jobManifest, image, command)); err != nil {
		return "", err
	}
	if err := waitFor(ctx, 60*time.Second, func() (bool, string) {
		o, err := c.cl.Get(ctx, "Job", "default", "pi")
		if err != nil {
			return false, err.Error()
		}
		j := o.(*types.Job)
		return j.Status.Succeeded == 2, fmt.Sprintf("%d succeeded, %d failed", j.Status.Succeeded, j.Status.Failed)
	}); err != nil {
		return "", err
	}
	return "job pi: 2 of 2 completions succeeded", nil
}

const hpaManifest = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: %d
  metrics:
  - type: Resource
    resource:
      name: cpu
      target: {type: Utilization, averageUtilization: 50}
`

func stepHPA(ctx context.Context, c *cluster) (string, error) {
	d, err := c.deployment(ctx)
	if err != nil {
		return "", err
	}
	start := *d.Spec.Replicas
	max := start + 2
	if err := c.apply(ctx, fmt.Sprintf(hpaManifest, max)); err != nil {
		return "", err
	}
	url, err := c.serviceURL(ctx)
	if err != nil {
		return "", err
	}
	c.say("    HPA web: cpu target 50%% of the 100m request, %d..%d replicas; generating load on %sburn", 2, max, url)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	const workers = 4
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for lctx.Err() == nil {
				_, _ = getWith(c.svcClient, url+"burn?ms=200")
			}
		}()
	}
	defer func() {
		stop()
		for range workers {
			<-done
		}
	}()
	last, low := int32(-1), start
	err = waitFor(ctx, 75*time.Second, func() (bool, string) {
		o, err := c.cl.Get(ctx, "HorizontalPodAutoscaler", "default", "web")
		if err != nil {
			return false, err.Error()
		}
		h := o.(*types.HorizontalPodAutoscaler)
		if h.Status.DesiredReplicas != last {
			util := "?"
			for _, m := range h.Status.CurrentMetrics {
				if m.Resource != nil && m.Resource.Current.AverageUtilization != nil {
					util = fmt.Sprintf("%d%%", *m.Resource.Current.AverageUtilization)
				}
			}
			c.say("    cpu %s of requests → desired replicas %d", util, h.Status.DesiredReplicas)
			last = h.Status.DesiredReplicas
		}
		d, err := c.deployment(ctx)
		if err != nil {
			return false, err.Error()
		}
		// Before the first metrics arrive the autoscaler may scale down
		// towards minReplicas; what shows it working is a scale-up by two
		// from the lowest count it set, which on a busy machine starts
		// from fewer replicas than the Deployment had.
		n := *d.Spec.Replicas
		low = min(low, n)
		return n >= low+2, fmt.Sprintf("replicas %d, lowest %d; want %d", n, low, low+2)
	})
	if err != nil {
		return "", err
	}
	d, err = c.deployment(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("under load the autoscaler scaled web from %d to %d replicas", low, *d.Spec.Replicas), nil
}
