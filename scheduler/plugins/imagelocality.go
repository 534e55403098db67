package plugins

import (
	"context"

	"github.com/coxswain/coxswain/scheduler/framework"
	"github.com/coxswain/coxswain/types"
)

// ImageLocality thresholds, as Kubernetes has them.
const (
	imageMinThreshold          int64 = 23 * 1024 * 1024
	imageMaxContainerThreshold int64 = 1000 * 1024 * 1024
)

// ImageLocality prefers nodes that already have the pod's images, weighing
// each image by its size and by how few nodes have it (so a popular image
// does not pull every pod to one node).
type ImageLocality struct{ h framework.Handle }

var (
	_ framework.PreScorePlugin = (*ImageLocality)(nil)
	_ framework.ScorePlugin    = (*ImageLocality)(nil)
)

// NewImageLocality returns the plugin.
func NewImageLocality(h framework.Handle) *ImageLocality { return &ImageLocality{h: h} }

func newImageLocality(_ any, h framework.Handle) (framework.Plugin, error) {
	return NewImageLocality(h), nil
}

// Name implements framework.Plugin.
func (*ImageLocality) Name() string { return ImageLocalityName }

const imagePreScoreKey framework.StateKey = "PreScore" + ImageLocalityName

type imageState struct {
	images     []string         // the pod's images, normalised
	size       map[string]int64 // image -> size
	spread     map[string]int   // image -> nodes that have it
	totalNodes int
}

func (s *imageState) Clone() framework.StateData { return s }

// PreScore looks up, for each of the pod's images, how many nodes have
// it. It skips when no node has any of them.
func (pl *ImageLocality) PreScore(_ context.Context, state *framework.CycleState, pod *types.Pod, nodes []*framework.NodeInfo) *framework.Status {
	snap := pl.h.Snapshot()
	il, ok := snap.(framework.ImageLister)
	if !ok {
		return framework.NewStatus(framework.Skip)
	}
	any := false
	for _, c := range pod.Spec.Containers {
		if n, _ := il.ImageNodes(framework.NormalizeImage(c.Image)); n > 0 {
			any = true
		}
	}
	if !any {
		return framework.NewStatus(framework.Skip)
	}
	s := &imageState{size: map[string]int64{}, spread: map[string]int{}, totalNodes: len(snap.List())}
	for _, c := range pod.Spec.Containers {
		img := framework.NormalizeImage(c.Image)
		s.images = append(s.images, img)
		if n, size := il.ImageNodes(img); n > 0 {
			s.spread[img] = n
			s.size[img] = size
		}
	}
	state.Write(imagePreScoreKey, s)
	return nil
}

// Score implements framework.ScorePlugin.
func (pl *ImageLocality) Score(_ context.Context, state *framework.CycleState, _ *types.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	v, ok := state.Read(imagePreScoreKey)
	if !ok {
		return 0, nil
	}
	s := v.(*imageState)
	var sum int64
	for _, img := range s.images {
		if s.spread[img] == 0 {
			continue
		}
		if nodeHasImage(ni.Node(), img) {
			sum += int64(float64(s.size[img]) * float64(s.spread[img]) / float64(s.totalNodes))
		}
	}
	hi := imageMaxContainerThreshold * int64(len(s.images))
	sum = min(max(sum, imageMinThreshold), hi)
	return framework.MaxNodeScore * (sum - imageMinThreshold) / (hi - imageMinThreshold), nil
}

func nodeHasImage(n *types.Node, img string) bool {
	for _, im := range n.Status.Images {
		for _, name := range im.Names {
			if framework.NormalizeImage(name) == img {
				return true
			}
		}
	}
	return false
}
