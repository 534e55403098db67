package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSummary(t *testing.T) {
	md := `# Benchmarks

## labels — vs k8s.io/apimachinery/pkg/labels ([raw](bench-labels.md))

| operation | ratio | goal |
|---|---|---|
| Parse | 6–10× (2 allocations vs 21–113) | ≥2× ✓ |
| ` + "`Matches`" + ` | **0.62×** | |
| no figure | n/a | |

Text between tables.

| case | p50 | p99 |
|---|---|---|
| get | 1.08 | 0.63 |

## store (raw)

| workload | etcd | Coxswain | ratio |
|---|---|---|---|
| list, 1%-selective over 100,000 | 7.77 s | 11.6 ms | 1,669× |
`
	want := []bar{
		{group: "labels", label: "Parse", value: 6, lo: 6, hi: 10},
		{group: "labels", label: "Matches", value: 0.62},
		{group: "store", label: "list, 1%-selective over 100,000", value: 1669},
	}
	got := parseSummary(md)
	if len(got) != len(want) {
		t.Fatalf("got %d bars %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("bar %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestPairRatios(t *testing.T) {
	out := `goos: linux
BenchmarkParse/typical/coxswain-2     	 1000	  500 ns/op	 100 cpu-ns/op	 9 B/op
BenchmarkParse/typical/kubernetes-2   	 1000	 1500 ns/op	 400 cpu-ns/op	 51 B/op
BenchmarkParse/typical/coxswain-2     	 1000	  700 ns/op	 200 cpu-ns/op	 9 B/op
BenchmarkParse/typical/kubernetes-2   	 1000	 1400 ns/op	 300 cpu-ns/op	 51 B/op
BenchmarkSelect/a/coxswain-scan-2     	 10	  100 ns/op
BenchmarkSelect/a/kubernetes-scan-2   	 10	  250 ns/op
BenchmarkSelect/a/coxswain-index-2    	 10	    1 ns/op
BenchmarkQueue/client-go-2            	 10	   90 ns/op
BenchmarkQueue/coxswain-2             	 10	   30 ns/op
BenchmarkAlone/coxswain-2             	 10	   30 ns/op
BenchmarkAgentPods/pods=110-2         	 1	  131.9 cpu-ms/sim-min
PASS
`
	rs := parseBench(out)
	if len(rs) != 11 || rs[0].name != "BenchmarkParse/typical/coxswain" || rs[0].metrics["cpu-ns/op"] != 100 {
		t.Fatalf("parseBench: %d results, first %+v", len(rs), rs[0])
	}
	got := pairRatios(rs)
	type w struct {
		label     string
		value     float64
		lo, hi    float64
		hasRanges bool
	}
	want := []w{
		// cpu-ns/op, reported by both: medians 350 / 150; runs 400/100, 300/200.
		{"Parse/typical vs kubernetes (cpu-ns/op)", 350.0 / 150.0, 300.0 / 200.0, 400.0 / 100.0, true},
		{"Select/a (scan) vs kubernetes (ns/op)", 2.5, 0, 0, false},
		{"Queue vs client-go (ns/op)", 3, 0, 0, false},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %d pairs", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.label != w.label || math.Abs(g.value-w.value) > 1e-9 || math.Abs(g.lo-w.lo) > 1e-9 || math.Abs(g.hi-w.hi) > 1e-9 {
			t.Errorf("pair %d = %+v, want %+v", i, g, w)
		}
	}
}

// TestChartIsSVG checks that a chart is well-formed XML with a bar per row,
// and that labels are escaped.
func TestChartIsSVG(t *testing.T) {
	bars := []bar{{group: "g", label: "a <b> & c", value: 2.5}, {group: "g", label: "slower", value: 0.5}, {group: "h", label: "range", value: 3, lo: 3, hi: 30}}
	svg := chart("title & more", bars)
	d := xml.NewDecoder(strings.NewReader(svg))
	rects := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	if want := 1 + len(bars) + 1; rects != want { // background, one per bar, the range's lighter bar
		t.Errorf("%d rects, want %d", rects, want)
	}
	if !strings.Contains(svg, "a &lt;b&gt; &amp; c") || chart("title & more", bars) != svg {
		t.Errorf("labels must be escaped and the output deterministic")
	}
}

// TestCommittedPlotsAreCurrent checks that docs/img holds exactly what
// `go run ./docs/plots` draws from the documents as they are now.
func TestCommittedPlotsAreCurrent(t *testing.T) {
	files, err := render("..")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("only %d plots drawn", len(files))
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "img", name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("docs/img/%s is not what the benchmark documents give (%v): run `go run ./docs/plots` from the repository root", name, err)
		}
	}
}

// FuzzParse feeds any text to both parsers: they must not panic, and what
// they find must draw as well-formed SVG.
func FuzzParse(f *testing.F) {
	f.Add("## a\n| op | ratio |\n|---|---|\n| x | 2–3× |\n", "BenchmarkA/coxswain-2 1 5 ns/op\nBenchmarkA/kubernetes-2 1 9 ns/op\n")
	f.Add("| ratio |\n|---|\n| 0× |\n| 1e400× |", "BenchmarkA/coxswain 1 0 ns/op\nBenchmarkA/etcd 1 NaN ns/op")
	f.Fuzz(func(t *testing.T, md, bench string) {
		bars := append(parseSummary(md), pairRatios(parseBench(bench))...)
		for _, b := range bars {
			if !(b.value > 0) || math.IsInf(b.value, 0) {
				t.Fatalf("bar with value %v: %+v", b.value, b)
			}
		}
		if len(bars) == 0 {
			return
		}
		d := xml.NewDecoder(strings.NewReader(chart("t", bars)))
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("not well-formed: %v", err)
			}
		}
	})
}
