package labels

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Operator relates a Requirement's key to its values. The strings are
// Kubernetes' (k8s.io/apimachinery/pkg/selection), so Operator(s) converts.
type Operator string

// The operators of the selector syntax.
const (
	DoesNotExist Operator = "!"      // !key
	Equals       Operator = "="      // key=value
	DoubleEquals Operator = "=="     // key==value
	In           Operator = "in"     // key in (v1,v2)
	NotEquals    Operator = "!="     // key!=value
	NotIn        Operator = "notin"  // key notin (v1,v2)
	Exists       Operator = "exists" // key
	GreaterThan  Operator = "gt"     // key>3
	LessThan     Operator = "lt"     // key<3
)

// opname is an Operator as a byte, to keep Requirement small.
type opname uint8

const (
	nInvalid opname = iota
	nDoesNotExist
	nEquals
	nDoubleEquals
	nIn
	nNotEquals
	nNotIn
	nExists
	nGreaterThan
	nLessThan
)

func nameOf(op Operator) opname {
	switch op {
	case DoesNotExist:
		return nDoesNotExist
	case Equals:
		return nEquals
	case DoubleEquals:
		return nDoubleEquals
	case In:
		return nIn
	case NotEquals:
		return nNotEquals
	case NotIn:
		return nNotIn
	case Exists:
		return nExists
	case GreaterThan:
		return nGreaterThan
	case LessThan:
		return nLessThan
	}
	return nInvalid
}

func (n opname) operator() Operator {
	switch n {
	case nDoesNotExist:
		return DoesNotExist
	case nEquals:
		return Equals
	case nDoubleEquals:
		return DoubleEquals
	case nIn:
		return In
	case nNotEquals:
		return NotEquals
	case nNotIn:
		return NotIn
	case nExists:
		return Exists
	case nGreaterThan:
		return GreaterThan
	case nLessThan:
		return LessThan
	}
	return ""
}

// opcode is the meaning of an operator, for Matches' switch.
type opcode uint8

const (
	opInvalid opcode = iota
	opIn             // In, Equals, DoubleEquals
	opNotIn          // NotIn, NotEquals
	opExists
	opDoesNotExist
	opGreaterThan
	opLessThan
)

func codeOf(op Operator) opcode {
	switch op {
	case In, Equals, DoubleEquals:
		return opIn
	case NotIn, NotEquals:
		return opNotIn
	case Exists:
		return opExists
	case DoesNotExist:
		return opDoesNotExist
	case GreaterThan:
		return opGreaterThan
	case LessThan:
		return opLessThan
	}
	return opInvalid
}

// Requirement is one condition of a selector: a key, an operator and values.
// Build one with NewRequirement (or Parse); the zero Requirement is invalid
// and matches nothing. A Requirement is immutable and safe to share.
type Requirement struct {
	key    string
	values []string // as given to NewRequirement; Parse sorts and dedupes
	num    int64    // the value of a gt/lt requirement
	op     opname   // the operator as written
	code   opcode   // what it means, for Matches
}

// NewRequirement returns a validated Requirement. As in Kubernetes:
//   - the key must pass ValidateKey and every value ValidateValue;
//   - In and NotIn need at least one value;
//   - Equals, DoubleEquals and NotEquals need exactly one;
//   - Exists and DoesNotExist need none;
//   - GreaterThan and LessThan need exactly one, a base-10 int64.
//
// The empty string is a valid value. values is copied; its order is kept
// (String sorts a copy).
func NewRequirement(key string, op Operator, values []string) (Requirement, error) {
	if err := ValidateKey(key); err != nil {
		return Requirement{}, err
	}
	r := Requirement{key: key, op: nameOf(op), code: codeOf(op)}
	switch r.code {
	case opInvalid:
		return Requirement{}, fmt.Errorf("%w %q for key %q: want in, notin, =, ==, !=, gt, lt, exists or ! (does not exist)", ErrInvalidOperator, string(op), key)
	case opIn, opNotIn:
		if op == In || op == NotIn {
			if len(values) == 0 {
				return Requirement{}, fmt.Errorf("%w for key %q: operator %q needs at least one value", ErrInvalidValues, key, string(op))
			}
		} else if len(values) != 1 {
			return Requirement{}, fmt.Errorf("%w for key %q: operator %q needs exactly one value, got %d", ErrInvalidValues, key, string(op), len(values))
		}
	case opExists, opDoesNotExist:
		if len(values) != 0 {
			return Requirement{}, fmt.Errorf("%w for key %q: operator %q takes no values, got %q", ErrInvalidValues, key, string(op), values)
		}
	case opGreaterThan, opLessThan:
		if len(values) != 1 {
			return Requirement{}, fmt.Errorf("%w for key %q: operator %q needs exactly one value, got %d", ErrInvalidValues, key, string(op), len(values))
		}
		n, err := strconv.ParseInt(values[0], 10, 64)
		if err != nil {
			return Requirement{}, fmt.Errorf("%w for key %q: operator %q needs an integer, got %q", ErrInvalidValues, key, string(op), values[0])
		}
		r.num = n
	}
	for _, v := range values {
		if err := validateValueOf(key, v); err != nil {
			return Requirement{}, err
		}
	}
	if len(values) > 0 {
		r.values = slices.Clone(values)
	}
	return r, nil
}

// Key returns the requirement's key.
func (r Requirement) Key() string { return r.key }

// Operator returns the requirement's operator.
func (r Requirement) Operator() Operator { return r.op.operator() }

// Values returns a copy of the requirement's values, in the order given to
// NewRequirement (sorted and without duplicates when from Parse).
func (r Requirement) Values() []string { return slices.Clone(r.values) }

// Equal reports whether r and x have the same key, operator and values (in
// the same order).
func (r Requirement) Equal(x Requirement) bool {
	return r.key == x.key && r.op == x.op && slices.Equal(r.values, x.values)
}

// hasValue reports whether v is one of r's values.
func (r *Requirement) hasValue(v string) bool {
	for _, x := range r.values {
		if x == v {
			return true
		}
	}
	return false
}

// Matches reports whether the labels satisfy r, with Kubernetes' semantics:
// in/=/== need the key with one of the values; notin/!= accept a missing key;
// gt/lt need the key with a base-10 integer value. It allocates nothing.
func (r *Requirement) Matches(ls Labels) bool {
	if s, ok := ls.(Set); ok {
		return r.matchesSet(s)
	}
	switch r.code {
	case opExists:
		return ls.Has(r.key)
	case opDoesNotExist:
		return !ls.Has(r.key)
	}
	v, ok := ls.Lookup(r.key)
	return r.matchValue(v, ok)
}

// matchValue decides r given the label's value and whether it exists.
func (r *Requirement) matchValue(v string, ok bool) bool {
	switch r.code {
	case opIn:
		return ok && r.hasValue(v)
	case opNotIn:
		return !ok || !r.hasValue(v)
	case opExists:
		return ok
	case opDoesNotExist:
		return !ok
	case opGreaterThan, opLessThan:
		return ok && r.compare(v)
	}
	return false
}

// matchesSet is Matches for a Set, without the interface calls.
func (r *Requirement) matchesSet(s Set) bool {
	switch r.code {
	case opIn:
		v, ok := s[r.key]
		if !ok {
			return false
		}
		if len(r.values) == 1 {
			return r.values[0] == v
		}
		return r.hasValue(v)
	case opNotIn:
		v, ok := s[r.key]
		if !ok {
			return true
		}
		if len(r.values) == 1 {
			return r.values[0] != v
		}
		return !r.hasValue(v)
	case opExists:
		_, ok := s[r.key]
		return ok
	case opDoesNotExist:
		_, ok := s[r.key]
		return !ok
	case opGreaterThan, opLessThan:
		v, ok := s[r.key]
		return ok && r.compare(v)
	}
	return false
}

// compare applies a gt/lt requirement to a label value.
func (r *Requirement) compare(v string) bool {
	n, ok := parseInt64(v)
	if !ok {
		return false
	}
	if r.code == opGreaterThan {
		return n > r.num
	}
	return n < r.num
}

// parseInt64 is strconv.ParseInt(s, 10, 64) without the error allocation.
func parseInt64(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	neg := false
	switch s[0] {
	case '+':
		s = s[1:]
	case '-':
		neg = true
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	const cutoff = 1 << 63 // magnitude limit for negative numbers
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > cutoff/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
		if n > cutoff {
			return 0, false
		}
	}
	if neg {
		return -int64(n), true // -(1<<63) wraps to itself: correct
	}
	if n > cutoff-1 {
		return 0, false
	}
	return int64(n), true
}

// String returns the requirement in selector syntax, exactly as Kubernetes
// writes it: "!key", "key", "key=v", "key==v", "key!=v", "key>3", "key<3",
// "key in (a,b)", "key notin (a,b)", with several values sorted.
func (r Requirement) String() string {
	var b strings.Builder
	b.Grow(len(r.key) + 8 + 8*len(r.values))
	r.write(&b)
	return b.String()
}

func (r *Requirement) write(b *strings.Builder) {
	if r.op == nDoesNotExist {
		b.WriteByte('!')
	}
	b.WriteString(r.key)
	switch r.op {
	case nEquals:
		b.WriteString("=")
	case nDoubleEquals:
		b.WriteString("==")
	case nNotEquals:
		b.WriteString("!=")
	case nIn:
		b.WriteString(" in ")
	case nNotIn:
		b.WriteString(" notin ")
	case nGreaterThan:
		b.WriteString(">")
	case nLessThan:
		b.WriteString("<")
	case nExists, nDoesNotExist:
		return
	}
	paren := r.op == nIn || r.op == nNotIn
	if paren {
		b.WriteByte('(')
	}
	vals := r.values
	if len(vals) > 1 && !slices.IsSorted(vals) {
		vals = slices.Clone(vals)
		slices.Sort(vals)
	}
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(v)
	}
	if paren {
		b.WriteByte(')')
	}
}
