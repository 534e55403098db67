package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunSmall(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, 40, 800, 1); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	t.Log(s)
	if !strings.Contains(s, "placed ") || !strings.Contains(s, "of 800 tasks on 40 machines") {
		t.Fatalf("unexpected output:\n%s", s)
	}
	if !strings.Contains(s, "nodes are available") {
		t.Fatalf("no task failed at this size; the example should show why tasks do not fit:\n%s", s)
	}
}

// BenchmarkRun times the whole example at its default size: 800 machines,
// 10,000 tasks.
func BenchmarkRun(b *testing.B) {
	for b.Loop() {
		var out bytes.Buffer
		if err := run(context.Background(), &out, 800, 10000, 1); err != nil {
			b.Fatal(err)
		}
	}
}
