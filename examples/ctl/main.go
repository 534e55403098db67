// Command ctl is a kubectl-like client for a Coxswain cluster. It reads the
// client config from --kubeconfig, $KUBECONFIG or ~/.kube/config.
//
//	ctl apply -f web.yaml
//	ctl get pods -o wide
//	ctl rollout status deployment/web
//
// Errors are one line on stderr; the exit code is 0 on success, 1 on error
// and 2 on a usage error. See docs/examples.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/coxswain/coxswain/store/remote"
)

// usageError is a mistake in the command line (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// env is what every command gets.
type env struct {
	kubeconfig string
	namespace  string
	allNS      bool
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	cl         *remote.Client
	cc         remote.ClientConfig
}

func (e *env) ns() string {
	if e.namespace == "" {
		return "default"
	}
	return e.namespace
}

// client dials the cluster on first use.
func (e *env) client() (*remote.Client, error) {
	if e.cl != nil {
		return e.cl, nil
	}
	path := e.kubeconfig
	if path == "" {
		path = os.Getenv("KUBECONFIG")
	}
	if path == "" {
		home, _ := os.UserHomeDir()
		path = filepath.Join(home, ".kube", "config")
	}
	cc, err := remote.LoadClientConfig(path)
	if err != nil {
		return nil, fmt.Errorf("reading the client config %s: %w (set --kubeconfig or KUBECONFIG)", path, err)
	}
	cc.MaxRetryTime = 10 * time.Second
	cl, err := remote.Dial(cc)
	if err != nil {
		return nil, err
	}
	e.cl, e.cc = cl, cc
	return cl, nil
}

type command struct {
	usage string
	run   func(ctx context.Context, e *env, args []string) error
}

// commandTable lists the commands.
func commandTable() map[string]command {
	return map[string]command{
		"apply":      {"apply -f FILE|DIR|- [-n NS]", cmdApply},
		"get":        {"get KIND[,KIND] [NAME...] [-o wide|yaml|json|name] [-l SELECTOR] [-n NS|-A] [-w]", cmdGet},
		"describe":   {"describe KIND NAME", cmdDescribe},
		"delete":     {"delete KIND NAME... | -f FILE [--cascade=background|foreground|orphan]", cmdDelete},
		"scale":      {"scale KIND/NAME --replicas=N", cmdScale},
		"set":        {"set image KIND/NAME CONTAINER=IMAGE...", cmdSetImage},
		"label":      {"label KIND NAME KEY=VALUE... KEY-... [--overwrite]", cmdLabel},
		"annotate":   {"annotate KIND NAME KEY=VALUE... KEY-... [--overwrite]", cmdAnnotate},
		"rollout":    {"rollout status|history|undo|pause|resume deployment/NAME [--to-revision=N]", cmdRollout},
		"logs":       {"logs POD [-c CONTAINER] [-f] [--tail=N]", cmdLogs},
		"exec":       {"exec POD [-c CONTAINER] -- COMMAND [ARG...]", cmdExec},
		"top":        {"top nodes|pods", cmdTop},
		"cordon":     {"cordon NODE", cmdCordon},
		"uncordon":   {"uncordon NODE", cmdUncordon},
		"drain":      {"drain NODE [--timeout=D] [--delete-daemonset-pods]", cmdDrain},
		"proxy":      {"proxy [--port=8001]", cmdProxy},
		"create":     {"create token [--ttl=D]", cmdCreate},
		"completion": {"completion bash|zsh", cmdCompletion},
		"version":    {"version", cmdVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func usage(w io.Writer) {
	commands := commandTable()
	fmt.Fprintln(w, "usage: ctl [--kubeconfig FILE] [-n NS] COMMAND ...\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  ctl %s\n", commands[n].usage)
	}
}

// run parses the global flags, wherever they appear, and runs the command.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			rest = append(rest, a)
			continue
		}
		var dst *string
		switch name {
		case "kubeconfig":
			dst = &e.kubeconfig
		case "n", "namespace":
			dst = &e.namespace
		case "A", "all-namespaces":
			e.allNS = true
			continue
		case "h", "help":
			usage(stdout)
			return 0
		default:
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				fmt.Fprintf(stderr, "error: flag --%s needs a value\n", name)
				return 2
			}
			i++
			val = args[i]
		}
		*dst = val
	}
	if len(rest) == 0 {
		usage(stderr)
		return 2
	}
	c, ok := commandTable()[rest[0]]
	if !ok {
		fmt.Fprintf(stderr, "error: unknown command %q (see ctl --help)\n", rest[0])
		return 2
	}
	err := c.run(ctx, e, rest[1:])
	if e.cl != nil {
		e.cl.Close()
	}
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "error: %s\nusage: ctl %s\n", ue.msg, c.usage)
		}
		return 2
	}
	if errors.Is(err, context.Canceled) {
		return 0
	}
	fmt.Fprintf(stderr, "error: %s\n", oneLine(err.Error()))
	return 1
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// flags returns a FlagSet for a command that reports errors as usage errors.
func flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses interleaved flags and arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
