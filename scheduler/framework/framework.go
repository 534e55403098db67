package framework

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/types"
)

// PluginRef enables a plugin in a profile, with its score weight (zero
// means 1; ignored for plugins that do not score).
type PluginRef struct {
	Name   string
	Weight int32
}

// Options are what a Framework needs from the scheduler that runs it.
type Options struct {
	// Clock; nil means the real clock.
	Clock clock.Clock
	// Snapshot returns the current cycle's snapshot; nil means an empty one.
	Snapshot func() NodeInfoLister
	// NominatedPods returns the pods nominated to a node; nil means none.
	NominatedPods func(nodeName string) []*PodInfo
	// AnyNominated reports cheaply whether any pod is nominated; nil
	// means NominatedPods is asked for every node.
	AnyNominated func() bool
	// Parallelizer runs per-node work.
	Parallelizer Parallelizer
	// ResultCache is how many distinct pod specs the results of NodeLocal
	// plugins are remembered for (see NodeLocal); 0 remembers nothing.
	// Remembering needs a Snapshot whose NodeInfos carry their list index
	// (NodeInfo.SetListIndex), and cycles of the Framework that do not
	// overlap: the scheduler runs one at a time.
	ResultCache int
}

type scorePlugin struct {
	ScorePlugin
	weight     int64
	normalizer ScoreNormalizer
}

// Framework runs one profile's plugins at each extension point. It
// implements Handle. Its Run methods are safe for concurrent use except
// RunScorePlugins, which reuses internal buffers and must be called by one
// goroutine at a time (the scheduler runs one cycle at a time).
type Framework struct {
	opts    Options
	clk     clock.Clock
	plugins map[string]Plugin

	preFilter  []PreFilterPlugin
	filter     []FilterPlugin
	postFilter []PostFilterPlugin
	preScore   []PreScorePlugin
	score      []scorePlugin
	reserve    []ReservePlugin
	permit     []PermitPlugin
	preBind    []PreBindPlugin
	bind       []BindPlugin
	postBind   []PostBindPlugin

	waitingMu sync.Mutex // guards waiting
	waiting   map[string]*WaitingPod

	// scratch for RunScorePlugins: scores[p][i] for plugin p, node i.
	scores [][]NodeScore
	totals []int64
	// active says which of score ran in the last RunScorePlugins (a
	// skipped plugin's scores are stale); run lists their indexes.
	active []bool
	run    []int

	// localFilter says which of filter are NodeLocal; scoreSlot gives,
	// for each of score, where a result entry keeps its score: -1 if it
	// is not NodeLocal or comes after the first maxCachedScores that are.
	// results remembers their results; nil when disabled.
	localFilter []bool
	scoreSlot   []int
	nLocalScore int
	results     *resultCache
}

var _ Handle = (*Framework)(nil)

// New builds the plugins named in refs from reg, in order, and sorts them
// by extension point. args holds per-plugin arguments by name.
func New(reg Registry, refs []PluginRef, args map[string]any, opts Options) (*Framework, error) {
	f := &Framework{opts: opts, clk: clock.Or(opts.Clock), plugins: make(map[string]Plugin), waiting: make(map[string]*WaitingPod)}
	for _, ref := range refs {
		if _, dup := f.plugins[ref.Name]; dup {
			return nil, fmt.Errorf("plugin %q enabled twice: %w", ref.Name, ErrDuplicatePlugin)
		}
		factory, ok := reg[ref.Name]
		if !ok {
			return nil, fmt.Errorf("plugin %q: %w", ref.Name, ErrUnknownPlugin)
		}
		p, err := factory(args[ref.Name], f)
		if err != nil {
			return nil, fmt.Errorf("building plugin %q: %w", ref.Name, err)
		}
		f.plugins[ref.Name] = p
		if x, ok := p.(PreFilterPlugin); ok {
			f.preFilter = append(f.preFilter, x)
		}
		_, local := p.(NodeLocal)
		if x, ok := p.(FilterPlugin); ok {
			f.filter = append(f.filter, x)
			f.localFilter = append(f.localFilter, local)
		}
		if x, ok := p.(PostFilterPlugin); ok {
			f.postFilter = append(f.postFilter, x)
		}
		if x, ok := p.(PreScorePlugin); ok {
			f.preScore = append(f.preScore, x)
		}
		if x, ok := p.(ScorePlugin); ok {
			w := int64(ref.Weight)
			if w == 0 {
				w = 1
			}
			if w < 0 {
				return nil, fmt.Errorf("plugin %q: weight %d: must not be negative", ref.Name, ref.Weight)
			}
			sp := scorePlugin{ScorePlugin: x, weight: w}
			sp.normalizer, _ = p.(ScoreNormalizer)
			f.score = append(f.score, sp)
			slot := -1
			if local && f.nLocalScore < maxCachedScores {
				slot = f.nLocalScore
				f.nLocalScore++
			}
			f.scoreSlot = append(f.scoreSlot, slot)
		}
		if x, ok := p.(ReservePlugin); ok {
			f.reserve = append(f.reserve, x)
		}
		if x, ok := p.(PermitPlugin); ok {
			f.permit = append(f.permit, x)
		}
		if x, ok := p.(PreBindPlugin); ok {
			f.preBind = append(f.preBind, x)
		}
		if x, ok := p.(BindPlugin); ok {
			f.bind = append(f.bind, x)
		}
		if x, ok := p.(PostBindPlugin); ok {
			f.postBind = append(f.postBind, x)
		}
	}
	if opts.ResultCache > 0 && len(f.filter) <= math.MaxInt16 {
		f.results = &resultCache{max: opts.ResultCache, classes: make(map[string]*resultClass), seen: make(map[string]struct{})}
	}
	return f, nil
}

// Plugin returns the named plugin instance, or nil.
func (f *Framework) Plugin(name string) Plugin { return f.plugins[name] }

// Snapshot implements Handle.
func (f *Framework) Snapshot() NodeInfoLister {
	if f.opts.Snapshot == nil {
		return emptyLister{}
	}
	return f.opts.Snapshot()
}

// Clock implements Handle.
func (f *Framework) Clock() clock.Clock { return f.clk }

// Parallelizer implements Handle.
func (f *Framework) Parallelizer() Parallelizer { return f.opts.Parallelizer }

// NominatedPods implements Handle.
func (f *Framework) NominatedPods(nodeName string) []*PodInfo {
	if f.opts.NominatedPods == nil {
		return nil
	}
	return f.opts.NominatedPods(nodeName)
}

// HasFilterPlugins reports whether the profile has Filter plugins.
func (f *Framework) HasFilterPlugins() bool { return len(f.filter) > 0 }

// HasScorePlugins reports whether the profile has Score plugins.
func (f *Framework) HasScorePlugins() bool { return len(f.score) > 0 }

// HasPostFilterPlugins reports whether the profile has PostFilter plugins.
func (f *Framework) HasPostFilterPlugins() bool { return len(f.postFilter) > 0 }

// HasBindPlugins reports whether the profile has Bind plugins.
func (f *Framework) HasBindPlugins() bool { return len(f.bind) > 0 }

// ScorePluginNames returns the names of the Score plugins, in the order
// PluginScores reports them.
func (f *Framework) ScorePluginNames() []string {
	out := make([]string, len(f.score))
	for i, p := range f.score {
		out[i] = p.Name()
	}
	return out
}

// RunPreFilterPlugins runs every PreFilter plugin. It returns the
// intersection of their results, and the first status that is not a
// Success or Skip, labelled with its plugin.
func (f *Framework) RunPreFilterPlugins(ctx context.Context, state *CycleState, pod *types.Pod) (*PreFilterResult, *Status) {
	var result *PreFilterResult
	for _, p := range f.preFilter {
		r, s := p.PreFilter(ctx, state, pod)
		if s.IsSkip() {
			state.setSkipFilter(p.Name())
			continue
		}
		if !s.IsSuccess() {
			return nil, s.WithPlugin(p.Name())
		}
		if r != nil && r.NodeNames != nil {
			result = mergePreFilter(result, r)
		}
	}
	state.filters = make([]FilterPlugin, 0, len(f.filter))
	state.filterIdx = make([]int, 0, len(f.filter))
	state.nonLocal = false
	for i, p := range f.filter {
		if !state.skipFilter[p.Name()] {
			state.filters = append(state.filters, p)
			state.filterIdx = append(state.filterIdx, i)
			state.nonLocal = state.nonLocal || !f.localFilter[i]
		}
	}
	if f.results != nil && state.pi != nil && state.pi.Pod == pod {
		state.results = f.results.attach(state.pi, len(f.Snapshot().List()))
	}
	return result, nil
}

func mergePreFilter(a, b *PreFilterResult) *PreFilterResult {
	if a == nil {
		return b
	}
	out := &PreFilterResult{NodeNames: make(map[string]struct{})}
	for n := range a.NodeNames {
		if _, ok := b.NodeNames[n]; ok {
			out.NodeNames[n] = struct{}{}
		}
	}
	return out
}

// RunPreFilterExtensionAddPod implements Handle.
func (f *Framework) RunPreFilterExtensionAddPod(ctx context.Context, state *CycleState, pod *types.Pod, add *PodInfo, node *NodeInfo) *Status {
	for _, p := range f.preFilter {
		ext, ok := p.(PreFilterExtensions)
		if !ok || state.SkipFilter(p.Name()) {
			continue
		}
		if s := ext.AddPod(ctx, state, pod, add, node); !s.IsSuccess() {
			return s.WithPlugin(p.Name())
		}
	}
	return nil
}

// RunPreFilterExtensionRemovePod implements Handle.
func (f *Framework) RunPreFilterExtensionRemovePod(ctx context.Context, state *CycleState, pod *types.Pod, remove *PodInfo, node *NodeInfo) *Status {
	for _, p := range f.preFilter {
		ext, ok := p.(PreFilterExtensions)
		if !ok || state.SkipFilter(p.Name()) {
			continue
		}
		if s := ext.RemovePod(ctx, state, pod, remove, node); !s.IsSuccess() {
			return s.WithPlugin(p.Name())
		}
	}
	return nil
}

// RunFilterPlugins runs the Filter plugins for pod on node and returns the
// first rejection, labelled with its plugin; nil if every plugin passes.
func (f *Framework) RunFilterPlugins(ctx context.Context, state *CycleState, pod *types.Pod, node *NodeInfo) *Status {
	if state.results != nil {
		if e := state.results.entry(node); e != nil {
			return f.runFilterCached(ctx, state, pod, node, e)
		}
	}
	return f.runFilterPlugins(ctx, state, pod, node)
}

func (f *Framework) runFilterPlugins(ctx context.Context, state *CycleState, pod *types.Pod, node *NodeInfo) *Status {
	filters, checkSkip := state.filters, false
	if filters == nil {
		filters, checkSkip = f.filter, state.skipFilter != nil
	}
	for _, p := range filters {
		if checkSkip && state.skipFilter[p.Name()] {
			continue
		}
		if s := p.Filter(ctx, state, pod, node); !s.IsSuccess() {
			return filterFailure(p, s)
		}
	}
	return nil
}

// filterFailure labels a Filter plugin's failure s with the plugin; a
// code a Filter must not return becomes an Error.
func filterFailure(p FilterPlugin, s *Status) *Status {
	if !s.IsRejected() && s.Code() != Error {
		s = NewStatus(Error, fmt.Sprintf("plugin %q returned %v from Filter", p.Name(), s.Code()))
	}
	return s.WithPlugin(p.Name())
}

// RunFilterPluginsWithNominatedPods runs the Filter plugins as Kubernetes
// does when other pods are nominated to the node: once with the nominated
// pods of equal or higher priority counted as if they were there, and, if
// that passes and any were added, once more without them (pod affinity
// might depend on them being absent).
func (f *Framework) RunFilterPluginsWithNominatedPods(ctx context.Context, state *CycleState, pod *types.Pod, node *NodeInfo) *Status {
	var s *Status
	added := false
	for i := range 2 {
		st, ni := state, node
		if i == 0 {
			var err *Status
			added, st, ni, err = f.addNominatedPods(ctx, pod, state, node)
			if err != nil {
				return err
			}
		} else if !added || !s.IsSuccess() {
			break
		}
		s = f.RunFilterPlugins(ctx, st, pod, ni)
		if !s.IsSuccess() {
			return s
		}
	}
	return s
}

func (f *Framework) addNominatedPods(ctx context.Context, pod *types.Pod, state *CycleState, node *NodeInfo) (bool, *CycleState, *NodeInfo, *Status) {
	if f.opts.NominatedPods == nil || (f.opts.AnyNominated != nil && !f.opts.AnyNominated()) || node.Node() == nil {
		return false, state, node, nil
	}
	nominated := f.opts.NominatedPods(node.Name())
	if len(nominated) == 0 {
		return false, state, node, nil
	}
	prio := PodPriority(pod)
	key := PodKey(pod)
	var st *CycleState
	var ni *NodeInfo
	for _, np := range nominated {
		if np.Priority < prio || np.Key == key {
			continue
		}
		if ni == nil {
			st, ni = state.Clone(), node.Clone()
		}
		ni.AddPodInfo(np)
		if s := f.RunPreFilterExtensionAddPod(ctx, st, pod, np, ni); !s.IsSuccess() {
			return false, state, node, s
		}
	}
	if ni == nil {
		return false, state, node, nil
	}
	return true, st, ni, nil
}

// RunPostFilterPlugins runs PostFilter plugins until one succeeds.
func (f *Framework) RunPostFilterPlugins(ctx context.Context, state *CycleState, pod *types.Pod, rejected NodeToStatus) (*PostFilterResult, *Status) {
	var reasons []string
	var plugin string
	for _, p := range f.postFilter {
		r, s := p.PostFilter(ctx, state, pod, rejected)
		if s.IsSuccess() {
			return r, s
		}
		if s.Code() == Error {
			return nil, s.WithPlugin(p.Name())
		}
		reasons = append(reasons, s.Reasons()...)
		plugin = p.Name()
	}
	if len(f.postFilter) == 0 {
		return nil, NewStatus(Unschedulable)
	}
	return nil, NewStatus(Unschedulable, reasons...).WithPlugin(plugin)
}

// RunPreScorePlugins runs every PreScore plugin.
func (f *Framework) RunPreScorePlugins(ctx context.Context, state *CycleState, pod *types.Pod, nodes []*NodeInfo) *Status {
	for _, p := range f.preScore {
		s := p.PreScore(ctx, state, pod, nodes)
		if s.IsSkip() {
			state.setSkipScore(p.Name())
			continue
		}
		if !s.IsSuccess() {
			return s.WithPlugin(p.Name())
		}
	}
	return nil
}

// RunScorePlugins scores every node with every Score plugin in parallel,
// normalises and weights the scores and returns each node's total, aligned
// with nodes. The returned slice is reused by the next call.
func (f *Framework) RunScorePlugins(ctx context.Context, state *CycleState, pod *types.Pod, nodes []*NodeInfo) ([]int64, *Status) {
	n := len(nodes)
	if cap(f.totals) < n {
		f.totals = make([]int64, n)
	}
	totals := f.totals[:n]
	clear(totals)
	if len(f.scores) < len(f.score) {
		f.scores = make([][]NodeScore, len(f.score))
	}
	if len(f.active) < len(f.score) {
		f.active = make([]bool, len(f.score))
	}
	active := f.active
	run := f.run[:0] // indexes of the active plugins
	for j, p := range f.score {
		active[j] = !state.SkipScore(p.Name())
		if active[j] {
			run = append(run, j)
		}
		if cap(f.scores[j]) < n {
			f.scores[j] = make([]NodeScore, n)
		}
		f.scores[j] = f.scores[j][:n]
	}
	f.run = run
	var errMu sync.Mutex
	var firstErr *Status
	fail := func(p ScorePlugin, s *Status) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = s.WithPlugin(p.Name())
		}
		errMu.Unlock()
	}
	results := state.results
	f.opts.Parallelizer.Until(ctx, n, nil, func(i int) {
		ni := nodes[i]
		name := ni.Name()
		var e *resultEntry
		if results != nil && f.nLocalScore > 0 {
			e = results.entry(ni)
		}
		scored := e != nil && e.scored
		for _, j := range run {
			p := &f.score[j]
			var sc int64
			if k := f.scoreSlot[j]; k >= 0 && scored {
				sc = e.scores[k]
			} else {
				var s *Status
				if sc, s = p.Score(ctx, state, pod, ni); !s.IsSuccess() {
					fail(p, s)
					return
				}
				if k >= 0 && e != nil {
					e.scores[k] = sc
				}
			}
			// Only a normaliser reads the name.
			if p.normalizer != nil {
				f.scores[j][i] = NodeScore{Name: name, Score: sc}
			} else {
				f.scores[j][i].Score = sc
			}
		}
		if e != nil {
			e.scored = true
		}
	})
	if firstErr != nil {
		return nil, firstErr
	}
	for j, p := range f.score {
		if !active[j] {
			continue
		}
		if p.normalizer != nil {
			if s := p.normalizer.NormalizeScore(ctx, state, pod, f.scores[j]); !s.IsSuccess() {
				return nil, s.WithPlugin(p.Name())
			}
		}
		for i := range f.scores[j] {
			sc := f.scores[j][i].Score
			if sc < MinNodeScore || sc > MaxNodeScore {
				return nil, NewStatus(Error, fmt.Sprintf("plugin %q scored node %q %d, outside [%d, %d]", p.Name(), nodes[i].Name(), sc, MinNodeScore, MaxNodeScore)).WithPlugin(p.Name())
			}
			totals[i] += sc * p.weight
		}
	}
	return totals, nil
}

// PluginScore is one plugin's weighted score of a node.
type PluginScore struct {
	Plugin string
	Score  int64 // after normalisation and weight
}

// PluginScores returns the per-plugin weighted scores of the i-th node of
// the last RunScorePlugins call.
func (f *Framework) PluginScores(i int) []PluginScore {
	out := make([]PluginScore, 0, len(f.score))
	for j, p := range f.score {
		switch {
		case j >= len(f.active) || i >= len(f.scores[j]):
		case !f.active[j]:
			out = append(out, PluginScore{Plugin: p.Name()})
		default:
			out = append(out, PluginScore{Plugin: p.Name(), Score: f.scores[j][i].Score * p.weight})
		}
	}
	return out
}

// RunReservePluginsReserve runs Reserve on every Reserve plugin; on a
// failure the caller must run RunReservePluginsUnreserve.
func (f *Framework) RunReservePluginsReserve(ctx context.Context, state *CycleState, pod *types.Pod, nodeName string) *Status {
	for _, p := range f.reserve {
		if s := p.Reserve(ctx, state, pod, nodeName); !s.IsSuccess() {
			return s.WithPlugin(p.Name())
		}
	}
	return nil
}

// RunReservePluginsUnreserve runs Unreserve on every Reserve plugin, in
// reverse order.
func (f *Framework) RunReservePluginsUnreserve(ctx context.Context, state *CycleState, pod *types.Pod, nodeName string) {
	for i := len(f.reserve) - 1; i >= 0; i-- {
		f.reserve[i].Unreserve(ctx, state, pod, nodeName)
	}
}

// RunPermitPlugins runs every Permit plugin. If any says Wait (and none
// rejects), the pod becomes a WaitingPod and Wait is returned; call
// WaitOnPermit to block until it is allowed, rejected or times out.
func (f *Framework) RunPermitPlugins(ctx context.Context, state *CycleState, pod *types.Pod, nodeName string) *Status {
	var timeouts map[string]time.Duration
	for _, p := range f.permit {
		s, d := p.Permit(ctx, state, pod, nodeName)
		switch {
		case s.IsSuccess():
		case s.IsWait():
			if d <= 0 {
				d = time.Minute
			}
			if timeouts == nil {
				timeouts = map[string]time.Duration{}
			}
			timeouts[p.Name()] = min(d, 15*time.Minute)
		default:
			if s.IsRejected() {
				return s.WithPlugin(p.Name())
			}
			return NewStatus(Error, s.Reasons()...).WithPlugin(p.Name())
		}
	}
	if len(timeouts) == 0 {
		return nil
	}
	wp := newWaitingPod(pod, timeouts, f.clk)
	f.waitingMu.Lock()
	f.waiting[PodKey(pod)] = wp
	f.waitingMu.Unlock()
	return NewStatus(Wait)
}

// WaitOnPermit blocks until the waiting pod (if any) is allowed by every
// plugin that held it, rejected, timed out or ctx is done.
func (f *Framework) WaitOnPermit(ctx context.Context, pod *types.Pod) *Status {
	key := PodKey(pod)
	f.waitingMu.Lock()
	wp := f.waiting[key]
	f.waitingMu.Unlock()
	if wp == nil {
		return nil
	}
	defer func() {
		f.waitingMu.Lock()
		delete(f.waiting, key)
		f.waitingMu.Unlock()
	}()
	return wp.wait(ctx)
}

// WaitingPod returns the pod with key held by a Permit plugin, or nil.
func (f *Framework) WaitingPod(key string) *WaitingPod {
	f.waitingMu.Lock()
	defer f.waitingMu.Unlock()
	return f.waiting[key]
}

// RunPreBindPlugins runs every PreBind plugin.
func (f *Framework) RunPreBindPlugins(ctx context.Context, state *CycleState, pod *types.Pod, nodeName string) *Status {
	for _, p := range f.preBind {
		if s := p.PreBind(ctx, state, pod, nodeName); !s.IsSuccess() {
			return s.WithPlugin(p.Name())
		}
	}
	return nil
}

// RunBindPlugins runs Bind plugins until one does not Skip. With no Bind
// plugin, or all skipping, it returns Skip.
func (f *Framework) RunBindPlugins(ctx context.Context, state *CycleState, pod *types.Pod, nodeName string) *Status {
	for _, p := range f.bind {
		s := p.Bind(ctx, state, pod, nodeName)
		if s.IsSkip() {
			continue
		}
		return s.WithPlugin(p.Name())
	}
	return NewStatus(Skip)
}

// RunPostBindPlugins runs every PostBind plugin.
func (f *Framework) RunPostBindPlugins(ctx context.Context, state *CycleState, pod *types.Pod, nodeName string) {
	for _, p := range f.postBind {
		p.PostBind(ctx, state, pod, nodeName)
	}
}

type emptyLister struct{}

func (emptyLister) List() []*NodeInfo                             { return nil }
func (emptyLister) HavePodsWithAffinity() []*NodeInfo             { return nil }
func (emptyLister) HavePodsWithRequiredAntiAffinity() []*NodeInfo { return nil }
func (emptyLister) Get(name string) (*NodeInfo, error) {
	return nil, fmt.Errorf("node %q: %w", name, ErrNodeNotFound)
}
