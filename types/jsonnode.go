package types

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// jsonDocuments parses a stream of JSON values into yaml.Nodes with line
// numbers, so one strict decoder serves YAML and JSON. It is a small
// scanner of its own: encoding/json's Token API allocates for every token
// and does not say where a token starts.
func jsonDocuments(data []byte) ([]*yaml.Node, *DecodeError) {
	p := &jsonParser{data: data, line: 1}
	var docs []*yaml.Node
	for {
		p.space()
		if p.i >= len(p.data) {
			return docs, nil
		}
		n, err := p.value(0)
		if err != nil {
			return docs, &DecodeError{Doc: len(docs) + 1, Line: p.line, Msg: err.Error(), Err: ErrSyntax}
		}
		docs = append(docs, n)
	}
}

type jsonParser struct {
	data []byte
	i    int
	line int
	slab []yaml.Node // nodes are carved from here, to allocate in bulk
}

const maxJSONDepth = 10000

func (p *jsonParser) node(kind yaml.Kind, tag, value string) *yaml.Node {
	if len(p.slab) == 0 {
		p.slab = make([]yaml.Node, 64)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	n.Kind, n.Tag, n.Value, n.Line = kind, tag, value, p.line
	return n
}

func (p *jsonParser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case '\n':
			p.line++
		case ' ', '\t', '\r':
		default:
			return
		}
		p.i++
	}
}

func (p *jsonParser) errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func (p *jsonParser) unexpected(context string) error {
	if p.i >= len(p.data) {
		return p.errorf("unexpected end of JSON input")
	}
	r, _ := utf8.DecodeRune(p.data[p.i:])
	return p.errorf("invalid character %q %s", r, context)
}

func (p *jsonParser) value(depth int) (*yaml.Node, error) {
	if depth > maxJSONDepth {
		return nil, p.errorf("exceeded max depth")
	}
	p.space()
	if p.i >= len(p.data) {
		return nil, p.errorf("unexpected end of JSON input")
	}
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		n := p.node(yaml.ScalarNode, "!!str", s)
		n.Style = yaml.DoubleQuotedStyle
		return n, nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return p.literal("true", "!!bool")
	case c == 'f':
		return p.literal("false", "!!bool")
	case c == 'n':
		return p.literal("null", "!!null")
	}
	return nil, p.unexpected("looking for beginning of value")
}

func (p *jsonParser) literal(word, tag string) (*yaml.Node, error) {
	if !strings.HasPrefix(string(p.data[p.i:min(len(p.data), p.i+len(word))]), word) {
		return nil, p.unexpected("in literal " + word)
	}
	p.i += len(word)
	return p.node(yaml.ScalarNode, tag, word), nil
}

func (p *jsonParser) object(depth int) (*yaml.Node, error) {
	n := p.node(yaml.MappingNode, "!!map", "")
	p.i++ // {
	p.space()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		return n, nil
	}
	for {
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return nil, p.unexpected("looking for beginning of object key string")
		}
		line := p.line
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		kn := p.node(yaml.ScalarNode, "!!str", k)
		kn.Line = line
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return nil, p.unexpected("after object key")
		}
		p.i++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, kn, v)
		p.space()
		if p.i >= len(p.data) {
			return nil, p.errorf("unexpected end of JSON input")
		}
		switch p.data[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return n, nil
		default:
			return nil, p.unexpected("after object key:value pair")
		}
	}
}

func (p *jsonParser) array(depth int) (*yaml.Node, error) {
	n := p.node(yaml.SequenceNode, "!!seq", "")
	p.i++ // [
	p.space()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		return n, nil
	}
	for {
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, v)
		p.space()
		if p.i >= len(p.data) {
			return nil, p.errorf("unexpected end of JSON input")
		}
		switch p.data[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return n, nil
		default:
			return nil, p.unexpected("after array element")
		}
	}
}

// str reads a string at p.i (the opening quote).
func (p *jsonParser) str() (string, error) {
	start := p.i
	p.i++
	escaped := false
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			if !escaped {
				raw := p.data[start+1 : p.i-1]
				if !utf8.Valid(raw) {
					return strings.ToValidUTF8(string(raw), "\uFFFD"), nil
				}
				return string(raw), nil
			}
			var s string
			if err := json.Unmarshal(p.data[start:p.i], &s); err != nil {
				return "", p.errorf("invalid string: %v", err)
			}
			return s, nil
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return "", p.unexpected("in string literal")
		default:
			p.i++
		}
	}
	return "", p.errorf("unexpected end of JSON input")
}

// number reads a JSON number, checking its grammar.
func (p *jsonParser) number() (*yaml.Node, error) {
	start := p.i
	float := false
	if p.data[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		s := p.i
		for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
			p.i++
		}
		return p.i - s
	}
	intStart := p.i
	if n := digits(); n == 0 {
		return nil, p.unexpected("in numeric literal")
	} else if n > 1 && p.data[intStart] == '0' {
		return nil, p.errorf("invalid number %s: leading zero", p.data[start:p.i])
	}
	if p.i < len(p.data) && p.data[p.i] == '.' {
		float = true
		p.i++
		if digits() == 0 {
			return nil, p.unexpected("after decimal point in numeric literal")
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		float = true
		p.i++
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.unexpected("in exponent of numeric literal")
		}
	}
	tag := "!!int"
	if float {
		tag = "!!float"
	}
	return p.node(yaml.ScalarNode, tag, string(p.data[start:p.i])), nil
}
