package store

import (
	"testing"
)

func FuzzContinueToken(f *testing.F) {
	f.Add(continueToken{Rev: 7, Key: "default/a"}.encode())
	f.Add("")
	f.Add("eyJydiI6MX0")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := decodeContinue(s)
		if err != nil {
			return
		}
		again, err := decodeContinue(tok.encode())
		if err != nil || again != tok {
			t.Fatalf("token %+v does not round-trip: %+v, %v", tok, again, err)
		}
	})
}

func FuzzDecodeCommand(f *testing.F) {
	for _, c := range []command{
		{Op: opInit},
		{Op: opCreate, Kind: "ConfigMap", Namespace: "default", Name: "a", Object: []byte(`{"metadata":{"name":"a"}}`)},
		{Op: opDelete, Kind: "Pod", Namespace: "default", Name: "p", RV: 5, UID: "u", Propagation: PropagationOrphan},
	} {
		b, _ := c.encode()
		f.Add(b)
	}
	f.Add([]byte(`{"op":"create","kind":"ConfigMap","ns":"default","name":"a","obj":{"data":{}}}`))
	f.Add([]byte(`{"op":"update"}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decodeCommand(data)
		if err != nil {
			return
		}
		b, err := c.encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeCommand(b); err != nil {
			t.Fatalf("re-encoded command does not decode: %v", err)
		}
	})
}
