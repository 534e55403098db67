// Package framework is the scheduler's plugin framework, shaped as
// Kubernetes' scheduling framework: the extension-point interfaces a plugin
// implements, the data they see, and Framework, which runs one profile's
// plugins.
//
// A plugin is any value with a Name; it implements the extension points it
// needs — PreFilterPlugin, FilterPlugin, PostFilterPlugin, PreScorePlugin,
// ScorePlugin (and ScoreNormalizer), ReservePlugin, PermitPlugin,
// PreBindPlugin, BindPlugin, PostBindPlugin — and the Framework finds them
// by type assertion. Plugins are built by a Factory registered under their
// name in a Registry value (there is no global registry).
//
// Every call returns a *Status: nil is Success; Unschedulable and
// UnschedulableAndUnresolvable reject the pod with reasons in words, which
// the scheduler counts into Kubernetes' "0/N nodes are available" message;
// Skip from PreFilter or PreScore skips the plugin for the cycle.
//
// A NodeInfo is a node with its pods and their summed requests as int64
// vectors (Resource), read-only to plugins. A PodInfo is a pod with what
// is computed from it once (requests, compiled affinity terms, host ports).
// CycleState carries a plugin's precomputed data from PreFilter to Filter
// within one cycle; it is safe to read from the parallel Filter and Score
// calls.
//
// Filter and Score are called concurrently for different nodes; they must
// not write shared state. Everything else is called from one goroutine.
//
// A Filter or Score plugin that judges a node from the pod's spec and that
// node's NodeInfo alone may say so by implementing NodeLocal; with
// Options.ResultCache set, the Framework then remembers its verdicts per
// pod spec and node Generation and asks again only about nodes that
// changed. Parallelizer fans work out across goroutines only once the
// caller has worked alone for its Grain, since waking a thread costs more
// than a short loop.
package framework
