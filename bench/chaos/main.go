// Command chaos runs the long version of Vigil's crash and feed-fault tests against the
// real binary and prints the figures that docs/RELIABILITY.md records:
//
//	go run -tags goolm ./bench/chaos -kills 50
//
// It builds the binary with scripts/build.sh, runs `vigil run` against a loopback feed
// that keeps publishing, SIGKILLs it -kills times at random moments and restarts it, then
// waits (up to -drain) for every matching item to be alerted, deliveries interrupted by a
// kill included: River rescues those only after its RescueStuckJobsAfter. Then it runs
// one daemon against every feed fault at once, clears them after -fault-for and measures
// how soon each source recovers. Everything listens on 127.0.0.1, except that the DNS
// fault asks the system's resolver for a name under .invalid (-dns=false leaves it out).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"github.com/vigilbot/vigil/internal/chaos"
)

func main() {
	kills := flag.Int("kills", 50, "SIGKILLs in the crash run (0: skip it)")
	seed := flag.Uint64("seed", 0, "seed of the kill moments and the stream (0: from the clock)")
	drain := flag.Duration("drain", 14*time.Minute, "how long to wait, after the last kill, for every matching alert")
	faults := flag.Bool("faults", true, "run the feed faults")
	faultFor := flag.Duration("fault-for", 100*time.Second, "how long the faults stay on before they clear")
	dns := flag.Bool("dns", true, "include the DNS fault (a query to the system's resolver)")
	keep := flag.Bool("keep", false, "keep the work directory (configs, databases)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *kills, *seed, *drain, *faults, *faultFor, *dns, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kills int, seed uint64, drain time.Duration, faults bool, faultFor time.Duration, dns, keep bool) error {
	dir, err := os.MkdirTemp("", "vigil-chaos-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintln(os.Stderr, "work directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin, err := chaos.Build(ctx, dir)
	if err != nil {
		return err
	}
	fmt.Printf("vigil chaos — %s, %s/%s, %d CPUs, %s\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format(time.DateTime+" UTC"))
	failed := false
	if kills > 0 {
		cdir, err := os.MkdirTemp(dir, "crash-")
		if err != nil {
			return err
		}
		res, err := chaos.Crash(ctx, chaos.CrashOptions{
			Binary: bin, Dir: cdir, Kills: kills, Seed: seed,
			Drain: drain, WaitForRescue: true, Log: os.Stderr,
		})
		if res != nil {
			res.Report(os.Stdout)
			fmt.Println()
		}
		if err != nil {
			if res != nil {
				fmt.Fprintln(os.Stderr, strings.Join(res.StderrTail, "\n"))
			}
			return fmt.Errorf("crash run: %w", err)
		}
		failed = failed || len(res.Lost) > 0 || len(res.Injected) > 0 || len(res.Failures) > 0
	}
	if faults {
		fdir, err := os.MkdirTemp(dir, "faults-")
		if err != nil {
			return err
		}
		res, err := chaos.Faults(ctx, chaos.FaultOptions{Binary: bin, Dir: fdir, FaultFor: faultFor, NoDNS: !dns, Log: os.Stderr})
		if res != nil {
			res.Report(os.Stdout)
		}
		if err != nil {
			if res != nil {
				fmt.Fprintln(os.Stderr, strings.Join(res.StderrTail, "\n"))
			}
			return fmt.Errorf("fault run: %w", err)
		}
		failed = failed || !res.Alive
	}
	if failed {
		return fmt.Errorf("a promise was broken: see the figures")
	}
	return nil
}
