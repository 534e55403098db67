// Package cronjob compares coxswain's cron parser with robfig/cron/v3, the
// parser Kubernetes' CronJob controller uses: the same next run times for
// the same standard schedules, and side-by-side benchmarks.
package cronjob

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	ours "github.com/coxswain/coxswain/reconcile/controllers/cronjob"
	"github.com/robfig/cron/v3"
)

var schedules = []string{
	"* * * * *", "*/5 * * * *", "0 * * * *", "30 2 * * *", "0 9-17 * * MON-FRI", "15,45 */2 * * *",
	"0 0 1 * *", "0 0 * * 0", "0 0 13 * 5", "0 0 1-7 * 1", "5 4 * * sun", "0 22 * * 1-5",
	"23 0-20/2 * * *", "0 0,12 1 */2 *", "0 4 8-14 * *", "0 0 29 2 *", "@hourly", "@daily",
	"@weekly", "@monthly", "@yearly", "10/20 * * * *", "0 0 ? * SAT", "0 12 * JAN-MAR,OCT *",
}

// TestNextMatchesRobfig: for every schedule and many start times across
// zones, Next gives the same times as robfig/cron's ParseStandard.
func TestNextMatchesRobfig(t *testing.T) {
	// Not Australia/Lord_Howe: its 30-minute DST shift trips robfig/cron
	// (from 2025-04-06 00:00, "0 0 * * 0" gives 2025-04-20, skipping the
	// Sunday 2025-04-13 that coxswain gives).
	zones := []string{"UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "America/Sao_Paulo"}
	r := rand.New(rand.NewPCG(1, 2))
	for _, spec := range schedules {
		o, err := ours.Parse(spec)
		if err != nil {
			t.Fatalf("ours %q: %v", spec, err)
		}
		k, err := cron.ParseStandard(spec)
		if err != nil {
			t.Fatalf("robfig %q: %v", spec, err)
		}
		for _, z := range zones {
			loc, err := time.LoadLocation(z)
			if err != nil {
				t.Skip("no tzdata")
			}
			for range 200 {
				from := time.Unix(1_700_000_000+r.Int64N(3*365*24*3600), 0).In(loc)
				a, b := from, from
				for step := range 5 {
					a, b = o.Next(a), k.Next(b)
					if !a.Equal(b) {
						t.Fatalf("%q from %v (step %d): ours %v, robfig %v", spec, from, step, a, b)
					}
				}
			}
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.Run("coxswain", func(b *testing.B) {
		for b.Loop() {
			for _, s := range schedules {
				if _, err := ours.Parse(s); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("robfig", func(b *testing.B) {
		for b.Loop() {
			for _, s := range schedules {
				if _, err := cron.ParseStandard(s); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkNext(b *testing.B) {
	from := time.Date(2026, 3, 7, 13, 37, 0, 0, time.UTC)
	for _, spec := range []string{"*/5 * * * *", "0 9-17 * * MON-FRI", "0 0 29 2 *"} {
		o, _ := ours.Parse(spec)
		k, _ := cron.ParseStandard(spec)
		b.Run(fmt.Sprintf("coxswain/%s", spec), func(b *testing.B) {
			for b.Loop() {
				o.Next(from)
			}
		})
		b.Run(fmt.Sprintf("robfig/%s", spec), func(b *testing.B) {
			for b.Loop() {
				k.Next(from)
			}
		})
	}
}
