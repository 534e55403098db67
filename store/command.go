package store

import (
	"encoding/json"
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
	// Time is the proposer's clock in Unix seconds, for deletionTimestamp.
	Time        int64       `json:"time,omitempty"`
	Propagation Propagation `json:"prop,omitempty"`
	Grace       *int64      `json:"grace,omitempty"`
}

func (c *command) encode() ([]byte, error) { return json.Marshal(c) }

// decodeCommand parses a log entry. It never panics on any input.
func decodeCommand(data []byte) (*command, error) {
	var c command
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("store: decode command: %w", err)
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
	Op      string          `json:"op"` // "apply", "readindex", "add", "remove"
	Command json.RawMessage `json:"cmd,omitempty"`
	ID      string          `json:"id,omitempty"`
	Addr    string          `json:"addr,omitempty"`
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
