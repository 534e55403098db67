// Package sim runs a whole Coxswain cluster in one process on virtual time:
// the real store (in memory, one member), the real scheduler runner, every
// built-in controller, and any number of nodes, each running the real node
// agent on the fake runtime (runtime/fake), all on one clock.Fake. Nothing
// sleeps and nothing listens on the network, so a test of a controller, a
// scheduling policy or a failure scenario runs in a plain `go test`.
//
//	s, _ := sim.New(sim.Config{Nodes: 3})
//	s.Add(myController)            // built over s.Store(), s.Informers(), s.Clock()
//	s.Start(ctx)
//	defer s.Close()
//	s.Apply(ctx, manifests)
//	s.RunUntil(func() bool { ... }, time.Minute)
//
// # Time and settling
//
// The clock moves only in Advance and RunUntil, one timer at a time (or
// one Config.Resolution at a time): every timer, ticker, back-off and lease
// expiry fires in order, and timers due at the same instant fire one after
// the other, in the order they were set. Before each move the simulation settles: it waits
// until no store call is in flight, no watch event waits for its consumer,
// no work queue of the control plane holds a ready or in-process key, the Go
// scheduler reports no runnable goroutine, and none of these moved for
// several consecutive observations. Whatever is left waits on the virtual
// clock, so moving it is the only thing that can happen next. Components
// that wait on real time (a few retry loops of a millisecond or so) are
// covered by the repeated observations, not by design.
//
// Every component reaches the store through a gate of the simulation, which
// counts calls and serves watches from one store watch per kind (a hub), so
// thousands of agents cost one store watcher per kind, not one each.
//
// # Faults
//
// StopNode (the agent stops: no heartbeats, no status), RestartNode,
// Partition and Heal (the node's store calls fail and its watches end while
// its containers keep running), Crash (a container exits now, with
// OOMKilled if asked), SlowStart (a node takes longer to start containers),
// LeaderChange (every watch ends, as when a store member loses the lead,
// and writes fail with store.ErrNotLeader for the election's length; the
// simulated store has one member, so this models what clients see of a
// leader change, not raft's election), Drain (cordon and evict).
//
// # Determinism
//
// Names, uids and the scheduler's tie-breaks come from Config.Seed, nodes
// join in name order, and the clock moves only between settled steps, so the
// same seed and the same inputs give the same Trace: after every step that
// changed the cluster, a digest of every object (but Events and Leases).
// Pods are described by owner, node, phase, readiness and restarts rather
// than by name, because which of an owner's interchangeable pods got which
// generated name depends on how concurrent workers interleaved. Work started
// in the same instant by different components (two Deployments applied in
// one step) may still interleave differently from run to run; a scenario
// that must replay exactly applies one change per step.
//
// # Dry runs and scale
//
// DryRun forks the state of any store.Store (a live cluster through
// store/remote) into a simulation, applies a change and node drains, runs
// to a fixed point and returns a Diff: pods created, deleted, moved between
// nodes, and pending with the scheduler's reason. RunScale builds a large
// cluster, runs pods on it until they are all Ready and reports wall and CPU
// time per simulated minute, memory per node and per pod, and the scheduling
// and startup latencies in simulated time. Store writes of the simulated
// components pass through a bounded number of write slots (the others wait,
// counted as in flight), so thousands of agents writing at one virtual
// instant queue in the simulation rather than in the store's raft queue; at
// thousands of nodes one clock step can take minutes, so large runs need a
// longer Config.SettleTimeout.
//
// A Sim is safe for concurrent use, but it is meant to be driven from one
// goroutine; Close stops every goroutine it started.
package sim
