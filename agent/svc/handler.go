package svc

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// SystemLogger is the part of the kardianos service logger (the Windows
// Event Log) that receives warnings and errors.
type SystemLogger interface {
	Warning(v ...any) error
	Error(v ...any) error
}

// SystemLogHandler is an slog.Handler that forwards warnings and errors to
// the service manager's log, one line per record: message then key=value
// pairs. Pass it as daemon.NewLogger's extra handler.
type SystemLogHandler struct {
	l      SystemLogger
	prefix string // attrs from WithAttrs, already formatted
	group  string
}

// NewSystemLogHandler returns a handler that writes Warn and above to l.
func NewSystemLogHandler(l SystemLogger) *SystemLogHandler { return &SystemLogHandler{l: l} }

// Enabled implements slog.Handler: Warn and above.
func (h *SystemLogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

// Handle implements slog.Handler.
func (h *SystemLogHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.prefix)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, h.group, a)
		return true
	})
	if r.Level >= slog.LevelError {
		return h.l.Error(b.String())
	}
	return h.l.Warning(b.String())
}

// WithAttrs implements slog.Handler.
func (h *SystemLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range as {
		writeAttr(&b, h.group, a)
	}
	return &SystemLogHandler{l: h.l, prefix: b.String(), group: h.group}
}

// WithGroup implements slog.Handler.
func (h *SystemLogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	g := name
	if h.group != "" {
		g = h.group + "." + name
	}
	return &SystemLogHandler{l: h.l, prefix: h.prefix, group: g}
}

func writeAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	key := a.Key
	if group != "" {
		key = group + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, ga := range a.Value.Group() {
			writeAttr(b, key, ga)
		}
		return
	}
	v := a.Value.String()
	if strings.ContainsAny(v, " \t\n\"=") || v == "" {
		v = fmt.Sprintf("%q", v)
	}
	fmt.Fprintf(b, " %s=%s", key, v)
}
