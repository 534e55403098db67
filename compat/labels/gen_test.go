package labels

import (
	"math/rand/v2"
	"strings"

	ours "github.com/coxswain/coxswain/labels"
)

// gen produces selector strings, valid and invalid, from a seeded source.
type gen struct {
	r *rand.Rand
}

func newGen(seed uint64) *gen { return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (g *gen) run(n int, chars string) string {
	var b strings.Builder
	for range n {
		b.WriteByte(chars[g.r.IntN(len(chars))])
	}
	return b.String()
}

// name returns a label name or value, mostly valid, sometimes at or past the
// length limits or with bad characters.
func (g *gen) name() string {
	switch g.r.IntN(20) {
	case 0:
		return ""
	case 1:
		return "a" + g.run(61, alnum+"-_.") + "z" // 63: the limit
	case 2:
		return "a" + g.run(62, alnum+"-_.") + "z" // 64: too long
	case 3:
		return g.pick("-a", "a-", "_a", "a_", ".a", "a.", "a..b", "a-_.b", "A", "Z9")
	case 4:
		return g.pick("ü", "日本", "a\u00e9b", "\xff", "a\x00b", "a/b", "a b", "a\tb")
	case 5:
		return g.pick("in", "notin", "exists", "gt", "lt", "IN", "NotIn")
	case 6:
		return g.pick("0", "1", "42", "-1", "+5", "007", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1e3", "0x10", "1_000")
	case 7, 8:
		return g.pick("app", "tier", "env", "x", "y", "release", "version")
	}
	n := 1 + g.r.IntN(8)
	if n == 1 {
		return g.run(1, alnum)
	}
	return g.run(1, alnum) + g.run(n-2, alnum+"-_.") + g.run(1, alnum)
}

func (g *gen) prefix() string {
	switch g.r.IntN(12) {
	case 0:
		return ""
	case 1:
		return strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61) // 253
	case 2:
		return strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 62) // 254
	case 3:
		return g.pick("Example.com", "-a.com", "a-.com", "a..b", ".a", "a.", "a_b.com", "xn--bcher-kva.example", "1.2.3.4", strings.Repeat("a", 64)+".com")
	}
	parts := 1 + g.r.IntN(3)
	var ps []string
	for range parts {
		n := 1 + g.r.IntN(6)
		const lower = "abcdefghijklmnopqrstuvwxyz0123456789"
		if n == 1 {
			ps = append(ps, g.run(1, lower))
		} else {
			ps = append(ps, g.run(1, lower)+g.run(n-2, lower+"-")+g.run(1, lower))
		}
	}
	return strings.Join(ps, ".")
}

func (g *gen) key() string {
	switch g.r.IntN(10) {
	case 0, 1, 2:
		return g.prefix() + "/" + g.name()
	case 3:
		return g.prefix() + "/" + g.name() + "/" + g.name()
	}
	return g.name()
}

// ws returns whitespace, usually none.
func (g *gen) ws() string {
	if g.chance(0.7) {
		return ""
	}
	return g.pick(" ", "  ", "\t", "\n", "\r", " \t ", "\v", "\f", "\x00", "\u00a0")
}

func (g *gen) values() string {
	var vs []string
	for range g.r.IntN(5) {
		vs = append(vs, g.ws()+g.name()+g.ws())
	}
	return strings.Join(vs, g.pick(",", ",", ",", ", ", " ,", ",,", " "))
}

func (g *gen) requirement() string {
	k := g.key()
	w := g.ws
	switch g.r.IntN(14) {
	case 0:
		return w() + k + w()
	case 1:
		return w() + "!" + w() + k + w()
	case 2, 3:
		return w() + k + w() + g.pick("=", "==", "!=") + w() + g.name() + w()
	case 4, 5:
		return w() + k + " " + g.pick("in", "notin") + w() + "(" + g.values() + ")" + w()
	case 6:
		return w() + k + w() + g.pick(">", "<") + w() + g.name() + w()
	case 7:
		return w() + k + w() + g.pick(">", "<") + w() + g.pick("0", "3", "10", "-1", "99999999999999999999", "007") + w()
	case 8:
		return w() + k + g.pick("in", "notin", " in", "in ", " notin ") + g.pick("(", " (", "") + g.values() + g.pick(")", "", "))")
	case 9:
		return k + g.pick("=", "==", "!=", "!", "<", ">", "=>", "<=", ">=", "===", "!==", "=!", "!!", "(", ")", ",") + g.name()
	case 10:
		return g.pick("!", "!!", "", ",", "(", ")") + k + g.pick("", ",", "=", " ", "!")
	case 11:
		return g.pick("in", "notin", "!in", "in in (in)", "notin notin (notin)", "in=in", "x in in", "x in (in,notin)", "x notin", "x in", "x in (", "x in ()", "x in (,)", "x in (,,)", "x in (a,)", "x in (,a)", "x in (a,,b)", "x = ", "x==", "x!=", "x>", "x<", "x=(", "x!=a b", "!x=y", "!x in (y)", "x,", ",x", "x,,y", "x y", "()", "a=b,", "a=b)")
	default:
		return w() + k + w() + "=" + w() + g.name() + w()
	}
}

// selector returns a selector string; some are structured, some are token
// soup, some are mutated.
func (g *gen) selector() string {
	var s string
	switch g.r.IntN(10) {
	case 0:
		s = g.soup()
	default:
		n := g.r.IntN(5)
		if g.chance(0.05) {
			n = 12 + g.r.IntN(10) // past the insertion-sort cutoff, with repeats
		}
		var rs []string
		for range n {
			rs = append(rs, g.requirement())
		}
		s = strings.Join(rs, g.pick(",", ",", ",", ", ", " ,", ",,"))
	}
	if g.chance(0.15) {
		s = g.mutate(s)
	}
	return s
}

func (g *gen) soup() string {
	var b strings.Builder
	for range g.r.IntN(12) {
		b.WriteString(g.pick("a", "b", "x/y", "in", "notin", "=", "==", "!=", "!", "(", ")", ",", ">", "<", " ", "\t", "1", "", "\x00", "é", "A.b-c_d"))
	}
	return b.String()
}

func (g *gen) mutate(s string) string {
	b := []byte(s)
	for range 1 + g.r.IntN(3) {
		const alphabet = "abc019=!(),<> \t\n\x00/._-\xff"
		switch i := g.r.IntN(len(b) + 1); g.r.IntN(3) {
		case 0:
			b = append(b[:i], append([]byte{alphabet[g.r.IntN(len(alphabet))]}, b[i:]...)...)
		case 1:
			if i < len(b) {
				b = append(b[:i], b[i+1:]...)
			}
		default:
			if i < len(b) {
				b[i] = alphabet[g.r.IntN(len(alphabet))]
			}
		}
	}
	return string(b)
}

// labelSets returns label sets built from the keys and values of reqs, so
// that matching is exercised on both sides of every requirement.
func (g *gen) labelSets(reqs ours.Requirements, n int) []map[string]string {
	var keys, vals []string
	for _, r := range reqs {
		keys = append(keys, r.Key())
		vals = append(vals, r.Values()...)
	}
	keys = append(keys, "app", "other")
	vals = append(vals, "", "web", "0", "5", "-5", "+5", "abc", "99999999999999999999", "-9223372036854775808", "9223372036854775807")
	sets := []map[string]string{nil, {}}
	for range n {
		m := map[string]string{}
		for _, k := range keys {
			if g.chance(0.6) {
				m[k] = vals[g.r.IntN(len(vals))]
			}
		}
		sets = append(sets, m)
	}
	return sets
}
