package job

import (
	"context"
	"testing"

	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// BenchmarkJob runs a Job of 200 completions, 20 at a time, end to end over
// the in-memory store (pod creation, tracking finalizers, status): ns/op is
// per Job; pods/s is reported.
func BenchmarkJob(b *testing.B) {
	st, _ := setup(b, nil, func(*types.Pod) types.PodPhase { return types.PodSucceeded })
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		j := newJob("bench", 20, 200)
		j.Name = j.Name + "-" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26))
		if _, err := store.For[*types.Job](st).Create(ctx, j); err != nil {
			b.Fatal(err)
		}
		testkit.Eventually(b, "job complete", func() bool {
			got, err := store.For[*types.Job](st).Get(ctx, "default", j.Name)
			return err == nil && cond(got, types.JobComplete) != nil
		})
	}
	b.ReportMetric(float64(200*b.N)/b.Elapsed().Seconds(), "pods/s")
}
