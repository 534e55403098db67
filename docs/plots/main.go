// Command plots draws the benchmark figures of docs/benchmarks.md as SVG,
// from the measurements themselves:
//
//	go run ./docs/plots        # from the repository root
//
// It writes, into docs/img:
//
//   - bench-summary.svg: every figure of docs/benchmarks.md's "ratio"
//     columns (how many times faster Coxswain is than the reference; a
//     range "6–10×" is drawn as a bar to 6 and a lighter bar on to 10);
//   - bench-<area>.svg for each docs/bench-<area>.md that holds raw `go test
//     -bench` output of side-by-side benchmarks (sub-benchmarks named
//     .../coxswain and .../kubernetes, client-go, etcd, ...): for each pair,
//     the reference's time per operation over ours (cpu-ns/op where both
//     report it, else ns/op), median over the runs, with the smallest and
//     largest run-by-run ratio as a whisker.
//
// Both use a logarithmic axis with a line at 1×: bars to the right of it are
// where Coxswain is faster. The output is deterministic; a test checks that
// the committed pictures match the documents.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

func main() {
	docs := flag.String("docs", "docs", "the docs directory (bench-*.md in, img/*.svg out)")
	flag.Parse()
	files, err := render(*docs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plots:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(*docs, "img", name)
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "plots:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", p)
	}
}

// render reads the documents under docs and returns the pictures by file
// name.
func render(docs string) (map[string][]byte, error) {
	out := map[string][]byte{}
	summary, err := os.ReadFile(filepath.Join(docs, "benchmarks.md"))
	if err != nil {
		return nil, err
	}
	bars := parseSummary(string(summary))
	if len(bars) == 0 {
		return nil, fmt.Errorf("%s: no ratio column found", filepath.Join(docs, "benchmarks.md"))
	}
	out["bench-summary.svg"] = []byte(chart("Coxswain vs the reference, from docs/benchmarks.md (× faster)", bars))
	raws, err := filepath.Glob(filepath.Join(docs, "bench-*.md"))
	if err != nil {
		return nil, err
	}
	sort.Strings(raws)
	for _, p := range raws {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		pairs := pairRatios(parseBench(string(b)))
		if len(pairs) == 0 {
			continue
		}
		area := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "bench-"), ".md")
		out["bench-"+area+".svg"] = []byte(chart(fmt.Sprintf("%s: reference time / Coxswain time, from docs/%s", area, filepath.Base(p)), pairs))
	}
	return out, nil
}

// bar is one row of a chart: a value (drawn solid) and optionally a range
// around it (lo..hi, drawn as a whisker or a lighter bar).
type bar struct {
	group, label string
	value        float64
	lo, hi       float64 // 0 when there is no range
}

var (
	ratioRe = regexp.MustCompile(`(\d[\d,]*(?:\.\d+)?)(?:\s*[–-]\s*(\d[\d,]*(?:\.\d+)?))?\s*×`)
	markup  = strings.NewReplacer("**", "", "`", "", "\\|", "|")
)

func number(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	return f, err == nil && f > 0
}

// parseSummary reads the markdown tables of benchmarks.md and returns a bar
// for each row whose "ratio" column holds a figure such as "2.3×" or
// "6–10×"; the group is the section heading.
func parseSummary(md string) []bar {
	var bars []bar
	section := ""
	col := -1
	lines := strings.Split(md, "\n")
	for i, line := range lines {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
			if j := strings.IndexAny(section, "—("); j > 0 {
				section = strings.TrimSpace(section[:j])
			}
			col = -1
		case !strings.HasPrefix(line, "|"):
			col = -1
		case i+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i+1]), "|---"):
			col = -1
			for j, h := range cells(line) {
				if strings.HasPrefix(strings.ToLower(h), "ratio") { // not "operation"
					col = j
					break
				}
			}
		case strings.HasPrefix(line, "|---"):
		case col >= 0:
			cs := cells(line)
			if col >= len(cs) {
				continue
			}
			m := ratioRe.FindStringSubmatch(markup.Replace(cs[col]))
			if m == nil {
				continue
			}
			v, ok := number(m[1])
			if !ok {
				continue
			}
			b := bar{group: section, label: markup.Replace(cs[0]), value: v}
			if hi, ok := number(m[2]); ok && hi > v {
				b.lo, b.hi = v, hi
			}
			bars = append(bars, b)
		}
	}
	return bars
}

// cells splits a markdown table row.
func cells(row string) []string {
	row = strings.Trim(strings.TrimSpace(row), "|")
	var out []string
	for _, c := range strings.Split(row, "|") {
		out = append(out, strings.TrimSpace(c))
	}
	return out
}

// result is one line of `go test -bench` output.
type result struct {
	name    string // without the -GOMAXPROCS suffix
	metrics map[string]float64
}

var (
	benchRe = regexp.MustCompile(`^(Benchmark\S+)\s+\d+\s+(.*)$`)
	procsRe = regexp.MustCompile(`-\d+$`)
)

// parseBench returns every benchmark result line in text, in order.
func parseBench(text string) []result {
	var out []result
	for _, line := range strings.Split(text, "\n") {
		m := benchRe.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		r := result{name: procsRe.ReplaceAllString(m[1], ""), metrics: map[string]float64{}}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			r.metrics[f[i+1]] = v
		}
		if len(r.metrics) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// references are the names side-by-side benchmarks give the implementation
// Coxswain is compared with, as the last element of the benchmark's name.
var references = []string{"kubernetes", "client-go", "etcd", "haproxy", "robfig", "json", "direct", "ctr"}

// implementation splits a benchmark name into the pair it belongs to and
// the implementation: ("BenchmarkParse/typical", "coxswain").
func implementation(name string) (pair, impl string, ok bool) {
	i := strings.LastIndex(name, "/")
	if i < 0 {
		return "", "", false
	}
	prefix, last := name[:i], name[i+1:]
	for _, impl := range append([]string{"coxswain"}, references...) {
		if variant, found := strings.CutPrefix(last, impl); found {
			pair = strings.TrimPrefix(prefix, "Benchmark")
			if variant = strings.TrimPrefix(variant, "-"); variant != "" {
				pair += " (" + variant + ")"
			}
			return pair, impl, true
		}
	}
	return "", "", false
}

// pairRatios pairs each Coxswain benchmark with its reference and returns
// the reference's time over ours: the ratio of the medians, and the range of
// the run-by-run ratios (runs paired in order).
func pairRatios(results []result) []bar {
	type side struct{ ours, ref []result }
	pairs := map[string]*side{}
	var order []string
	refName := map[string]string{}
	for _, r := range results {
		pair, impl, ok := implementation(r.name)
		if !ok {
			continue
		}
		s := pairs[pair]
		if s == nil {
			s = &side{}
			pairs[pair] = s
			order = append(order, pair)
		}
		if impl == "coxswain" {
			s.ours = append(s.ours, r)
		} else if refName[pair] == "" || refName[pair] == impl {
			refName[pair] = impl
			s.ref = append(s.ref, r)
		}
	}
	var bars []bar
	for _, pair := range order {
		s := pairs[pair]
		if len(s.ours) == 0 || len(s.ref) == 0 {
			continue
		}
		metric := "ns/op"
		if all(s.ours, "cpu-ns/op") && all(s.ref, "cpu-ns/op") {
			metric = "cpu-ns/op"
		}
		if !all(s.ours, metric) || !all(s.ref, metric) {
			continue
		}
		ours, ref := values(s.ours, metric), values(s.ref, metric)
		b := bar{group: strings.SplitN(pair, "/", 2)[0], label: fmt.Sprintf("%s vs %s (%s)", pair, refName[pair], metric), value: median(ref) / median(ours)}
		var runs []float64
		for i := 0; i < len(ours) && i < len(ref); i++ {
			runs = append(runs, ref[i]/ours[i])
		}
		if len(runs) > 1 {
			b.lo, b.hi = slices.Min(runs), slices.Max(runs)
		}
		if b.value > 0 && !math.IsInf(b.value, 0) {
			bars = append(bars, b)
		}
	}
	return bars
}

func all(rs []result, metric string) bool {
	for _, r := range rs {
		if v, ok := r.metrics[metric]; !ok || v <= 0 {
			return false
		}
	}
	return true
}

func values(rs []result, metric string) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.metrics[metric]
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// chart draws bars as a horizontal bar chart on a log axis, grouped.
func chart(title string, bars []bar) string {
	const (
		width  = 960
		labelW = 430
		plotW  = 440
		rowH   = 18
		top    = 54
	)
	lo, hi := 1.0, 1.0
	for _, b := range bars {
		lo = math.Min(lo, math.Min(b.value, nonzero(b.lo, b.value)))
		hi = math.Max(hi, math.Max(b.value, b.hi))
	}
	minExp, maxExp := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if maxExp == minExp {
		maxExp++
	}
	x := func(v float64) float64 {
		return labelW + plotW*(math.Log10(v)-minExp)/(maxExp-minExp)
	}
	rows := 0
	group := ""
	for _, b := range bars {
		if b.group != group {
			rows++
			group = b.group
		}
		rows++
	}
	height := top + rows*rowH + 30
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&s, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", width, height)
	fmt.Fprintf(&s, `<text x="10" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", esc(title))
	bottom := top + rows*rowH
	for e := minExp; e <= maxExp; e++ {
		v := math.Pow(10, e)
		fmt.Fprintf(&s, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", x(v), top-6, x(v), bottom, map[bool]string{true: "#333", false: "#ddd"}[e == 0])
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s×</text>`+"\n", x(v), top-10, tick(v))
	}
	y := top
	group = ""
	for _, b := range bars {
		if b.group != group {
			group = b.group
			fmt.Fprintf(&s, `<text x="10" y="%d" font-weight="bold">%s</text>`+"\n", y+13, esc(group))
			y += rowH
		}
		colour := "#2a7d2a"
		if b.value < 1 {
			colour = "#b03030"
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW-8, y+13, esc(truncate(b.label, 64)))
		x0, x1 := x(1), x(b.value)
		fmt.Fprintf(&s, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", math.Min(x0, x1), y+3, math.Abs(x1-x0), rowH-6, colour)
		label := fmt.Sprintf("%s×", short(b.value))
		end := math.Max(x0, x1)
		if b.hi > 0 {
			if b.lo == b.value { // a range from the document: a lighter bar on to hi
				fmt.Fprintf(&s, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" fill-opacity="0.35"/>`+"\n", x(b.value), y+3, x(b.hi)-x(b.value), rowH-6, colour)
				label = fmt.Sprintf("%s–%s×", short(b.lo), short(b.hi))
			} else { // runs: a whisker
				fmt.Fprintf(&s, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000"/>`+"\n", x(b.lo), y+rowH/2, x(b.hi), y+rowH/2)
			}
			end = math.Max(end, x(b.hi))
		}
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" fill="#333">%s</text>`+"\n", end+4, y+13, label)
		y += rowH
	}
	fmt.Fprintf(&s, `<text x="%d" y="%d" fill="#555">right of the 1× line: Coxswain faster; left: slower</text>`+"\n", labelW, bottom+20)
	s.WriteString("</svg>\n")
	return s.String()
}

func nonzero(v, or float64) float64 {
	if v > 0 {
		return v
	}
	return or
}

func tick(v float64) string {
	if v >= 1 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func short(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

var xmlEscapes = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// esc makes s safe as SVG text: markup escaped, and characters XML does
// not allow (controls, invalid UTF-8) dropped.
func esc(s string) string {
	return xmlEscapes.Replace(strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s))
}
