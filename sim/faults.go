package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/coxswain/coxswain/runtime/agent"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// StopNode stops a node's agent, as if the machine lost power or the agent
// crashed: it stops heartbeating and reporting status. Its containers are
// left as they were; RestartNode brings the agent back. The node lifecycle
// controller marks the node unreachable after its grace period and evicts
// its pods after the eviction timeout.
func (s *Sim) StopNode(name string) error {
	n, err := s.node(name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	stop, done, alive := n.stop, n.done, n.alive
	n.alive = false
	s.mu.Unlock()
	if alive {
		stop()
		<-done
	}
	return s.Settle()
}

// RestartNode starts a new agent on a stopped node's runtime; it adopts the
// containers that still run there.
func (s *Sim) RestartNode(name string) error {
	n, err := s.node(name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	alive := n.alive
	s.mu.Unlock()
	if alive {
		return nil
	}
	ag, err := agent.New(&gate{s: s, node: name}, n.rt, n.cfg)
	if err != nil {
		return fmt.Errorf("sim: restart %s: %w", name, err)
	}
	n.ag = ag
	s.runNode(n)
	return s.waitSynced([]*node{n}, false)
}

// Partition cuts a node off from the masters: every store call of its agent
// fails (a timeout) and its watches end, while its containers keep running.
// Heal reconnects it.
func (s *Sim) Partition(name string) error {
	if _, err := s.node(name); err != nil {
		return err
	}
	s.mu.Lock()
	s.partitioned[name] = true
	s.mu.Unlock()
	s.cutWatches(name, &store.Error{Err: store.ErrTimeout, Msg: fmt.Sprintf("node %s is partitioned from the masters", name)})
	return s.Settle()
}

// Heal ends a node's partition.
func (s *Sim) Heal(name string) error {
	if _, err := s.node(name); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.partitioned, name)
	s.mu.Unlock()
	return s.Settle()
}

// Crash ends a running container of a pod now, with exit code 1 and reason
// Error, or, with oom, as the kernel's OOM killer does (137, OOMKilled).
// The agent notices at its next relist and restarts it per the pod's
// restartPolicy.
func (s *Sim) Crash(ctx context.Context, namespace, pod, container string, oom bool) error {
	obj, err := s.db.Get(ctx, "Pod", namespace, pod)
	if err != nil {
		return fmt.Errorf("sim: crash %s/%s: %w", namespace, pod, err)
	}
	p := obj.(*types.Pod)
	n, err := s.node(p.Spec.NodeName)
	if err != nil {
		return fmt.Errorf("sim: crash %s/%s: %w", namespace, pod, err)
	}
	id, err := n.ag.ContainerID(ctx, namespace, pod, container)
	if err != nil {
		return fmt.Errorf("sim: crash %s/%s container %q: %w", namespace, pod, container, err)
	}
	code, reason := 1, "Error"
	if oom {
		code, reason = 137, "OOMKilled"
	}
	if err := n.rt.Crash(id, code, reason); err != nil {
		return fmt.Errorf("sim: crash %s/%s container %q: %w", namespace, pod, container, err)
	}
	s.activity.Add(1)
	return s.Settle()
}

// SlowStart makes a node take d longer to start each container from now on
// (0 restores it), as a node with a slow disk or a loaded runtime does.
func (s *Sim) SlowStart(name string, d time.Duration) error {
	n, err := s.node(name)
	if err != nil {
		return err
	}
	if d < 0 {
		return fmt.Errorf("sim: SlowStart %s: negative delay %v", name, d)
	}
	n.slow.Store(int64(d))
	return nil
}

// LeaderChange simulates the store's leader changing: every watch ends (as
// a member that loses the lead ends its watches, and clients watch again
// from their last revision), and writes fail with ErrNotLeader for pause of
// virtual time (the election), after which they succeed again. Reads keep
// working, as linearizable reads do once a new leader is elected. The
// simulated store has one member, so this models what the clients see of a
// leader change, not raft's election itself.
func (s *Sim) LeaderChange(pause time.Duration) error {
	if pause < 0 {
		return fmt.Errorf("sim: LeaderChange: negative pause %v", pause)
	}
	s.mu.Lock()
	s.pausedUntil = s.clk.Now().Add(pause)
	s.mu.Unlock()
	s.cutWatches("", &store.Error{Err: store.ErrNotLeader, Msg: "leader changed"})
	return s.Settle()
}
