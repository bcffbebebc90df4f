// Command vigil is the front door of Vigil: it reads the subcommand and its flags, loads
// the configuration and hands over to package app. Nothing else happens here.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/vigilbot/vigil/app"
	"github.com/vigilbot/vigil/config"
)

const usage = `Vigil watches news feeds and the US Federal Register for the organisations you care about
and posts one clear alert into your chat when one of them shows up.

Usage:
  vigil run                        the daemon (terminal chat when no Slack or Matrix is configured)
  vigil scan --once [--all] [--dry-run] [--output text|jsonl]
                                   poll every source once, deliver, and print the new alerts
  vigil sources [--output text|json]
                                   every source with its health
  vigil watch add|remove|list --channel PLATFORM:ID [NAME [aka ALIAS]... [not PHRASE]...]
  vigil watch import --channel PLATFORM:ID FILE.csv
                                   a screening list (CSV with name, alt_names) as watches
  vigil config check [FILE]        check a configuration file and print it, secrets redacted
  vigil config example             print a commented example configuration
  vigil audit export [--channel PLATFORM:ID] [--since YYYY-MM-DD] [--output jsonl|csv]
                                   every candidate alert with its matches, decisions and deliveries
  vigil matrix cross-sign          cross-sign the Matrix bot's device (token login; daemon stopped)
  vigil healthcheck                exit 0 if the daemon's /healthz answers (for containers)
  vigil version

Every command takes --config FILE (default ./vigil.yaml, or $VIGIL_CONFIG); with neither,
Vigil runs on its embedded defaults (SQLite at ./data/vigil.db, the Federal Register source).
`

// exit codes
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cfg *config.Config
	err := dispatch(ctx, args, stdin, stdout, stderr, &cfg)
	// A remote server may have echoed a credential into an error: never print one.
	err = app.RedactError(cfg, err)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "vigil: %s\nRun 'vigil help' for usage.\n", ue.msg)
		if len(args) > 0 && args[0] == "healthcheck" {
			return exitError
		}
		return exitUsage
	case app.IsReported(err):
		return exitError
	default:
		fmt.Fprintf(stderr, "vigil: %v\n", err)
		return exitError
	}
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, loaded **config.Config) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	configPath := fs.String("config", "", "configuration file")
	opts := app.Options{Stdin: stdin, Stdout: stdout}

	switch cmd {
	case "help", "-h", "--help":
		return flag.ErrHelp
	case "version":
		if _, err := parse(fs, args, 0); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "vigil %s\n", app.Version)
		return nil
	case "run":
		if _, err := parse(fs, args, 0); err != nil {
			return err
		}
		cfg, err := loadConfig(*configPath)
		if err != nil {
			return err
		}
		for _, w := range cfg.Warnings() {
			fmt.Fprintf(stderr, "vigil: warning: %s\n", w)
		}
		opts.Config, *loaded = cfg, cfg
		return app.Run(ctx, opts)
	case "matrix":
		rest, err := parse(fs, args, -1)
		if err != nil {
			return err
		}
		if len(rest) != 1 || rest[0] != "cross-sign" {
			return usageError{"matrix needs cross-sign: vigil matrix cross-sign (the password is read from standard input)"}
		}
		cfg, err := loadConfig(*configPath)
		if err != nil {
			return err
		}
		password, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		opts.Config, *loaded = cfg, cfg
		return app.MatrixCrossSign(ctx, opts, password, stdout)
	case "healthcheck":
		// For container health checks: GET /healthz of a running daemon. Docker reserves
		// exit status 2, so every failure here is 1.
		if _, err := parse(fs, args, 0); err != nil {
			return err
		}
		cfg, err := loadConfig(*configPath)
		if err != nil {
			return err
		}
		return app.Healthcheck(ctx, cfg)
	case "scan":
		once := fs.Bool("once", false, "poll every source once")
		var so app.ScanOptions
		fs.BoolVar(&so.All, "all", false, "alert on what new sources already hold")
		fs.BoolVar(&so.DryRun, "dry-run", false, "record and deliver nothing")
		fs.StringVar(&so.Output, "output", "text", "text or jsonl")
		if _, err := parse(fs, args, 0); err != nil {
			return err
		}
		if !*once {
			return usageError{"scan needs --once (the daemon is 'vigil run')"}
		}
		if so.Output != "text" && so.Output != "jsonl" {
			return usageError{fmt.Sprintf("scan: unknown --output %q: want text or jsonl", so.Output)}
		}
		cfg, err := loadConfig(*configPath)
		if err != nil {
			return err
		}
		opts.Config, *loaded = cfg, cfg
		return app.Scan(ctx, opts, so)
	case "sources":
		output := fs.String("output", "text", "text or json")
		if _, err := parse(fs, args, 0); err != nil {
			return err
		}
		if *output != "text" && *output != "json" {
			return usageError{fmt.Sprintf("sources: unknown --output %q: want text or json", *output)}
		}
		cfg, err := loadConfig(*configPath)
		if err != nil {
			return err
		}
		opts.Config, *loaded = cfg, cfg
		return app.Sources(ctx, opts, *output)
	case "watch":
		channel := fs.String("channel", "", "PLATFORM:ID of the channel")
		rest, err := parse(fs, args, -1)
		if err != nil {
			return err
		}
		if len(rest) == 0 {
			return usageError{"watch needs add, remove or list"}
		}
		verb := rest[0]
		switch verb {
		case "add", "remove", "list", "import":
		default:
			return usageError{fmt.Sprintf("unknown watch command %q: want add, remove, list or import", verb)}
		}
		if *channel == "" {
			return usageError{"watch needs --channel PLATFORM:ID, for example --channel console:main"}
		}
		cfg, err := loadConfig(*configPath)
		if err != nil {
			return err
		}
		opts.Config, *loaded = cfg, cfg
		if verb == "import" {
			if len(rest) != 2 {
				return usageError{"watch import needs one FILE.csv (a Consolidated Screening List export)"}
			}
			return app.ImportWatches(ctx, opts, *channel, rest[1])
		}
		return app.Watch(ctx, opts, *channel, verb, rest[1:])
	case "audit":
		var ao app.AuditOptions
		fs.StringVar(&ao.Channel, "channel", "", "only this channel (PLATFORM:ID)")
		since := fs.String("since", "", "only alerts created on or after this date (YYYY-MM-DD)")
		fs.StringVar(&ao.Output, "output", "jsonl", "jsonl or csv")
		rest, err := parse(fs, args, -1)
		if err != nil {
			return err
		}
		if len(rest) != 1 || rest[0] != "export" {
			return usageError{"audit needs export: vigil audit export [--channel PLATFORM:ID] [--since YYYY-MM-DD] [--output jsonl|csv]"}
		}
		if ao.Output != "jsonl" && ao.Output != "csv" {
			return usageError{fmt.Sprintf("audit export: unknown --output %q: want jsonl or csv", ao.Output)}
		}
		if *since != "" {
			t, err := time.Parse(time.DateOnly, *since)
			if err != nil {
				return usageError{fmt.Sprintf("audit export: --since %q is not a date (YYYY-MM-DD)", *since)}
			}
			ao.Since = t
		}
		cfg, err := loadConfig(*configPath)
		if err != nil {
			return err
		}
		opts.Config, *loaded = cfg, cfg
		return app.AuditExport(ctx, opts, ao)
	case "config":
		rest, err := parse(fs, args, -1)
		if err != nil {
			return err
		}
		if len(rest) == 0 {
			return usageError{"config needs check or example"}
		}
		switch rest[0] {
		case "example":
			if len(rest) > 1 {
				return usageError{"config example takes no arguments"}
			}
			_, err := stdout.Write(config.Example())
			return err
		case "check":
			if len(rest) > 2 {
				return usageError{"config check takes at most one FILE"}
			}
			path := *configPath
			if len(rest) == 2 {
				path = rest[1]
			}
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			out, err := cfg.Redacted()
			if err != nil {
				return err
			}
			if _, err := stdout.Write(out); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "configuration OK: %d sources, %d channels\n", len(cfg.Sources), len(cfg.Channels))
			for _, w := range cfg.Warnings() {
				fmt.Fprintf(stderr, "warning: %s\n", w)
			}
			return nil
		}
		return usageError{fmt.Sprintf("unknown config command %q: want check or example", rest[0])}
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// parse parses flags anywhere among the arguments and returns the others. want is the
// number of other arguments allowed (-1: any).
func parse(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			rest = append(rest, args[1:]...)
			break
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
	if want >= 0 && len(rest) > want {
		return nil, usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), rest[want])}
	}
	return rest, nil
}

// loadConfig loads the named file; with none named, ./vigil.yaml or $VIGIL_CONFIG if
// present, else the embedded defaults.
func loadConfig(path string) (*config.Config, error) {
	if path != "" {
		return config.Load(path)
	}
	if env := os.Getenv("VIGIL_CONFIG"); env != "" {
		return config.Load(env)
	}
	if _, err := os.Stat("vigil.yaml"); err == nil {
		return config.Load("vigil.yaml")
	}
	return config.Default(), nil
}

// readPassword reads a password from the terminal without echoing it, or a line from
// standard input when it is not a terminal (scripts).
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	fmt.Fprint(stderr, "Password of the bot's Matrix account: ")
	defer fmt.Fprintln(stderr)
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
