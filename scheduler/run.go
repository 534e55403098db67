package scheduler

import (
	"context"
	"errors"
	"sync"
)

// Run schedules the pods queued by AddPod (those with no node) until ctx
// is done, one cycle at a time; each placed pod is bound (Bind) in its own
// goroutine. A pod that fits nowhere waits in the queue for a cluster event;
// one that failed otherwise backs off. Run returns nil when ctx ends, after
// every goroutine it started has exited.
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = s.queue.Run(ctx)
	}()
	for {
		qp, err := s.queue.Pop(ctx)
		if err != nil {
			return nil
		}
		s.scheduleOne(ctx, qp, &wg)
	}
}

func (s *Scheduler) scheduleOne(ctx context.Context, qp *QueuedPod, wg *sync.WaitGroup) {
	pod := qp.Pod
	res, err := s.Schedule(ctx, pod)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ErrUnschedulable) || errors.Is(err, ErrNoNodes) {
			s.queue.AddUnschedulable(qp)
		} else {
			s.queue.AddBackoff(qp)
		}
		s.log.Debug("pod not scheduled", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		if s.cfg.OnFailure != nil {
			s.cfg.OnFailure(ctx, pod, res, err)
		}
		return
	}
	// The pod stays in flight until its binding ends, so that a deletion
	// or a replacement while it binds is not undone by a retry.
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.Bind(ctx, res); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Debug("binding failed", "pod", pod.Namespace+"/"+pod.Name, "node", res.NodeName, "err", err)
			// Back off, as after any error: a binding that fails at once
			// (the pod is gone, or bound elsewhere) would otherwise be
			// retried in a busy loop. A pod deleted or replaced meanwhile
			// is not queued again.
			s.queue.AddBackoff(qp)
			if s.cfg.OnFailure != nil {
				s.cfg.OnFailure(ctx, pod, res, err)
			}
			return
		}
		s.queue.Done(qp.Key)
		if s.cfg.OnBound != nil {
			s.cfg.OnBound(ctx, res)
		}
	}()
}
