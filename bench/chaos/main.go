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
//
// With a PostgreSQL server (-postgres, default $VIGIL_TEST_POSTGRES) it then runs
// -replicas replicas on fresh databases: -failover-runs times it kills the leader with
// SIGKILL in the middle of a poll until one replica is left, and measures how soon
// another leads and polls; then it kills replicas while their Slack post is held open
// (-delivery-kills) and waits for the survivors to post. Only those runs:
//
//	go run -tags goolm ./bench/chaos -kills 0 -faults=false -replicas 3 -failover-runs 5
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
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
	bombs := flag.Int("bombs", 0, "more sources whose bodies reach the 10 MiB cap (bombs, huge bodies), to load the fetcher's memory budget")
	dns := flag.Bool("dns", true, "include the DNS fault (a query to the system's resolver)")
	keep := flag.Bool("keep", false, "keep the work directory (configs, databases)")
	var ha haOptions
	flag.StringVar(&ha.postgres, "postgres", os.Getenv("VIGIL_TEST_POSTGRES"), "a PostgreSQL server (postgres://…, allowed to create databases) for the replica runs; empty: skip them")
	flag.IntVar(&ha.replicas, "replicas", 3, "replicas on one database in the replica runs")
	flag.IntVar(&ha.runs, "failover-runs", 3, "fail-over runs, each on a fresh database, each killing the leader mid-poll replicas-1 times")
	flag.IntVar(&ha.deliveryKills, "delivery-kills", 1, "replicas killed while their Slack post is held open (at most replicas-1; 0: skip)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ha.seed = *seed
	if err := run(ctx, *kills, *seed, *drain, *faults, *faultFor, *bombs, *dns, *keep, ha); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kills int, seed uint64, drain time.Duration, faults bool, faultFor time.Duration, bombs int, dns, keep bool, ha haOptions) error {
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
		res, err := chaos.Faults(ctx, chaos.FaultOptions{Binary: bin, Dir: fdir, FaultFor: faultFor, Bombs: bombs, NoDNS: !dns, Log: os.Stderr})
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
	if ha.postgres != "" && ha.replicas > 1 {
		broken, err := replicaRuns(ctx, bin, dir, ha)
		if err != nil {
			return err
		}
		failed = failed || broken
	}
	if failed {
		return fmt.Errorf("a promise was broken: see the figures")
	}
	return nil
}

type haOptions struct {
	postgres                      string
	replicas, runs, deliveryKills int
	seed                          uint64
}

// replicaRuns runs the fail-over and delivery-kill runs on fresh databases and prints
// their figures and a summary of the fail-over times; it reports whether a promise broke.
func replicaRuns(ctx context.Context, bin, dir string, ha haOptions) (bool, error) {
	broken := false
	var elected, resumed []time.Duration
	for n := 1; n <= ha.runs; n++ {
		db, drop, err := chaos.FreshDatabase(ctx, ha.postgres)
		if err != nil {
			return broken, err
		}
		rdir, err := os.MkdirTemp(dir, "failover-")
		if err != nil {
			drop()
			return broken, err
		}
		res, err := chaos.Failover(ctx, chaos.FailoverOptions{
			Binary: bin, Dir: rdir, DatabaseURL: db, Replicas: ha.replicas, Kills: ha.replicas - 1,
			Seed: ha.seed, WaitForRescue: true, Drain: 3 * time.Minute, Log: os.Stderr,
		})
		drop()
		if res != nil {
			res.Report(os.Stdout)
			fmt.Println()
			for _, k := range res.Kills {
				elected, resumed = append(elected, k.Elected), append(resumed, k.Resumed)
			}
		}
		if err != nil {
			if res != nil {
				fmt.Fprintln(os.Stderr, strings.Join(res.StderrTail, "\n"))
			}
			return true, fmt.Errorf("fail-over run %d: %w", n, err)
		}
		broken = broken || len(res.Lost) > 0 || len(res.Injected) > 0 || len(res.Failures) > 0
	}
	if len(resumed) > 0 {
		fmt.Printf("Fail-over over %d leader kills: new leader %s; polling resumed %s\n\n", len(resumed), spread(elected), spread(resumed))
	}
	if ha.deliveryKills > 0 {
		db, drop, err := chaos.FreshDatabase(ctx, ha.postgres)
		if err != nil {
			return broken, err
		}
		defer drop()
		ddir, err := os.MkdirTemp(dir, "delivery-")
		if err != nil {
			return broken, err
		}
		res, err := chaos.DeliveryKills(ctx, chaos.DeliveryKillOptions{
			Binary: bin, Dir: ddir, DatabaseURL: db, Replicas: ha.replicas, Kills: ha.deliveryKills,
			Seed: ha.seed, RescueWithin: 15 * time.Minute, Log: os.Stderr,
		})
		if res != nil {
			res.Report(os.Stdout)
		}
		if err != nil {
			if res != nil {
				fmt.Fprintln(os.Stderr, strings.Join(res.StderrTail, "\n"))
			}
			return true, fmt.Errorf("delivery-kill run: %w", err)
		}
		broken = broken || len(res.Lost) > 0 || len(res.Failures) > 0
	}
	return broken, nil
}

// spread is the least, median and largest of ds.
func spread(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
	return fmt.Sprintf("min %s, median %s, max %s (n=%d)", r(s[0]), r(s[len(s)/2]), r(s[len(s)-1]), len(s))
}
