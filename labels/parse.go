package labels

import (
	"fmt"
	"slices"
)

// Parse parses a selector string with Kubernetes' grammar and gives exactly
// the result of k8s.io/apimachinery's labels.Parse: it accepts and rejects
// the same strings, and the Selector has the same String and Matches.
//
//	<selector>    ::= "" | <requirement> | <requirement> "," <selector>
//	<requirement> ::= ["!"] KEY [ <set-based> | <exact> ]
//	<set-based>   ::= ("in" | "notin") "(" [VALUE] { "," [VALUE] } ")"
//	<exact>       ::= ("=" | "==" | "!=" | ">" | "<") [VALUE]
//
// A bare KEY means the key exists, !KEY that it does not. Commas AND the
// requirements. Spaces, tabs, CR and LF separate tokens and are otherwise
// ignored. KEY must pass ValidateKey and every VALUE ValidateValue (the
// empty value is valid: "a=", "a in (,b)"); ">" and "<" take an integer
// (a string of digits, since a value cannot start with a sign). "in" and
// "notin" are operators after a key and plain words elsewhere ("in in (in)").
// Requirements come out sorted by key and values sorted without duplicates.
// As in Kubernetes, a NUL byte where a token may start ends the input.
//
// Errors wrap ErrSyntax, ErrInvalidKey, ErrInvalidValue or ErrInvalidValues
// and name the offending text.
func Parse(s string) (Selector, error) {
	reqs, err := parse(s)
	if err != nil {
		return nil, err
	}
	return reqs, nil
}

// ParseRequirements is Parse returning the requirements themselves.
func ParseRequirements(s string) (Requirements, error) {
	reqs, err := parse(s)
	if err != nil {
		return nil, err
	}
	return Requirements(reqs), nil
}

// MustParse is Parse that panics on error, for selectors fixed in code.
func MustParse(s string) Selector {
	sel, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return sel
}

// tokKind is a lexical token kind.
type tokKind uint8

const (
	tEOS tokKind = iota
	tIdent
	tIn    // "in"
	tNotIn // "notin"
	tOpen  // (
	tClose // )
	tComma // ,
	tBang  // !
	tEq    // =
	tEqEq  // ==
	tNotEq // !=
	tGT    // >
	tLT    // <
)

type token struct {
	kind tokKind
	lit  string // the text, a substring of the input
	pos  int    // byte offset
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isSpecial(c byte) bool {
	switch c {
	case '=', '!', '(', ')', ',', '>', '<':
		return true
	}
	return false
}

// lexer splits a selector into tokens exactly as Kubernetes' Lexer does,
// including its treatment of NUL: a NUL where a token would start ends the
// input; a NUL right after a token is skipped.
type lexer struct {
	s   string
	pos int
	eos bool
}

func (l *lexer) next() token {
	if l.eos {
		return token{kind: tEOS, pos: len(l.s)}
	}
	for l.pos < len(l.s) && isSpace(l.s[l.pos]) {
		l.pos++
	}
	if l.pos >= len(l.s) || l.s[l.pos] == 0 {
		l.eos = true
		return token{kind: tEOS, pos: l.pos}
	}
	start := l.pos
	var t token
	if c := l.s[start]; isSpecial(c) {
		l.pos++
		t.kind = specialKind(c)
		if (c == '=' || c == '!') && l.pos < len(l.s) && l.s[l.pos] == '=' {
			l.pos++
			if c == '=' {
				t.kind = tEqEq
			} else {
				t.kind = tNotEq
			}
		}
	} else {
		for l.pos < len(l.s) {
			c := l.s[l.pos]
			if c == 0 || isSpecial(c) || isSpace(c) {
				break
			}
			l.pos++
		}
		t.kind = tIdent
		switch l.s[start:l.pos] {
		case "in":
			t.kind = tIn
		case "notin":
			t.kind = tNotIn
		}
	}
	t.lit, t.pos = l.s[start:l.pos], start
	if l.pos < len(l.s) && l.s[l.pos] == 0 {
		l.pos++ // Kubernetes' scanners consume the NUL that stops them
	}
	return t
}

func specialKind(c byte) tokKind {
	switch c {
	case '=':
		return tEq
	case '!':
		return tBang
	case '(':
		return tOpen
	case ')':
		return tClose
	case ',':
		return tComma
	case '>':
		return tGT
	}
	return tLT
}

// parser is a recursive-descent parser with one token of lookahead. It
// mirrors the structure of Kubernetes' parser so that every input gets the
// same decision.
type parser struct {
	lx   lexer
	peek token
	// vals is an arena for requirement values, so a parse allocates little.
	vals []string
}

// asValue maps in/notin to identifiers: outside the operator position they
// are ordinary words.
func asValue(t token) token {
	if t.kind == tIn || t.kind == tNotIn {
		t.kind = tIdent
	}
	return t
}

func (p *parser) lookahead() token { return asValue(p.peek) }

func (p *parser) consumeRaw() token {
	t := p.peek
	p.peek = p.lx.next()
	return t
}

func (p *parser) consume() token { return asValue(p.consumeRaw()) }

func (p *parser) errorf(t token, format string, args ...any) error {
	found := t.lit
	if t.kind == tEOS {
		found = "end of string"
	}
	return fmt.Errorf("%w in %q at offset %d: found %q, %s", ErrSyntax, p.lx.s, t.pos, found, fmt.Sprintf(format, args...))
}

// countRequirements bounds the number of requirements (commas + 1), so the
// slice is allocated once.
func countRequirements(s string) int {
	n := 1
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			n++
		}
	}
	return n
}

func parse(s string) (selector, error) {
	p := parser{lx: lexer{s: s}}
	p.peek = p.lx.next()
	if p.peek.kind == tEOS {
		return selector{}, nil
	}
	reqs := make(selector, 0, countRequirements(s))
	p.vals = make([]string, 0, cap(reqs))
	for {
		t := p.lookahead()
		switch t.kind {
		case tIdent, tBang:
			r, err := p.requirement()
			if err != nil {
				return nil, err
			}
			reqs = append(reqs, r)
			switch t := p.consume(); t.kind {
			case tEOS:
				sortByKey(reqs)
				return reqs, nil
			case tComma:
				if t2 := p.lookahead(); t2.kind != tIdent && t2.kind != tBang {
					return nil, p.errorf(t2, "expected: identifier after ','")
				}
			default:
				return nil, p.errorf(t, "expected: ',' or end of string")
			}
		default:
			return nil, p.errorf(t, "expected: !, identifier, or end of string")
		}
	}
}

func (p *parser) requirement() (Requirement, error) {
	var r Requirement
	t := p.consume()
	if t.kind == tBang {
		r.op, r.code = nDoesNotExist, opDoesNotExist
		t = p.consume()
	}
	if t.kind != tIdent {
		return r, p.errorf(t, "expected: identifier")
	}
	if err := ValidateKey(t.lit); err != nil {
		return r, err
	}
	r.key = t.lit
	if n := p.lookahead().kind; n == tEOS || n == tComma {
		if r.op != nDoesNotExist {
			r.op, r.code = nExists, opExists
		}
	}
	if r.op == nExists || r.op == nDoesNotExist {
		return r, nil
	}
	switch t := p.consumeRaw(); t.kind {
	case tIn:
		r.op = nIn
	case tNotIn:
		r.op = nNotIn
	case tEq:
		r.op = nEquals
	case tEqEq:
		r.op = nDoubleEquals
	case tNotEq:
		r.op = nNotEquals
	case tGT:
		r.op = nGreaterThan
	case tLT:
		r.op = nLessThan
	default:
		return r, p.errorf(t, "expected: in, notin, =, ==, !=, gt, lt")
	}
	r.code = codeOf(r.op.operator())
	start := len(p.vals)
	var err error
	if r.op == nIn || r.op == nNotIn {
		err = p.valueSet()
	} else {
		err = p.exactValue()
	}
	if err != nil {
		return r, err
	}
	r.values = p.vals[start:len(p.vals):len(p.vals)]
	if len(r.values) > 1 {
		slices.Sort(r.values)
		r.values = slices.Compact(r.values)
	}
	for _, v := range r.values {
		if err := validateValueOf(r.key, v); err != nil {
			return r, err
		}
	}
	if r.code == opGreaterThan || r.code == opLessThan {
		n, ok := parseInt64(r.values[0])
		if !ok {
			return r, fmt.Errorf("%w for key %q: operator %q needs an integer, got %q", ErrInvalidValues, r.key, string(r.op.operator()), r.values[0])
		}
		r.num = n
	}
	return r, nil
}

// valueSet parses "(" values ")" into p.vals.
func (p *parser) valueSet() error {
	if t := p.consume(); t.kind != tOpen {
		return p.errorf(t, "expected: '('")
	}
	switch t := p.lookahead(); t.kind {
	case tIdent, tComma:
		if err := p.valueList(); err != nil {
			return err
		}
		if c := p.consume(); c.kind != tClose {
			return p.errorf(c, "expected: ')'")
		}
		return nil
	case tClose:
		p.consume()
		p.vals = append(p.vals, "")
		return nil
	default:
		return p.errorf(t, "expected: ',', ')' or identifier")
	}
}

// valueList parses a comma-separated list of possibly empty values, up to
// but not including ")". Empty values are recorded as "".
func (p *parser) valueList() error {
	start := len(p.vals)
	for {
		switch t := p.consume(); t.kind {
		case tIdent:
			p.vals = append(p.vals, t.lit)
			switch t2 := p.lookahead(); t2.kind {
			case tComma:
				continue
			case tClose:
				return nil
			default:
				return p.errorf(t2, "expected: ',' or ')'")
			}
		case tComma:
			if len(p.vals) == start {
				p.vals = append(p.vals, "")
			}
			switch p.lookahead().kind {
			case tClose:
				p.vals = append(p.vals, "")
				return nil
			case tComma:
				p.vals = append(p.vals, "")
			}
		default:
			return p.errorf(t, "expected: ',', or identifier")
		}
	}
}

// exactValue parses the single, possibly empty, value after =, ==, !=, >, <.
func (p *parser) exactValue() error {
	if t := p.lookahead(); t.kind == tEOS || t.kind == tComma {
		p.vals = append(p.vals, "")
		return nil
	}
	t := p.consume()
	if t.kind != tIdent {
		return p.errorf(t, "expected: identifier")
	}
	p.vals = append(p.vals, t.lit)
	return nil
}
