package sim

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/runtime/fake"
	"github.com/coxswain/coxswain/types"
)

// newNode builds the next node (named node-0001, node-0002, ...): a fake
// runtime and an agent over the node's own gate.
func (s *Sim) newNode() (*node, error) {
	s.mu.Lock()
	i := len(s.order)
	s.mu.Unlock()
	return s.newNamedNode(fmt.Sprintf("node-%04d", i+1), s.cfg.NodeCapacity, s.cfg.NodeLabels, nil)
}

// newNamedNode builds a node with the given name, capacity, labels and
// taints.
func (s *Sim) newNamedNode(name string, capacity types.ResourceList, lbls map[string]string, taints []types.Taint) (*node, error) {
	s.mu.Lock()
	i := len(s.order)
	dup := s.nodes[name] != nil
	s.mu.Unlock()
	if dup {
		return nil, fmt.Errorf("sim: node %s exists already", name)
	}
	n := &node{name: name, index: i}
	rt, err := fake.New(fake.Config{
		Clock:   s.clk,
		Scripts: s.cfg.Scripts,
		Default: s.cfg.Script,
		PodCIDR: fmt.Sprintf("10.%d.%d.0/24", 64+i/256, i%256),
		ScriptFor: func(sb runtime.SandboxConfig, c runtime.ContainerConfig) (fake.Script, bool) {
			d := time.Duration(n.slow.Load())
			sc, ok := s.cfg.Scripts[c.Image]
			if !ok {
				sc = s.cfg.Script
			}
			sc.StartDelay += d
			return sc, true
		},
		Inject: func(string, string) error {
			s.activity.Add(1)
			return nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("sim: node %s: %w", name, err)
	}
	n.rt = rt
	capacity = maps.Clone(capacity)
	if _, ok := capacity[types.ResourceEphemeralStorage]; !ok {
		capacity[types.ResourceEphemeralStorage] = types.MustParseQuantity("100Gi")
	}
	mem := capacity[types.ResourceMemory]
	memBytes, _ := mem.AsInt64()
	lbls = maps.Clone(lbls)
	n.cfg = agent.Config{
		NodeName:                name,
		Addresses:               []types.NodeAddress{{Type: types.NodeInternalIP, Address: fmt.Sprintf("192.168.%d.%d", i/250, 1+i%250)}},
		Labels:                  lbls,
		Taints:                  taints,
		Capacity:                capacity,
		RootDir:                 s.nodeDir(name),
		HeartbeatInterval:       s.cfg.HeartbeatInterval,
		SyncPeriod:              s.cfg.SyncPeriod,
		EvictionMemoryAvailable: -1,
		MemInfo:                 func() (agent.MemInfo, error) { return agent.MemInfo{Total: memBytes, Available: memBytes}, nil },
		Clock:                   s.clk,
		Logger:                  s.log,
	}
	ag, err := agent.New(&gate{s: s, node: name}, rt, n.cfg)
	if err != nil {
		return nil, fmt.Errorf("sim: node %s: %w", name, err)
	}
	n.ag = ag
	s.mu.Lock()
	s.nodes[name] = n
	s.order = append(s.order, name)
	s.mu.Unlock()
	return n, nil
}

// runNode starts n's agent.
func (s *Sim) runNode(n *node) {
	ctx, cancel := context.WithCancel(s.ctx)
	done := make(chan struct{})
	s.mu.Lock()
	n.stop, n.done, n.alive = cancel, done, true
	s.mu.Unlock()
	go func() {
		defer close(done)
		if err := n.ag.Run(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("agent stopped", "node", n.name, "err", err)
		}
	}()
}

// AddNodes adds n empty nodes to a running (or not yet started) cluster and
// returns their names. On a running cluster it returns once they have
// registered and the cluster settled.
func (s *Sim) AddNodes(n int) ([]string, error) {
	var added []*node
	var names []string
	for range n {
		nd, err := s.newNode()
		if err != nil {
			return names, err
		}
		added = append(added, nd)
		names = append(names, nd.name)
	}
	if !s.isStarted() {
		return names, nil
	}
	// One at a time, so that the nodes join in name order.
	for _, nd := range added {
		s.runNode(nd)
		if err := s.waitSynced([]*node{nd}, false); err != nil {
			return names, err
		}
	}
	return names, nil
}

func (s *Sim) node(name string) (*node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[name]
	if n == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownNode, name)
	}
	return n, nil
}

// Runtime returns a node's fake runtime, to script or inspect its
// containers directly.
func (s *Sim) Runtime(name string) (*fake.Runtime, error) {
	n, err := s.node(name)
	if err != nil {
		return nil, err
	}
	return n.rt, nil
}
