package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// op is the kind of a log command.
type op string

const (
	opInit   op = "init"   // create the system namespaces if missing
	opCreate op = "create" // store a new object
	opUpdate op = "update" // replace an object, keeping its status if the kind has a status subresource
	opStatus op = "status" // replace only the status
	opDelete op = "delete" // delete, or mark for deletion
)

// opCodes numbers the ops in the binary envelope; the order is part of the
// log format and must not change.
var opCodes = [...]op{opInit, opCreate, opUpdate, opStatus, opDelete}

func opCode(o op) (byte, bool) {
	for i, c := range opCodes {
		if c == o {
			return byte(i), true
		}
	}
	return 0, false
}

// command is one raft log entry. Everything non-deterministic (uid, times,
// generated names) is chosen by the proposer and carried here; Apply only
// decides from the command and the current state, so every member reaches the
// same result.
type command struct {
	Op        op              `json:"op"`
	Kind      string          `json:"kind,omitempty"`
	Namespace string          `json:"ns,omitempty"`
	Name      string          `json:"name,omitempty"`
	Object    json.RawMessage `json:"obj,omitempty"`
	// RV is the expected resourceVersion (0: unconditional).
	RV uint64 `json:"rv,omitempty"`
	// UID: for delete, the uid precondition.
	UID string `json:"uid,omitempty"`
	// Time is the proposer's clock in Unix seconds: for delete, the
	// deletionTimestamp; for a Pod update, the lastTransitionTime of the
	// PodScheduled condition if the update binds the pod (see bindPod).
	Time        int64       `json:"time,omitempty"`
	Propagation Propagation `json:"prop,omitempty"`
	Grace       *int64      `json:"grace,omitempty"`
	// Nonce lets the member that proposed the command find the object it
	// already decoded (see DB.predecode); it has no effect on the result.
	Nonce uint64 `json:"-"`
}

// Log entries are a binary envelope:
//
//	magic (0xC5) version (1) op (1)
//	kind, namespace, name, uid, propagation: each a uvarint length and bytes
//	rv (uvarint) time (varint) grace flag (1 byte) [grace (varint)] nonce (uvarint)
//	the object's JSON: the rest of the entry
//
// so applying a command never scans the object's bytes to find the fields
// around it. Entries written as JSON (starting with '{') still decode.
const (
	cmdMagic   = 0xC5
	cmdVersion = 1
)

func (c *command) encode() ([]byte, error) {
	code, ok := opCode(c.Op)
	if !ok {
		return nil, fmt.Errorf("store: encode command: unknown op %q", c.Op)
	}
	n := 3 + 5*binary.MaxVarintLen64 + len(c.Kind) + len(c.Namespace) + len(c.Name) + len(c.UID) + len(c.Propagation) +
		4*binary.MaxVarintLen64 + 1 + len(c.Object)
	b := make([]byte, 0, n)
	b = append(b, cmdMagic, cmdVersion, code)
	for _, s := range [...]string{c.Kind, c.Namespace, c.Name, c.UID, string(c.Propagation)} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, c.RV)
	b = binary.AppendVarint(b, c.Time)
	if c.Grace != nil {
		b = append(b, 1)
		b = binary.AppendVarint(b, *c.Grace)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, c.Nonce)
	return append(b, c.Object...), nil
}

var errShort = errors.New("truncated")

// reader walks a binary envelope.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errShort
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errShort
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// decodeCommand parses a log entry. It never panics on any input. The
// command's Object aliases data.
func decodeCommand(data []byte) (*command, error) {
	var c command
	if len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("store: decode command: %w", err)
		}
	} else {
		if len(data) < 3 || data[0] != cmdMagic {
			return nil, errors.New("store: decode command: not a command")
		}
		if data[1] != cmdVersion {
			return nil, fmt.Errorf("store: decode command: unknown version %d", data[1])
		}
		if int(data[2]) >= len(opCodes) {
			return nil, fmt.Errorf("store: decode command: unknown op code %d", data[2])
		}
		c.Op = opCodes[data[2]]
		r := reader{b: data[3:]}
		c.Kind, c.Namespace, c.Name, c.UID = r.string(), r.string(), r.string(), r.string()
		c.Propagation = Propagation(r.string())
		c.RV = r.uvarint()
		c.Time = r.varint()
		switch r.byte() {
		case 0:
		case 1:
			g := r.varint()
			c.Grace = &g
		default:
			if r.err == nil {
				r.err = errors.New("bad grace flag")
			}
		}
		c.Nonce = r.uvarint()
		if r.err != nil {
			return nil, fmt.Errorf("store: decode command: %w", r.err)
		}
		if len(r.b) > 0 {
			c.Object = r.b
		}
	}
	switch c.Op {
	case opInit:
		return &c, nil
	case opCreate, opUpdate, opStatus:
		if len(c.Object) == 0 {
			return nil, fmt.Errorf("store: decode command: %s without an object", c.Op)
		}
	case opDelete:
	default:
		return nil, fmt.Errorf("store: decode command: unknown op %q", c.Op)
	}
	if c.Kind == "" || c.Name == "" {
		return nil, fmt.Errorf("store: decode command: %s needs kind and name (got %q, %q)", c.Op, c.Kind, c.Name)
	}
	return &c, nil
}

// forwardRequest is what a member sends the leader over the forwarding port.
type forwardRequest struct {
	Op      string `json:"op"`            // "apply", "readindex", "add", "remove"
	Command []byte `json:"cmd,omitempty"` // a binary command envelope
	ID      string `json:"id,omitempty"`
	Addr    string `json:"addr,omitempty"`
}

// forwardResponse is the leader's answer.
type forwardResponse struct {
	Index  uint64          `json:"index,omitempty"`
	Kind   string          `json:"kind,omitempty"`
	Object json.RawMessage `json:"obj,omitempty"`
	Err    *wireError      `json:"err,omitempty"`
}

// wireError is an *Error crossing members.
type wireError struct {
	Code      string `json:"code"`
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"ns,omitempty"`
	Name      string `json:"name,omitempty"`
	Msg       string `json:"msg,omitempty"`
	Leader    string `json:"leader,omitempty"`
}

func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Code: codeOf(err), Msg: err.Error()}
	if e, ok := err.(*Error); ok {
		w.Kind, w.Namespace, w.Name, w.Msg, w.Leader = e.Kind, e.Namespace, e.Name, e.Msg, e.Leader
		if e.Cause != nil {
			if w.Msg != "" {
				w.Msg += ": "
			}
			w.Msg += e.Cause.Error()
		}
	}
	return w
}

func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	s := sentinelOf(w.Code)
	if s == nil {
		return fmt.Errorf("store: remote: %s", w.Msg)
	}
	return &Error{Err: s, Kind: w.Kind, Namespace: w.Namespace, Name: w.Name, Msg: w.Msg, Leader: w.Leader}
}
