//go:build tools

// This file is never built. It pins in go.mod the libraries that the Slack, Matrix and
// PostgreSQL parts of Vigil are built on, at the versions those parts are written against,
// until the packages that own them (bot/slackbot, bot/matrixbot, store) import them.
package main

import (
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/riverqueue/river/riverdriver/riverdatabasesql"
	_ "github.com/slack-go/slack"
	_ "maunium.net/go/mautrix"
)
