#!/usr/bin/env bash
# bench.sh: run lychd's performance benchmarks (internal/bench, see
# BENCHMARKS.md) and print one table of medians, floors, ratios and targets.
#
# Each benchmark iteration of internal/bench is one full operation (one
# bind, one Scribe run, one systemd-analyze), so they run with -benchtime 1x
# and the table takes the median over -count runs. host/launch's
# BenchmarkLaunchFloor (20 launches per run) splits one launch's cost.
#
# Environment:
#   BENCH_COUNT  runs per benchmark (default 5)
#   BENCH        -bench regexp (default: all of internal/bench)
#   BENCH_OUT    file to keep the raw go test output in (default: a temp file)
#   LYCHD_QUADLET  the Quadlet generator (default: scripts/fetch-quadlet.sh)
#   BENCH_NO_SWAP  when set, skip the booted-systemd swap benchmark
#   BENCH_NO_PODMAN  when set, skip the real-Podman swap-to-ready benchmark
set -euo pipefail
cd "$(dirname "$0")/.."

count=${BENCH_COUNT:-5}
bench=${BENCH:-.}
out=${BENCH_OUT:-$(mktemp -t lychd-bench-XXXXXX.txt)}

machine() {
	echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(go version | cut -d' ' -f3-)"
	echo "load average $1: $(cut -d' ' -f1-3 /proc/loadavg)"
}

machine "before" >&2
echo "go test -run '^\$' -bench '$bench' -benchtime 1x -count $count ./internal/bench/ (raw output: $out)" >&2
status=0
go test -run '^$' -bench "$bench" -benchtime 1x -count "$count" -timeout 90m ./internal/bench/ | tee "$out" >&2 || status=$?
# Where a launch's time goes: one launch at a time, with and without the
# checksum and the namespaces, against a bare go-plugin plugin.
go test -run '^$' -bench "LaunchFloor" -benchtime 20x -count "$count" -timeout 30m ./host/launch/ | tee -a "$out" >&2 || status=$?
# What lychd start adds to a coven swap over a bare systemctl start, and
# lychd status over 1,000 soulstones, on the booted systemd of internal/e2e (root and the cached rootfs; it skips with
# a reason elsewhere, and the row shows "not run").
if [ -z "${BENCH_NO_SWAP:-}" ]; then
	go test -run '^$' -bench "SwapLatency|StatusLarge" -benchtime 1x -count "$count" -timeout 30m ./internal/e2e/matrix/ | tee -a "$out" >&2 || status=$?
fi
# A swap's time to ready against its floor (the slowest displaced stop
# plus the newcomer's start), on real rootless Podman in the booted machine
# of internal/e2e/realpodman (root and the cached rootfs; it skips with a
# reason elsewhere, and the rows show "not run").
if [ -z "${BENCH_NO_PODMAN:-}" ]; then
	go test -run '^$' -bench "SwapToReady" -benchtime 1x -count "$count" -timeout 60m ./internal/e2e/realpodman/ | tee -a "$out" >&2 || status=$?
fi
# The worst case at the limits lychd supports: hostile Codex files (deep
# keys, many keys) and a Sepulcher where every coven is hostile to every
# other, at the largest sizes the limits allow.
hostile=$(mktemp -t lychd-bench-hostile-XXXXXX.txt)
go test -run '^$' -bench 'CompileHostile' -benchtime 1x -count "$count" -timeout 30m ./internal/scribe/ | tee "$hostile" >&2 || status=$?
go test -run '^$' -bench 'LoadDeep' -benchtime 1x -count "$count" -timeout 30m ./internal/codex/ | tee -a "$hostile" >&2 || status=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo
# The table shows what ran; a failed benchmark shows as "not run" and makes
# the script fail after the table.
go run ./internal/bench/cmd/benchtable < "$out"
echo
echo "Hostile input at the limits (median of $count runs):"
echo
echo "| benchmark | time | allocated | written |"
echo "|---|---|---|---|"
grep -E '^Benchmark(CompileHostile|LoadDeep)' "$hostile" | awk '
	{ name=$1; sub(/-[0-9]+$/, "", name); t[name]=t[name] " " $3; b=""; w="-"
	  for (i=4; i<NF; i++) { if ($(i+1)=="B/op") b=$i; if ($(i+1)=="bytes-written") w=$i }
	  mem[name]=b; wr[name]=w; if (!(name in seen)) { seen[name]=1; order[++n]=name } }
	END { for (k=1; k<=n; k++) { name=order[k]; m=split(substr(t[name],2), v, " ")
	        for (i=1; i<=m; i++) for (j=i+1; j<=m; j++) if (v[j]+0 < v[i]+0) { x=v[i]; v[i]=v[j]; v[j]=x }
	        med=v[int((m+1)/2)]
	        printf "| `%s` | %.0f ms | %.1f MB | %s |\n", name, med/1e6, mem[name]/1e6, (wr[name]=="-" ? "-" : sprintf("%.1f MB", wr[name]/1e6)) } }'
if [ "$status" -ne 0 ]; then
	echo "bench.sh: a benchmark failed (see above)" >&2
fi
exit "$status"
