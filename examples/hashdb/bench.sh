#!/usr/bin/env bash
# bench.sh measures "hashdb add --signals" and "hashdb match --signals" at
# scale. Run it from the repository root:
#
#	examples/hashdb/bench.sh                 # 1M items, 200 queries
#	N=100000 examples/hashdb/bench.sh        # smaller
#	BASE=e03fa34 examples/hashdb/bench.sh    # also the CLI of revision e03fa34
#	PROFILE=1 examples/hashdb/bench.sh       # also split the time in process
#	APART=1 examples/hashdb/bench.sh         # the worst case for grouping
#
# It generates a deterministic --signals file of N items (one pdq and one
# md5 line each, the lines of an item together, as "hashdb hash" prints
# them; gensignals.go; with APART=1 all the pdq lines come first, then all
# the md5 lines, so every id recurs far apart) and a query file of Q of its pdq signals, builds the
# CLI, and runs add --signals into a new database and match --signals
# against it under /usr/bin/time, printing wall time, items/s and max RSS.
#
# Baselines, in the same run: the time "wc -l" takes to read the file once
# (the floor for anything that reads it), and with BASE=<rev> the same two
# commands built from git revision <rev> (checked out with git worktree in
# the work directory, removed after).
#
# With PROFILE=1 it also runs BenchmarkCLIFile (bench_test.go) with a CPU
# profile, which times the CLI's own part of add (both passes, the items
# built, nothing stored), the whole add, and hashdb.Open read-only, and
# prints the profile's top cumulative entries: the rest of add is
# hashdb's Put and Close, the rest of match is hashdb's Open and Match.
#
# Each command runs REPS times (default 1; the add into a new database
# each time) and the run with the least wall time is printed, with its
# max RSS and CPU time (user+system): on a shared machine the CPU time
# moves less than the wall time.
#
# Variables: N (items, 1000000), Q (queries, 200), REPS (1), WORK
# (directory for the files and databases; default a new temporary one,
# removed at the end unless KEEP=1).
set -euo pipefail

N=${N:-1000000}
Q=${Q:-200}
REPS=${REPS:-1}
if [[ ! -f examples/hashdb/bench.sh ]]; then
	echo "bench.sh: run it from the repository root" >&2
	exit 2
fi
if [[ -z ${WORK:-} ]]; then
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/hashdb-bench.XXXXXX")
	[[ ${KEEP:-} == 1 ]] || trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
gen=()
signals=$WORK/signals-$N.txt
if [[ ${APART:-} == 1 ]]; then
	gen=(-interleave)
	signals=$WORK/signals-$N-apart.txt
fi
queries=$WORK/queries-$Q.txt

echo "== generating $N items ($WORK)"
if [[ ! -s $WORK/signals-$N.txt ]]; then
	go run ./examples/hashdb/gensignals.go -n "$N" >"$WORK/signals-$N.txt"
fi
if [[ ! -s $signals ]]; then
	go run ./examples/hashdb/gensignals.go -n "$N" "${gen[@]}" >"$signals"
fi
lines=$(wc -l <"$signals")
# Q pdq signals spread evenly over the items.
step=$(((lines / Q) / 2 * 2))
((step >= 2)) || step=2
awk -v step="$step" -v q="$Q" 'NR % step == 1 && n < q { print $1; n++ }' "$WORK/signals-$N.txt" >"$queries"
echo "$lines lines, $(du -h "$signals" | cut -f1); $(wc -l <"$queries") queries"

echo "== building"
go build -o "$WORK/hashdb" ./examples/hashdb
bins=(new)
if [[ -n ${BASE:-} ]]; then
	git worktree add -q --detach "$WORK/base-src" "$BASE"
	(cd "$WORK/base-src" && go build -o "$WORK/hashdb-base" ./examples/hashdb)
	git worktree remove --force "$WORK/base-src"
	bins+=(base)
fi

# timed LABEL COMMAND...: runs COMMAND REPS times under /usr/bin/time,
# its output discarded, and sets wall (seconds), rss (KB) and cpu
# (seconds) of the fastest run. Exit status 1 (match: nothing matched) is
# not an error. $before, if set, is run before each run (unmeasured).
timed() {
	local label=$1
	shift
	local rc r w m u s
	wall='' rss='' cpu=''
	for ((r = 0; r < REPS; r++)); do
		[[ -z ${before:-} ]] || eval "$before"
		rc=0
		/usr/bin/time -f '%e s %M KB %U %S' -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt" || rc=$?
		if ((rc > 1)); then
			echo "$label failed ($rc):" >&2
			cat "$WORK/stderr.txt" "$WORK/time.txt" >&2
			exit 1
		fi
		read -r w _ m _ u s <"$WORK/time.txt"
		if [[ -z $wall ]] || awk -v a="$w" -v b="$wall" 'BEGIN { exit !(a < b) }'; then
			wall=$w rss=$m cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
		fi
	done
}

# row LABEL [ITEMS]: prints the last timed run.
row() {
	local rate=''
	[[ -z ${2:-} ]] || rate=$(awk -v n="$2" -v w="$wall" 'BEGIN { printf "%d/s", n / w }')
	printf '%-26s %8s s wall %8s s cpu %10s %6d MB max RSS\n' "$1" "$wall" "$cpu" "$rate" "$((rss / 1024))"
}

cat "$signals" >/dev/null # into the page cache, for every run alike
timed "wc -l" wc -l "$signals"
row "wc -l (read once)"

echo "== best of $REPS"
for b in "${bins[@]}"; do
	bin=$WORK/hashdb
	[[ $b == base ]] && bin=$WORK/hashdb-base
	db=$WORK/$b.db
	before="rm -f '$db'" timed "add ($b)" "$bin" add --db "$db" --source acme --signals "$signals"
	row "add --signals ($b)" "$N"
	timed "match ($b)" "$bin" match --db "$db" --signals "$queries"
	row "match --signals ($b)"
	timed "stats ($b)" "$bin" stats --db "$db"
	row "stats: open only ($b)"
done

if [[ ${PROFILE:-} == 1 ]]; then
	echo "== in process: BenchmarkCLIFile (seconds; see bench_test.go)"
	HASHDB_BENCH_SIGNALS=$signals HASHDB_BENCH_QUERIES=$queries \
		go test ./examples/hashdb -run '^$' -bench '^BenchmarkCLIFile$' -benchtime 1x \
		-cpuprofile "$WORK/cpu.out" -o "$WORK/hashdb.test" | grep -E '^Benchmark'
	go tool pprof -top -cum "$WORK/hashdb.test" "$WORK/cpu.out" 2>/dev/null |
		grep -E 'flat%|hashdb\.(Open|\(\*DB\)\.(Put|Close|Match)$)|addSignals$|planGroups$|groups$|parseSignalLine$|makeTables|runtime\.gcBgMarkWorker$' || true
fi
