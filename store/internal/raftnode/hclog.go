package raftnode

import (
	"context"
	"io"
	"log"
	"log/slog"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// hclogAdapter routes hashicorp's hclog output into a *slog.Logger, at and
// above a minimum level (Warn by default, so tests stay quiet).
type hclogAdapter struct {
	l    *slog.Logger
	name string
	min  hclog.Level
	args []any
}

var _ hclog.Logger = (*hclogAdapter)(nil)

func newHclog(l *slog.Logger, min hclog.Level) *hclogAdapter {
	return &hclogAdapter{l: l, min: min}
}

func toSlog(level hclog.Level) slog.Level {
	switch level {
	case hclog.Trace, hclog.Debug:
		return slog.LevelDebug
	case hclog.Info:
		return slog.LevelInfo
	case hclog.Warn:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

func (h *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	if level < h.min {
		return
	}
	all := append(append([]any{}, h.args...), args...)
	if h.name != "" {
		all = append(all, "component", h.name)
	}
	h.l.Log(context.Background(), toSlog(level), msg, all...)
}

func (h *hclogAdapter) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }
func (h *hclogAdapter) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }
func (h *hclogAdapter) Info(msg string, args ...any)  { h.Log(hclog.Info, msg, args...) }
func (h *hclogAdapter) Warn(msg string, args ...any)  { h.Log(hclog.Warn, msg, args...) }
func (h *hclogAdapter) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }
func (h *hclogAdapter) IsTrace() bool                 { return h.min <= hclog.Trace }
func (h *hclogAdapter) IsDebug() bool                 { return h.min <= hclog.Debug }
func (h *hclogAdapter) IsInfo() bool                  { return h.min <= hclog.Info }
func (h *hclogAdapter) IsWarn() bool                  { return h.min <= hclog.Warn }
func (h *hclogAdapter) IsError() bool                 { return h.min <= hclog.Error }
func (h *hclogAdapter) ImpliedArgs() []any            { return h.args }
func (h *hclogAdapter) Name() string                  { return h.name }
func (h *hclogAdapter) SetLevel(level hclog.Level)    { h.min = level }
func (h *hclogAdapter) GetLevel() hclog.Level         { return h.min }

func (h *hclogAdapter) With(args ...any) hclog.Logger {
	c := *h
	c.args = append(append([]any{}, h.args...), args...)
	return &c
}

func (h *hclogAdapter) Named(name string) hclog.Logger {
	c := *h
	if c.name != "" {
		c.name += "." + name
	} else {
		c.name = name
	}
	return &c
}

func (h *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *h
	c.name = name
	return &c
}

func (h *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(h.StandardWriter(opts), "", 0)
}

func (h *hclogAdapter) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		msg := strings.TrimSpace(string(p))
		level := hclog.Info
		switch {
		case strings.Contains(msg, "[ERR"):
			level = hclog.Error
		case strings.Contains(msg, "[WARN"):
			level = hclog.Warn
		case strings.Contains(msg, "[DEBUG"), strings.Contains(msg, "[TRACE"):
			level = hclog.Debug
		}
		h.Log(level, msg)
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
