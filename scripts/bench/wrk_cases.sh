#!/usr/bin/env bash
# Interleaved wrk runs against the cases of one or more
# `scripts/bench.sh --serve` environments, for manual A/B experiments
# (e.g. the gateway with and without its access log):
#   scripts/bench/wrk_cases.sh CASES_FILE ROUNDS SECONDS CASE...
# CASES_FILE lines are NAME|URL|HEADER|PIDS (the `cases` file --serve
# writes; rename cases when merging files). Prints one line per run: case,
# round, req/s, p50, p99, and the CPU time (user + system) the PIDS and
# their child processes spent per request.
set -euo pipefail
file=$1 rounds=$2 secs=$3
shift 3
cpu=$(($(nproc) - 1))
tck=$(getconf CLK_TCK)
ticks() {
  local total=0 pid t
  for pid in "$@"; do
    for t in $(pgrep -P "$pid") "$pid"; do
      [ -r "/proc/$t/stat" ] || continue
      total=$((total + $(sed 's/.*) //' "/proc/$t/stat" | awk '{print $12 + $13}')))
    done
  done
  echo "$total"
}
for r in $(seq 1 "$rounds"); do
  for c in "$@"; do
    IFS='|' read -r _ url hdr pids < <(awk -F'|' -v c="$c" '$1 == c' "$file")
    # shellcheck disable=SC2086
    before=$(ticks $pids)
    out=$(taskset -c "$cpu" wrk -t1 -c50 -d"${secs}s" --latency ${hdr:+-H "$hdr"} "$url")
    # shellcheck disable=SC2086
    after=$(ticks $pids)
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    printf '%-4s %d %10s  p50 %8s  p99 %8s  CPU %6s us/req\n' "$c" "$r" \
      "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")" \
      "$(awk '$1 == "50%" {print $2}' <<<"$out")" \
      "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
      "$(awk -v a="$after" -v b="$before" -v t="$tck" -v n="$n" 'BEGIN {printf "%.1f", (a - b) / t * 1e6 / n}')"
  done
done
