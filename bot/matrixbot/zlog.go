package matrixbot

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"

	"github.com/rs/zerolog"
)

// zeroLogger gives mautrix a zerolog logger that writes into the bot's slog logger, so
// that the library's logs keep to the house format. mautrix's debug output is only
// passed on when the slog logger wants debug.
func zeroLogger(log *slog.Logger) zerolog.Logger {
	level := zerolog.InfoLevel
	if log.Enabled(context.Background(), slog.LevelDebug) {
		level = zerolog.DebugLevel
	}
	return zerolog.New(slogWriter{log: log.With("library", "mautrix")}).Level(level)
}

type slogWriter struct{ log *slog.Logger }

var _ zerolog.LevelWriter = slogWriter{}

func (w slogWriter) Write(p []byte) (int, error) { return w.WriteLevel(zerolog.NoLevel, p) }

func (w slogWriter) WriteLevel(level zerolog.Level, p []byte) (int, error) {
	var fields map[string]any
	if err := json.Unmarshal(p, &fields); err != nil {
		w.log.Info(string(p))
		return len(p), nil
	}
	msg, _ := fields[zerolog.MessageFieldName].(string)
	if msg == "Request canceled" {
		// mautrix's word for a request whose context ended: a stopping sync, not a problem.
		level = zerolog.DebugLevel
	}
	delete(fields, zerolog.MessageFieldName)
	delete(fields, zerolog.LevelFieldName)
	delete(fields, zerolog.TimestampFieldName)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]slog.Attr, 0, len(keys))
	for _, k := range keys {
		attrs = append(attrs, slog.Any(k, fields[k]))
	}
	w.log.LogAttrs(context.Background(), slogLevel(level), msg, attrs...)
	return len(p), nil
}

func slogLevel(l zerolog.Level) slog.Level {
	switch {
	case l <= zerolog.DebugLevel:
		return slog.LevelDebug
	case l == zerolog.InfoLevel, l == zerolog.NoLevel:
		return slog.LevelInfo
	case l == zerolog.WarnLevel:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}
