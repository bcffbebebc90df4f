package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/vigilbot/vigil/config"
)

// redactor removes the configuration's secrets from text that is about to be shown or
// logged: the last line of defence when a remote server echoes a credential back.
type redactor struct{ secrets []string }

func newRedactor(c *config.Config) *redactor {
	var r redactor
	if c == nil {
		return &r
	}
	for _, s := range c.SecretValues() {
		if len(s) >= 4 { // shorter values would blank out ordinary words
			r.secrets = append(r.secrets, s)
		}
	}
	return &r
}

func (r *redactor) redact(s string) string {
	for _, secret := range r.secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "<redacted>")
		}
	}
	return s
}

// RedactError returns err with the configuration's secrets removed from its message.
func RedactError(c *config.Config, err error) error {
	if err == nil {
		return nil
	}
	r := newRedactor(c)
	msg := err.Error()
	if clean := r.redact(msg); clean != msg {
		return errors.New(clean)
	}
	return err
}

// redactHandler scrubs log records of the configuration's secrets.
type redactHandler struct {
	slog.Handler
	r *redactor
}

func (h redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	if len(h.r.secrets) == 0 {
		return h.Handler.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, h.r.redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.redact(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		clean := make([]any, len(attrs))
		for i, g := range attrs {
			clean[i] = h.attr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, h.r.redact(err.Error()))
		}
		return slog.String(a.Key, h.r.redact(v.String()))
	}
	return a
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return redactHandler{Handler: h.Handler.WithAttrs(clean), r: h.r}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{Handler: h.Handler.WithGroup(name), r: h.r}
}

// redacting wraps a logger so that nothing it writes carries a configured secret.
func redacting(l *slog.Logger, c *config.Config) *slog.Logger {
	r := newRedactor(c)
	if len(r.secrets) == 0 {
		return l
	}
	return slog.New(redactHandler{Handler: l.Handler(), r: r})
}
