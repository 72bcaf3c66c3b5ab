#!/usr/bin/env bash
# Userspace instructions per request of one or more gateway binaries, counted
# by valgrind's callgrind: a figure that does not move with the load of this
# shared machine (req/s and CPU time do, by ±10 % between rounds), for A/B
# experiments on single changes (vendor/README.md).
#   scripts/bench/instructions.sh GATEWAY_PID URL HEADER REQUESTS ROUNDS BIN...
# GATEWAY_PID is the gateway of a `scripts/bench.sh --serve` environment (its
# command line gives the config); URL and HEADER one of its cases (the cases
# file). Each BIN is started in its place under callgrind with the same
# arguments, warmed up with 3,000 requests, then measured ROUNDS times with
# h2load --h1 (50 connections, REQUESTS requests each round); the original
# binary is started again at the end (its new pid is printed: the --serve
# environment no longer knows it). Prints one line per round:
#   BIN  round  instructions-per-request
# With KEEP=DIR the last round's callgrind file of each BIN is kept as
# DIR/BIN.out (for callgrind_annotate --inclusive=yes).
# Needs valgrind, h2load (nghttp2-client), curl. Under callgrind `rep movsb`
# counts one instruction per byte and SHA-256 runs without the CPU's SHA
# extensions, so memcpy and session hashing weigh more than on the CPU.
set -euo pipefail
pid=$1 url=$2 hdr=$3 n=$4 rounds=$5
shift 5
mapfile -d '' argv < "/proc/$pid/cmdline"
orig=$(readlink "/proc/$pid/exe")
args=("${argv[@]:1}")
cwd=$(readlink "/proc/$pid/cwd")
tmp=$(mktemp -d /tmp/gatehouse-instructions.XXXXXX)
stop() {
  local p=$1
  kill "$p" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
}
wait_up() {
  for _ in $(seq 120); do
    curl -s -o /dev/null ${hdr:+-H "$hdr"} "$url" && return 0
    sleep 0.5
  done
  echo "instructions.sh: the gateway did not answer $url" >&2
  return 1
}
if [ -n "${KEEP:-}" ] && ! { [ -d "$KEEP" ] && [ -w "$KEEP" ]; }; then
  echo "instructions.sh: KEEP=$KEEP is not a writable directory (nothing was stopped)" >&2
  exit 2
fi
stop "$pid"
for bin in "$@"; do
  name=$(basename "$bin")
  (cd "$cwd" && exec valgrind --tool=callgrind --dump-instr=no \
    --callgrind-out-file="$tmp/$name.out" "$bin" "${args[@]}" >"$tmp/$name.log" 2>&1) &
  vpid=$!
  wait_up
  h2load --h1 -n 3000 -c 50 ${hdr:+-H "$hdr"} "$url" >/dev/null
  for r in $(seq 1 "$rounds"); do
    callgrind_control -z "$vpid" >/dev/null
    ok=$(h2load --h1 -n "$n" -c 50 ${hdr:+-H "$hdr"} "$url" | awk '/^requests:/ {print $8}')
    callgrind_control -d "$vpid" >/dev/null
    f=""
    for _ in $(seq 50); do
      f=$(ls -t "$tmp/$name.out".* 2>/dev/null | head -1 || true)
      [ -n "$f" ] && grep -q '^totals:' "$f" && break
      sleep 0.2
    done
    ir=$(awk '/^totals:/ {print $2}' "$f")
    if [ -n "${KEEP:-}" ]; then cp "$f" "$KEEP/$name.out"; fi
    rm -f "$tmp/$name.out".*
    printf '%-16s %d %8d instructions/request (%s of %s requests succeeded)\n' \
      "$name" "$r" $((ir / n)) "$ok" "$n"
  done
  stop "$vpid"
done
# The environment's own gateway again.
(cd "$cwd" && exec "$orig" "${args[@]}" >/dev/null 2>&1) &
restarted=$!
wait_up
rm -rf "$tmp"
echo "instructions.sh: $orig restarted as pid $restarted (bench.sh's exit does not stop it: kill $restarted)"
