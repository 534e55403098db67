package plugins_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/scheduler/plugins"
	"github.com/coxswain/coxswain/types"
)

func mkNode(name string, milliCPU, memMi int64, pods int, lbls ...string) *types.Node {
	n := &types.Node{}
	n.Name = name
	n.Labels = map[string]string{types.LabelHostname: name}
	for i := 0; i+1 < len(lbls); i += 2 {
		n.Labels[lbls[i]] = lbls[i+1]
	}
	n.Status.Allocatable = types.ResourceList{
		types.ResourceCPU:    types.MustParseQuantity(fmt.Sprintf("%dm", milliCPU)),
		types.ResourceMemory: types.MustParseQuantity(fmt.Sprintf("%dMi", memMi)),
		types.ResourcePods:   types.MustParseQuantity(fmt.Sprint(pods)),
	}
	return n
}

func mkPod(name string, milliCPU, memMi int64, lbls ...string) *types.Pod {
	p := &types.Pod{}
	p.Name = name
	p.Namespace = "default"
	p.UID = "uid-" + name
	if len(lbls) > 0 {
		p.Labels = map[string]string{}
		for i := 0; i+1 < len(lbls); i += 2 {
			p.Labels[lbls[i]] = lbls[i+1]
		}
	}
	req := types.ResourceList{}
	if milliCPU > 0 {
		req[types.ResourceCPU] = types.MustParseQuantity(fmt.Sprintf("%dm", milliCPU))
	}
	if memMi > 0 {
		req[types.ResourceMemory] = types.MustParseQuantity(fmt.Sprintf("%dMi", memMi))
	}
	p.Spec.Containers = []types.Container{{Name: "c", Image: "app", Resources: types.ResourceRequirements{Requests: req}}}
	return p
}

func on(p *types.Pod, node string) *types.Pod {
	p.Spec.NodeName = node
	return p
}

// cluster is a NodeInfoLister over fixed nodes and pods.
type cluster struct {
	list   []*framework.NodeInfo
	byName map[string]*framework.NodeInfo
}

func newCluster(nodes []*types.Node, pods ...*types.Pod) *cluster {
	c := &cluster{byName: map[string]*framework.NodeInfo{}}
	for _, n := range nodes {
		ni := framework.NewNodeInfo(n)
		c.list = append(c.list, ni)
		c.byName[n.Name] = ni
	}
	for _, p := range pods {
		c.byName[p.Spec.NodeName].AddPodInfo(framework.MustPodInfo(p))
	}
	return c
}

func (c *cluster) List() []*framework.NodeInfo { return c.list }
func (c *cluster) HavePodsWithAffinity() []*framework.NodeInfo {
	var out []*framework.NodeInfo
	for _, n := range c.list {
		if len(n.PodsWithAffinity) > 0 {
			out = append(out, n)
		}
	}
	return out
}
func (c *cluster) HavePodsWithRequiredAntiAffinity() []*framework.NodeInfo {
	var out []*framework.NodeInfo
	for _, n := range c.list {
		if len(n.PodsWithRequiredAntiAffinity) > 0 {
			out = append(out, n)
		}
	}
	return out
}

// ImageNodes implements framework.ImageLister.
func (c *cluster) ImageNodes(image string) (int, int64) {
	n, size := 0, int64(0)
	for _, ni := range c.list {
		for _, im := range ni.Node().Status.Images {
			for _, name := range im.Names {
				if framework.NormalizeImage(name) == image {
					n++
					size = im.SizeBytes
				}
			}
		}
	}
	return n, size
}

func (c *cluster) Get(name string) (*framework.NodeInfo, error) {
	if n, ok := c.byName[name]; ok {
		return n, nil
	}
	return nil, framework.ErrNodeNotFound
}

// profile builds a framework with the named plugins over c.
func profile(t *testing.T, c *cluster, args map[string]any, names ...string) *framework.Framework {
	t.Helper()
	var refs []framework.PluginRef
	for _, n := range names {
		refs = append(refs, framework.PluginRef{Name: n})
	}
	fw, err := framework.New(plugins.NewRegistry(), refs, args, framework.Options{Snapshot: func() framework.NodeInfoLister { return c }})
	if err != nil {
		t.Fatal(err)
	}
	return fw
}

// filter runs PreFilter then Filter of fw for pod on every node of c and
// returns each node's status message ("" for a pass).
func filter(t *testing.T, fw *framework.Framework, c *cluster, pod *types.Pod) map[string]string {
	t.Helper()
	ctx := context.Background()
	state := framework.NewCycleState()
	out := map[string]string{}
	if _, st := fw.RunPreFilterPlugins(ctx, state, pod); !st.IsSuccess() {
		for _, n := range c.list {
			out[n.Name()] = "prefilter: " + st.Message()
		}
		return out
	}
	for _, n := range c.list {
		st := fw.RunFilterPlugins(ctx, state, pod, n)
		if st.Code() == framework.Error {
			t.Fatalf("filter %s: %v", n.Name(), st)
		}
		out[n.Name()] = st.Message()
	}
	return out
}

// scores runs PreScore and Score (normalised, weight 1) of fw for pod on
// every node of c.
func scores(t *testing.T, fw *framework.Framework, c *cluster, pod *types.Pod) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	state := framework.NewCycleState()
	if _, st := fw.RunPreFilterPlugins(ctx, state, pod); !st.IsSuccess() {
		t.Fatalf("prefilter: %v", st)
	}
	if st := fw.RunPreScorePlugins(ctx, state, pod, c.list); !st.IsSuccess() {
		t.Fatalf("prescore: %v", st)
	}
	totals, st := fw.RunScorePlugins(ctx, state, pod, c.list)
	if !st.IsSuccess() {
		t.Fatalf("score: %v", st)
	}
	out := map[string]int64{}
	for i, n := range c.list {
		out[n.Name()] = totals[i]
	}
	return out
}
