package types

import (
	"bytes"
	"encoding/json"

	"go.yaml.in/yaml/v3"
)

// EncodeJSON returns obj as JSON with apiVersion and kind set from s (obj
// itself is not changed).
func (s *Scheme) EncodeJSON(obj Object) ([]byte, error) {
	c := obj.DeepCopyObject()
	s.SetTypeMeta(c)
	return json.Marshal(c)
}

// EncodeYAML returns obj as a YAML document, fields in the order of the
// JSON encoding, with apiVersion and kind set from s.
func (s *Scheme) EncodeYAML(obj Object) ([]byte, error) {
	b, err := s.EncodeJSON(obj)
	if err != nil {
		return nil, err
	}
	return jsonToYAML(b)
}

// EncodeJSON is Scheme.EncodeJSON with the built-in kinds.
func EncodeJSON(obj Object) ([]byte, error) { return builtin().EncodeJSON(obj) }

// EncodeYAML is Scheme.EncodeYAML with the built-in kinds.
func EncodeYAML(obj Object) ([]byte, error) { return builtin().EncodeYAML(obj) }

// EncodeYAMLDocuments returns objs as one YAML stream, "---" between documents.
func EncodeYAMLDocuments(objs ...Object) ([]byte, error) {
	var out bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			out.WriteString("---\n")
		}
		b, err := EncodeYAML(o)
		if err != nil {
			return nil, err
		}
		out.Write(b)
	}
	return out.Bytes(), nil
}

func jsonToYAML(b []byte) ([]byte, error) {
	docs, derr := jsonDocuments(b)
	if derr != nil {
		return nil, derr
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	for _, d := range docs {
		plain(d)
		if err := enc.Encode(d); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// plain clears the JSON styles so the encoder writes block YAML and quotes
// only strings that need it.
func plain(n *yaml.Node) {
	n.Style = 0
	n.Line = 0
	for _, c := range n.Content {
		plain(c)
	}
}
