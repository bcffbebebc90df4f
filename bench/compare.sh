#!/usr/bin/env bash
# Compare the matcher (watchers/match) with ripgrep on the same corpus and names, on one core.
#
#   bench/compare.sh                 # generated data: a 32 MB news-like corpus, 100 … 100,000 names
#   CORPUS=f.txt NAMES=n.txt bench/compare.sh   # your own corpus and list (one name per line)
#
# Environment: DIR (work folder, default /tmp/vigil-bench), SIZES (default "100 1000 10000
# 100000"), CORPUS_MB (generated corpus size, default 32), RUNS (repetitions; the best is
# kept, default 3), CPU (the core to pin to, default 0).
#
# ripgrep gets both inputs lower-cased first and runs `rg -c -F -f names corpus`: its own -i
# falls into a slow path with thousands of literals. The matcher gets the original text and
# does its whole normalisation (NFKC-style folding, tokens, suffix variants) and evidence.
# Needs ripgrep (Debian: apt-get install -y ripgrep), GNU time (/usr/bin/time) and taskset.
set -euo pipefail

cd "$(dirname "$0")/.."
DIR=${DIR:-/tmp/vigil-bench}
SIZES=${SIZES:-"100 1000 10000 100000"}
CORPUS_MB=${CORPUS_MB:-32}
RUNS=${RUNS:-3}
CPU=${CPU:-0}
mkdir -p "$DIR"

for tool in rg /usr/bin/time taskset; do
	command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing (apt-get install -y ripgrep time util-linux)" >&2; exit 1; }
done

if [[ -n "${CORPUS:-}" || -n "${NAMES:-}" ]]; then
	[[ -n "${CORPUS:-}" && -n "${NAMES:-}" ]] || { echo "compare.sh: set both CORPUS and NAMES" >&2; exit 1; }
	[[ "$CORPUS" -ef "$DIR/corpus.txt" ]] || cp "$CORPUS" "$DIR/corpus.txt"
	n=$(grep -c . "$NAMES")
	grep . "$NAMES" > "$DIR/names-$n.txt"
	SIZES=$n
elif [[ ! -s "$DIR/corpus.txt" || $(stat -c %s "$DIR/corpus.txt") -lt $((CORPUS_MB << 20)) ]]; then
	echo "generating a ${CORPUS_MB} MB corpus and name lists in $DIR" >&2
	VIGIL_BENCH_WRITE="$DIR" VIGIL_BENCH_CORPUS_MB="$CORPUS_MB" \
		go test -tags goolm -count=1 -run '^TestWriteBenchData$' ./watchers/match/ >/dev/null
fi

go run bench/lower.go < "$DIR/corpus.txt" > "$DIR/corpus.lower"
go test -tags goolm -c -o "$DIR/match.test" ./watchers/match/
bytes=$(stat -c %s "$DIR/corpus.txt")
mb() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }

# best of RUNS wall times of a command, and its peak RSS in MB
best() {
	local t m bt=999999 bm=0
	for _ in $(seq "$RUNS"); do
		read -r t m < <( { /usr/bin/time -f "%e %M" taskset -c "$CPU" "$@" >/dev/null; } 2>&1 | tail -1)
		bt=$(awk -v a="$t" -v b="$bt" 'BEGIN { print (a < b) ? a : b }')
		bm=$(( m > bm ? m : bm ))
	done
	echo "$bt $((bm / 1024))"
}

echo
echo "corpus: $bytes bytes ($DIR/corpus.txt); $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); pinned to core $CPU"
echo
echo "| names | Vigil MB/s | Vigil matches | ripgrep MB/s | ripgrep lines | ripgrep peak RSS | Vigil build | build heap | build alloc | build peak RSS |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $SIZES; do
	names="$DIR/names-$n.txt"
	go run bench/lower.go < "$names" > "$DIR/names-$n.lower"
	export VIGIL_BENCH_CORPUS="$DIR/corpus.txt" VIGIL_BENCH_NAMES="$names" GOMAXPROCS=1

	# Matching: the best ns/op of RUNS benchmark runs (each op is the whole corpus).
	out=$(taskset -c "$CPU" "$DIR/match.test" -test.run '^$' -test.bench '^BenchmarkMatch$' \
		-test.benchtime 3x -test.count "$RUNS")
	ours=$(awk '/^BenchmarkMatch/ { if (best == "" || $3 < best) best = $3 } END { print best / 1e9 }' <<<"$out")
	matches=$(awk '/^BenchmarkMatch/ { for (i = 1; i < NF; i++) if ($(i+1) == "matches") printf "%d\n", $i }' <<<"$out" | head -1)

	# Building: time and memory from BenchmarkNew; peak RSS of a process that only builds.
	out=$(taskset -c "$CPU" "$DIR/match.test" -test.run '^$' -test.bench '^BenchmarkNew$' \
		-test.benchtime 3x -test.count "$RUNS")
	build=$(awk '/^BenchmarkNew/ { if (best == "" || $3 < best) best = $3 } END { printf "%.1f ms", best / 1e6 }' <<<"$out")
	heap=$(awk '/^BenchmarkNew/ { for (i = 1; i < NF; i++) if ($(i+1) == "heap-MB") v = $i } END { printf "%.0f MB", v }' <<<"$out")
	alloc=$(awk '/^BenchmarkNew/ { for (i = 1; i < NF; i++) if ($(i+1) == "alloc-MB") v = $i } END { printf "%.0f MB", v }' <<<"$out")
	read -r _ rss < <(best "$DIR/match.test" -test.run '^$' -test.bench '^BenchmarkNew$' -test.benchtime 1x)

	read -r rgt rgm < <(best rg -c -F -f "$DIR/names-$n.lower" "$DIR/corpus.lower")
	rglines=$(rg -c -F -f "$DIR/names-$n.lower" "$DIR/corpus.lower" || true)

	echo "| $n | $(mb "$ours") | $matches | $(mb "$rgt") | ${rglines:-0} | $rgm MB | $build | $heap | $alloc | $rss MB |"
done
