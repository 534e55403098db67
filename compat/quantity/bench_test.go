package quantity

import (
	"syscall"
	"testing"
	"time"

	"github.com/coxswain/coxswain/types"
	"k8s.io/apimachinery/pkg/api/resource"
)

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ns/op metric: on a loaded machine wall-clock ns/op
// mostly measures waiting for a core, while CPU time per op (including the
// garbage collector's) still compares the two implementations fairly.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

// benchInputs are typical resource requests and limits, plus a few that
// need canonicalising or the big-number path.
var benchInputs = []string{
	"100m", "250m", "500m", "1", "2", "1.5", "0.5",
	"64Mi", "128Mi", "512Mi", "1Gi", "1.5Gi", "2048Ki", "10G", "1000",
}

var benchBig = []string{"12345678901234567890", "0.0000000001", "1.5Ei", "9Ei"}

func BenchmarkParse(b *testing.B) {
	for _, set := range []struct {
		name string
		in   []string
	}{{"typical", benchInputs}, {"big", benchBig}} {
		b.Run(set.name+"/coxswain", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			defer reportCPU(b)()
			for i := 0; b.Loop(); i++ {
				if _, err := types.ParseQuantity(set.in[i%len(set.in)]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(set.name+"/kubernetes", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			defer reportCPU(b)()
			for i := 0; b.Loop(); i++ {
				if _, err := resource.ParseQuantity(set.in[i%len(set.in)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// sink keeps results alive so the compiler cannot drop the work.
var (
	sink      string
	sinkBytes []byte
)

// BenchmarkString formats values that are not cached from parsing (the
// results of Add), so both sides do the canonicalisation work.
func BenchmarkString(b *testing.B) {
	ours := make([]types.Quantity, len(benchInputs))
	theirs := make([]resource.Quantity, len(benchInputs))
	one := types.MustParseQuantity("1m")
	kone := resource.MustParse("1m")
	for i, s := range benchInputs {
		ours[i] = types.MustParseQuantity(s).Add(one)
		theirs[i] = resource.MustParse(s)
		theirs[i].Add(kone)
	}
	b.Run("coxswain", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for i := 0; b.Loop(); i++ {
			sink = ours[i%len(ours)].String()
		}
	})
	b.Run("kubernetes", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for i := 0; b.Loop(); i++ {
			q := theirs[i%len(theirs)] // a copy, so String's cache starts empty
			sink = q.String()
		}
	})
}

// BenchmarkAdd sums a stream of requests. "typical" includes 1.5Gi, which
// both libraries hold as a big number (Kubernetes' inf.Dec fallback), so the
// running sum goes big too; "int64" has only values of the int64 fast path.
func BenchmarkAdd(b *testing.B) {
	var small []string
	for _, s := range benchInputs {
		if s != "1.5Gi" {
			small = append(small, s)
		}
	}
	for _, set := range []struct {
		name string
		in   []string
	}{{"typical", benchInputs}, {"int64", small}} {
		ours := make([]types.Quantity, len(set.in))
		theirs := make([]resource.Quantity, len(set.in))
		for i, s := range set.in {
			ours[i] = types.MustParseQuantity(s)
			theirs[i] = resource.MustParse(s)
		}
		b.Run(set.name+"/coxswain", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			var sum types.Quantity
			for i := 0; b.Loop(); i++ {
				sum = sum.Add(ours[i%len(ours)])
				if i%1000 == 999 {
					sum = types.Quantity{}
				}
			}
		})
		b.Run(set.name+"/kubernetes", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			var sum resource.Quantity
			for i := 0; b.Loop(); i++ {
				sum.Add(theirs[i%len(theirs)])
				if i%1000 == 999 {
					sum = resource.Quantity{}
				}
			}
		})
	}
}

func BenchmarkCmp(b *testing.B) {
	ours := make([]types.Quantity, len(benchInputs))
	theirs := make([]resource.Quantity, len(benchInputs))
	for i, s := range benchInputs {
		ours[i] = types.MustParseQuantity(s)
		theirs[i] = resource.MustParse(s)
	}
	n := len(benchInputs)
	b.Run("coxswain", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for i := 0; b.Loop(); i++ {
			_ = ours[i%n].Cmp(ours[(i/n)%n])
		}
	})
	b.Run("kubernetes", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for i := 0; b.Loop(); i++ {
			_ = theirs[i%n].Cmp(theirs[(i/n)%n])
		}
	})
}

func BenchmarkMarshalJSON(b *testing.B) {
	ours := make([]types.Quantity, len(benchInputs))
	theirs := make([]resource.Quantity, len(benchInputs))
	for i, s := range benchInputs {
		ours[i] = types.MustParseQuantity(s)
		theirs[i] = resource.MustParse(s)
	}
	b.Run("coxswain", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for i := 0; b.Loop(); i++ {
			out, err := ours[i%len(ours)].MarshalJSON()
			if err != nil {
				b.Fatal(err)
			}
			sinkBytes = out
		}
	})
	b.Run("kubernetes", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for i := 0; b.Loop(); i++ {
			out, err := theirs[i%len(theirs)].MarshalJSON()
			if err != nil {
				b.Fatal(err)
			}
			sinkBytes = out
		}
	})
}
