package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coxswain/coxswain/runtime"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, rc io.ReadCloser) string {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading the log: %v", err)
	}
	return string(b)
}

// naiveTail is the last n lines of s, split the obvious way: a final
// newline ends the last line.
func naiveTail(s string, n int) string {
	if n <= 0 {
		return s
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

func TestOpenLogTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	long := strings.Repeat("x", 70<<10) + "\n" // longer than the reader's 64 KiB chunk
	for _, tc := range []struct {
		name    string
		content string
		n       int
		want    string
	}{
		{"last two of three", "a\nb\nc\n", 2, "b\nc\n"},
		{"more than there are", "a\nb\nc\n", 5, "a\nb\nc\n"},
		{"no final newline", "a\nb\nc", 1, "c"},
		{"empty file", "", 3, ""},
		{"one line", "only\n", 1, "only\n"},
		{"empty lines count", "a\n\n\n", 2, "\n\n"},
		{"zero is the whole log", "a\nb\n", 0, "a\nb\n"},
		{"lines across chunks", "first\n" + long + "last\n", 2, long + "last\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeFile(t, path, tc.content)
			rc, err := runtime.OpenLog(context.Background(), path, runtime.LogOptions{Tail: tc.n}, runtime.LogFollow{})
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, rc); got != tc.want {
				t.Errorf("tail %d = %q, want %q", tc.n, got, tc.want)
			}
		})
	}
}

func FuzzLogTail(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), 2)
	f.Add([]byte("\n\n"), 1)
	f.Add([]byte("no newline"), 3)
	f.Fuzz(func(t *testing.T, content []byte, n int) {
		n %= 1000
		path := filepath.Join(t.TempDir(), "log")
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		rc, err := runtime.OpenLog(context.Background(), path, runtime.LogOptions{Tail: n}, runtime.LogFollow{})
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveTail(string(content), n); string(got) != want {
			t.Errorf("tail %d of %q = %q, want %q", n, content, got, want)
		}
	})
}

func TestOpenLogMissingFileIsEmpty(t *testing.T) {
	rc, err := runtime.OpenLog(context.Background(), filepath.Join(t.TempDir(), "none.log"), runtime.LogOptions{Tail: 3}, runtime.LogFollow{})
	if err != nil {
		t.Fatalf("OpenLog of a log not written yet: %v", err)
	}
	if got := readAll(t, rc); got != "" {
		t.Errorf("a log not written yet reads %q, want nothing", got)
	}
}

// A followed log returns output written after it was opened, including to
// a file that did not exist yet, and ends once the container is done.
func TestOpenLogFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	done := make(chan struct{})
	polls := make(chan struct{}, 1)
	rc, err := runtime.OpenLog(context.Background(), path, runtime.LogOptions{Follow: true}, runtime.LogFollow{
		Done: done,
		Poll: func() {
			select {
			case polls <- struct{}{}:
			default:
			}
		},
		Interval: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan string)
	go func() {
		b, _ := io.ReadAll(rc)
		out <- string(b)
	}()
	<-polls // the reader waits for output
	writeFile(t, path, "one\n")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("two\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	close(done)
	if got := <-out; got != "one\ntwo\n" {
		t.Errorf("followed log = %q, want both lines", got)
	}
	rc.Close()
}

func TestOpenLogFollowEndsWithContextAndClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	writeFile(t, path, "x\n")
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := runtime.OpenLog(ctx, path, runtime.LogOptions{Follow: true}, runtime.LogFollow{Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if n, err := rc.Read(buf); err != nil || string(buf[:n]) != "x\n" {
		t.Fatalf("first read = %q, %v", buf[:n], err)
	}
	cancel()
	if _, err := rc.Read(buf); !errors.Is(err, context.Canceled) {
		t.Errorf("read after the context ended = %v, want context.Canceled", err)
	}
	rc.Close()

	rc, err = runtime.OpenLog(context.Background(), path, runtime.LogOptions{Follow: true, Tail: 1}, runtime.LogFollow{Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error)
	go func() {
		_, err := io.ReadAll(rc)
		errc <- err
	}()
	rc.Close()
	if err := <-errc; err != nil {
		t.Errorf("a followed log closed while reading ends with %v, want a clean end", err)
	}
}

// After rotation truncates the file, a follower starts again from its
// beginning rather than waiting for the file to grow past its old offset.
func TestOpenLogFollowAcrossRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	writeFile(t, path, "before rotation\n")
	done := make(chan struct{})
	rc, err := runtime.OpenLog(context.Background(), path, runtime.LogOptions{Follow: true}, runtime.LogFollow{Done: done, Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	buf := make([]byte, 64)
	n, err := rc.Read(buf)
	if err != nil || string(buf[:n]) != "before rotation\n" {
		t.Fatalf("first read = %q, %v", buf[:n], err)
	}
	if err := runtime.RotateLog(path, 1, 2); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, "after\n")
	close(done)
	rest, err := io.ReadAll(rc)
	if err != nil || string(rest) != "after\n" {
		t.Errorf("after rotation the follower read %q, %v; want the new line", rest, err)
	}
}

func TestRotateLog(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.log")
	if err := runtime.RotateLog(p, 5, 2); err != nil {
		t.Errorf("rotating a missing log: %v", err)
	}
	writeFile(t, p, "ok\n")
	if err := runtime.RotateLog(p, 5, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p + ".1"); !os.IsNotExist(err) {
		t.Errorf("a log within its size was rotated (%v)", err)
	}
	for _, content := range []string{"one\ntwo\nthree\n", "four\nfive\n", "six\nseven\n"} {
		writeFile(t, p, content)
		if err := runtime.RotateLog(p, 5, 2); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{p: "", p + ".1": "six\nseven\n", p + ".2": "four\nfive\n"} {
		if b, _ := os.ReadFile(name); string(b) != want {
			t.Errorf("%s = %q, want %q", filepath.Base(name), b, want)
		}
	}
	if _, err := os.Stat(p + ".3"); !os.IsNotExist(err) {
		t.Errorf("a third rotated copy exists with maxFiles 2 (%v)", err)
	}
	writeFile(t, p, "too big\n")
	if err := runtime.RotateLog(p, 1, 0); err == nil || !strings.Contains(err.Error(), "maxFiles 0") {
		t.Errorf("RotateLog with maxFiles 0 = %v, want an error naming maxFiles", err)
	}
}

// The writer keeps its descriptor in append mode across a rotation, as a
// shim or a host process does, and goes on writing at the new end.
func TestRotateLogKeepsAnAppendingWriter(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.log")
	w, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteString(strings.Repeat("old\n", 10)); err != nil {
		t.Fatal(err)
	}
	if err := runtime.RotateLog(p, 10, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString("new\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	old, _ := os.ReadFile(p + ".1")
	if string(b) != "new\n" || !bytes.Equal(old, bytes.Repeat([]byte("old\n"), 10)) {
		t.Errorf("after rotation the log is %q and the copy %d bytes; want only the new line and the 40 old bytes", b, len(old))
	}
}
