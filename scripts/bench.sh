#!/usr/bin/env bash
# Gatehouse end-to-end benchmark (issue 5): one machine, one run,
# one upstream, wrk. Cases, interleaved A B C C' D E per round:
#   A   the upstream (nginx, `return 200`) directly: the limit
#   B   nginx proxy_pass with upstream keep-alive, no auth
#   C   nginx auth_request -> an nginx location answering 204 + X-WEBAUTH-USER,
#       auth_request_set -> X-WEBAUTH-USER (nginx's best case for sub-request auth)
#   C'  the same, auth_request -> Gatehouse's Organizr API /api/v2/auth/4
#   D   Gatehouse: auth = "user", identity header, valid session, access log on
#   E   Gatehouse: invalid session cookie (the 401 path, keep-alive)
#   P   Gatehouse: a public route to the same upstream (diagnostic: plain proxying)
#   Dc  D-cluster: the work of D on two gateway nodes ([cluster] redis, one
#       redis-server, one shared data_dir), the wrk load split across both
#       (two wrk, half the connections each; req/s summed). Skipped without
#       redis-server.
# Then the memory bench: the gateway's VmRSS with 0 and 100,000 live sessions.
#
# Usage: scripts/bench.sh [--quick] [--memory] [--rounds N] [--duration SECS]
#                         [--threads N] [--connections N] [--out FILE] [--no-build]
#   --quick    1 round of 3 s per case, no RESULTS.md (CI smoke test)
#   --memory   only the memory bench
#   --profile F  perf-record the gateway during one case-D run, report to F
#   --serve    start everything, print the case URLs, wait (manual experiments)
#   BENCH_RUST_LOG=warn turns the gateway's access log off (default: info);
#   GATEHOUSE_BIN=path benches another binary (with --no-build), BENCH_SOURCE
#   says in RESULTS.md where it came from.
#   default    5 rounds of 10 s per case + memory, writes benches/RESULTS.md
# Needs: cargo, nginx (Debian nginx-light: auth_request), wrk, taskset,
# curl, python3 (free ports, session rows). Everything listens on 127.0.0.1
# and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

QUICK=0 MEMORY_ONLY=0 BUILD=1 PROFILE="" SERVE=0
ROUNDS=5 DURATION=10 THREADS=2 CONNS=50 SESSIONS=100000
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; ROUNDS=1; DURATION=3 ;;
    --memory) MEMORY_ONLY=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --connections) CONNS=$2; shift ;;
    --sessions) SESSIONS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --no-build) BUILD=0 ;;
    --profile) PROFILE=$2; shift ;;
    --serve) SERVE=1 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$OUT" ] && [ "$QUICK" = 0 ] && [ "$MEMORY_ONLY" = 0 ] && [ -z "$PROFILE" ]; then
  OUT=benches/RESULTS.md
fi

NGINX=${NGINX:-/usr/sbin/nginx}
# The gateway's log filter: `info` (access log on) unless BENCH_RUST_LOG says otherwise.
GH_LOG=${BENCH_RUST_LOG:-info}
WRK=${WRK:-wrk}
BIN=${GATEHOUSE_BIN:-$ROOT/target/release/gatehouse}
NCPU=$(nproc)
# wrk on the last CPU; the servers are left to the scheduler.
WRK_CPU=${WRK_CPU:-$((NCPU - 1))}
WRK_PIN=()
if command -v taskset >/dev/null 2>&1 && [ "$NCPU" -gt 1 ]; then
  WRK_PIN=(taskset -c "$WRK_CPU")
fi
for tool in "$NGINX" "$WRK" curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench.sh: $tool not found" >&2; exit 1; }
done

log() { printf '[bench] %s\n' "$*" >&2; }

if [ "$BUILD" = 1 ]; then
  log "cargo build --release"
  cargo build --release --quiet
fi
[ -x "$BIN" ] || { echo "bench.sh: $BIN missing (build first)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/gatehouse-bench.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# N free TCP ports on 127.0.0.1 (bound to port 0, then released).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# Waits until something accepts on 127.0.0.1:$1 (10 s deadline).
wait_port() {
  local deadline=$((SECONDS + 10))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "bench.sh: nothing listens on port $1" >&2
      return 1
    fi
    sleep 0.05
  done
}

# The upstream: one nginx worker answering a small 200 (and `/whoami`
# echoing X-WEBAUTH-USER, for the checks), plus the fastest auth backend
# for case C (204 with X-WEBAUTH-USER) on its own port.
start_upstream() {
  mkdir -p "$TMP/up"
  cat >"$TMP/up/nginx.conf" <<EOF
worker_processes 1;
pid $TMP/up/nginx.pid;
error_log $TMP/up/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/up/body;
    proxy_temp_path $TMP/up/proxy;
    fastcgi_temp_path $TMP/up/fastcgi;
    uwsgi_temp_path $TMP/up/uwsgi;
    scgi_temp_path $TMP/up/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    default_type text/plain;
    server {
        listen 127.0.0.1:$PORT_UP;
        location / { return 200 "ok\n"; }
        location = /whoami { return 200 "\$http_x_webauth_user\n"; }
    }
    server {
        listen 127.0.0.1:$PORT_AUTH;
        location / {
            add_header X-WEBAUTH-USER bench always;
            return 204;
        }
    }
}
EOF
  "$NGINX" -p "$TMP/up" -c "$TMP/up/nginx.conf" -g 'daemon off; master_process on;' \
    2>>"$TMP/up/stderr.log" &
  PIDS+=($!)
  UP_PID=$!
}

# nginx as the proxy for B, C, C': as many workers as the gateway has
# threads, access log on and buffered like the gateway's (32 KiB, flushed
# every 100 ms), so neither side is charged a write(2) per request.
start_nginx_proxy() {
  mkdir -p "$TMP/px"
  local common='proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host:$server_port;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;'
  local authloc='location = /_auth {
            internal;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Cookie $http_cookie;'
  cat >"$TMP/px/nginx.conf" <<EOF
worker_processes $THREADS;
pid $TMP/px/nginx.pid;
error_log $TMP/px/error.log warn;
events { worker_connections 4096; }
http {
    access_log $TMP/px/access.log combined buffer=32k flush=100ms;
    client_body_temp_path $TMP/px/body;
    proxy_temp_path $TMP/px/proxy;
    fastcgi_temp_path $TMP/px/fastcgi;
    uwsgi_temp_path $TMP/px/uwsgi;
    scgi_temp_path $TMP/px/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    upstream app { server 127.0.0.1:$PORT_UP; keepalive 128; }
    upstream authfast { server 127.0.0.1:$PORT_AUTH; keepalive 128; }
    upstream gatehouse { server 127.0.0.1:$PORT_GH; keepalive 128; }
    # B: plain proxy_pass with upstream keep-alive.
    server {
        listen 127.0.0.1:$PORT_B;
        location / {
            proxy_pass http://app;
            $common
        }
    }
    # C: auth_request to the fastest auth backend.
    server {
        listen 127.0.0.1:$PORT_C;
        $authloc
            proxy_pass http://authfast/;
        }
        location / {
            auth_request /_auth;
            auth_request_set \$webauth_user \$upstream_http_x_webauth_user;
            proxy_pass http://app;
            $common
            proxy_set_header X-WEBAUTH-USER \$webauth_user;
        }
    }
    # C': auth_request to Gatehouse's Organizr-compatible API.
    server {
        listen 127.0.0.1:$PORT_CP;
        $authloc
            proxy_pass http://gatehouse/api/v2/auth/4;
        }
        location / {
            auth_request /_auth;
            auth_request_set \$webauth_user \$upstream_http_x_organizr_user;
            proxy_pass http://app;
            $common
            proxy_set_header X-WEBAUTH-USER \$webauth_user;
        }
    }
}
EOF
  "$NGINX" -t -q -p "$TMP/px" -c "$TMP/px/nginx.conf" -g 'daemon off;' 2>>"$TMP/px/stderr.log" \
    || { cat "$TMP/px/stderr.log" >&2; return 1; }
  "$NGINX" -p "$TMP/px" -c "$TMP/px/nginx.conf" -g 'daemon off; master_process on;' \
    2>>"$TMP/px/stderr.log" &
  PIDS+=($!)
  PX_PID=$!
}

# The gateway's configuration: one protected route to the upstream.
write_gatehouse_conf() {
  mkdir -p "$TMP/gh"
  cat >"$TMP/gh/gatehouse.toml" <<EOF
[server]
listen = ["127.0.0.1:$PORT_GH"]
public_url = "http://127.0.0.1:$PORT_GH"
data_dir = "$TMP/gh/data"
threads = $THREADS

[[route]]
name = "bench"
path = "/"
upstream = ["http://127.0.0.1:$PORT_UP"]
auth = "user"
identity_headers = { "X-WEBAUTH-USER" = "username" }

# Case P: the same upstream without auth (the gateway's plain proxying cost).
[[route]]
name = "public"
path = "/public/"
upstream = ["http://127.0.0.1:$PORT_UP"]
auth = "none"
EOF
}

start_gatehouse() {
  RUST_LOG=$GH_LOG "$BIN" -c "$TMP/gh/gatehouse.toml" >>"$TMP/gh/stdout.log" 2>>"$TMP/gh/gatehouse.log" &
  PIDS+=($!)
  GH_PID=$!
  wait_port "$PORT_GH"
}

stop_pid() {
  kill -INT "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# D-cluster: redis-server and two gateway nodes sharing $TMP/ghc/data.
start_cluster() {
  mkdir -p "$TMP/ghc/redis"
  "$REDIS_SERVER" --port "$PORT_REDIS" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$TMP/ghc/redis" >"$TMP/ghc/redis/redis.log" 2>&1 &
  PIDS+=($!)
  REDIS_PID=$!
  wait_port "$PORT_REDIS"
  local n port
  for n in 1 2; do
    port=$PORT_N1; [ "$n" = 2 ] && port=$PORT_N2
    sed -e "s#127.0.0.1:$PORT_GH\"]#127.0.0.1:$port\"]#" \
        -e "s#public_url = \"http://127.0.0.1:$PORT_GH\"#public_url = \"http://127.0.0.1:$port\"#" \
        -e "s#$TMP/gh/data#$TMP/ghc/data#" "$TMP/gh/gatehouse.toml" >"$TMP/ghc/node$n.toml"
    printf '\n[cluster]\nredis = "redis://127.0.0.1:%s/0"\nnode_name = "node%s"\n' \
      "$PORT_REDIS" "$n" >>"$TMP/ghc/node$n.toml"
  done
  printf 'bench-password\n' | GATEHOUSE_ARGON2=m=64,t=1,p=1 \
    "$BIN" -c "$TMP/ghc/node1.toml" user add bench --password-stdin >/dev/null
  RUST_LOG=$GH_LOG "$BIN" -c "$TMP/ghc/node1.toml" >>"$TMP/ghc/node1.log" 2>&1 &
  PIDS+=($!)
  N1_PID=$!
  RUST_LOG=$GH_LOG "$BIN" -c "$TMP/ghc/node2.toml" >>"$TMP/ghc/node2.log" 2>&1 &
  PIDS+=($!)
  N2_PID=$!
  wait_port "$PORT_N1"
  wait_port "$PORT_N2"
}

# Creates the `bench` user (cheap argon2 so login is fast) and signs in.
create_user() {
  printf 'bench-password\n' | GATEHOUSE_ARGON2=m=64,t=1,p=1 \
    "$BIN" -c "$TMP/gh/gatehouse.toml" user add bench --password-stdin >/dev/null
}
login() {
  local hdrs
  hdrs=$(curl -s -o /dev/null -D - -X POST -H 'Content-Type: application/json' \
    --data '{"username":"bench","password":"bench-password"}' \
    "http://127.0.0.1:${1:-$PORT_GH}/gatehouse/api/login")
  printf '%s\n' "$hdrs" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: gatehouse_session=\([^;]*\).*/\1/p' | head -1
}

# CPU ticks (user + system) of a process and all its children threads/processes.
cpu_ticks() {
  local total=0 pid t
  for pid in "$@"; do
    for t in $(pgrep -P "$pid" 2>/dev/null) "$pid"; do
      [ -r "/proc/$t/stat" ] || continue
      # Fields 14 and 15 (utime, stime), counted after the ")" of comm.
      total=$((total + $(sed 's/.*) //' "/proc/$t/stat" | awk '{print $12 + $13}')))
    done
  done
  echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

# Latency text from wrk ("812.00us", "1.20ms", "1.02s") in ms.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "nan" }'
}

declare -A URL HDR PROCS
# run_case NAME ROUND: one wrk run; appends "case round rps p50 p99 errors non2xx cpu_us" to $TMP/runs.
run_case() {
  local name=$1 round=$2 out out2 before after rps p50 p99 errs non2xx reqs cpu
  local -a hdr=()
  [ -n "${HDR[$name]}" ] && hdr=(-H "${HDR[$name]}")
  # shellcheck disable=SC2086
  before=$(cpu_ticks ${PROCS[$name]})
  if [ -n "${URL2[$name]:-}" ]; then
    # Split load: two wrk at once, half the connections each, one per node.
    "${WRK_PIN[@]}" "$WRK" -t1 -c$((CONNS / 2)) -d"${DURATION}s" --latency "${hdr[@]}" \
      "${URL2[$name]}" >"$TMP/wrk-$name-$round-2.txt" 2>&1 &
    local second=$!
    out=$("${WRK_PIN[@]}" "$WRK" -t1 -c$((CONNS - CONNS / 2)) -d"${DURATION}s" --latency "${hdr[@]}" "${URL[$name]}" 2>&1)
    wait "$second" || true
    out2=$(cat "$TMP/wrk-$name-$round-2.txt")
  else
    out=$("${WRK_PIN[@]}" "$WRK" -t1 -c"$CONNS" -d"${DURATION}s" --latency "${hdr[@]}" "${URL[$name]}" 2>&1)
  fi
  # shellcheck disable=SC2086
  after=$(cpu_ticks ${PROCS[$name]})
  printf '%s\n' "$out" >"$TMP/wrk-$name-$round.txt"
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  if [ -n "${URL2[$name]:-}" ]; then
    # Both halves: req/s and requests summed; latencies are the first half's.
    rps=$(awk -v a="${rps:-0}" '/^Requests\/sec:/ {printf "%.2f", a + $2}' <<<"$out2")
    reqs=$(awk -v a="${reqs:-0}" '/requests in/ {print a + $1}' <<<"$out2")
  fi
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  errs=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  cpu=$(awk -v a="$after" -v b="$before" -v t="$CLK_TCK" -v n="${reqs:-0}" \
    'BEGIN { if (n > 0) printf "%.1f", (a - b) / t * 1e6 / n; else print "nan" }')
  echo "$name $round ${rps:-0} $p50 $p99 ${errs:-0} ${non2xx:-0} $cpu" >>"$TMP/runs"
  log "$(printf '%-3s round %d: %10s req/s  p50 %8s ms  p99 %8s ms  socket errors %s  non-2xx %s  server CPU %s us/req' \
    "$name" "$round" "${rps:-0}" "$p50" "$p99" "${errs:-0}" "${non2xx:-0}" "$cpu")"
}

# Median of numbers on stdin.
median() { sort -g | awk '{v[NR] = $1} END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$1" -v n="$2" '$1 == c {print $n}' "$TMP/runs"; }

check_equals() {
  local what=$1 want=$2 got=$3
  if [ "$got" != "$want" ]; then
    echo "bench.sh: check failed: $what: want '$want', got '$got'" >&2
    exit 1
  fi
}

# ---------------------------------------------------------------- memory
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# Inserts N live sessions of user `bench` straight into the store.
insert_sessions() {
  python3 - "$TMP/gh/data/gatehouse.db" "$1" <<'EOF'
import os, sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
conn = sqlite3.connect(db)
uid = conn.execute("SELECT id FROM users WHERE name = 'bench'").fetchone()[0]
now = int(time.time())
rows = ((os.urandom(32), uid, now, now + 86400, now, 0, "{}") for _ in range(n))
with conn:
    conn.executemany(
        "INSERT INTO sessions (token_hash, user_id, created, expires, last_seen, remember, sso)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
print(conn.execute("SELECT count(*) FROM sessions WHERE expires > ?", (now,)).fetchone()[0])
conn.close()
EOF
}

# "VmRSS RssAnon RssFile VmHWM" of a process, in kB.
mem_line() {
  awk '/^(VmRSS|RssAnon|RssFile|VmHWM):/ {v[$1] = $2}
       END {print v["VmRSS:"], v["RssAnon:"], v["RssFile:"], v["VmHWM:"]}' "/proc/$1/status"
}

# Sets MEM_0 / MEM_N / MEM_N_TRAFFIC ("VmRSS RssAnon RssFile VmHWM"): a fresh
# gateway with 0 and with $SESSIONS live sessions, 1 s after its port opens,
# and the latter again after 2 s of requests (401s: the allocator has run
# and may have returned start-up memory to the system).
memory_bench() {
  start_gatehouse; sleep 1
  MEM_0=$(mem_line "$GH_PID")
  stop_pid "$GH_PID"
  MEM_COUNT=$(insert_sessions "$SESSIONS")
  start_gatehouse; sleep 1
  MEM_N=$(mem_line "$GH_PID")
  "$WRK" -t1 -c10 -d2s "http://127.0.0.1:$PORT_GH/" >/dev/null 2>&1 || true
  MEM_N_TRAFFIC=$(mem_line "$GH_PID")
  stop_pid "$GH_PID"
  MEM_DB_KB=$(du -k "$TMP/gh/data/gatehouse.db" | cut -f1)
  MEM_TABLE=$(mem_table)
  log "memory: VmRSS RssAnon RssFile VmHWM (kB): 0 sessions: $MEM_0; $MEM_COUNT sessions: $MEM_N; after traffic: $MEM_N_TRAFFIC"
}

mem_row() {
  # shellcheck disable=SC2086
  set -- $2
  printf '| %s | %s kB (%.1f MiB) | %s kB | %s kB | %s kB |' "$1" "$1" "$(awk -v k="$1" 'BEGIN {print k / 1024}')" "$2" "$3" "$4"
}
mem_table() {
  local r0 rn rt
  read -r r0 _ <<<"$MEM_0"; read -r rn _ <<<"$MEM_N"; read -r rt _ <<<"$MEM_N_TRAFFIC"
  echo "| gateway | VmRSS | RssAnon | RssFile | VmHWM (peak) |"
  echo "|---|---|---|---|---|"
  echo "$(mem_row x "$MEM_0" | sed "s/^| [0-9]* /| 0 sessions, 1 s after start /")"
  echo "$(mem_row x "$MEM_N" | sed "s/^| [0-9]* /| $MEM_COUNT sessions, 1 s after start /")"
  echo "$(mem_row x "$MEM_N_TRAFFIC" | sed "s/^| [0-9]* /| $MEM_COUNT sessions, after 2 s of requests /")"
  echo
  echo "$MEM_COUNT sessions add $(( (rn - r0) / 1024 )) MiB at start ($(( (rn - r0) * 1024 / MEM_COUNT )) bytes each), $(( (rt - r0) / 1024 )) MiB once the allocator has run."
}

# ---------------------------------------------------------------- main
read -r PORT_UP PORT_AUTH PORT_B PORT_C PORT_CP PORT_GH <<<"$(free_ports 6)"
read -r PORT_N1 PORT_N2 PORT_REDIS <<<"$(free_ports 3)"
REDIS_SERVER=$(command -v redis-server || true)
write_gatehouse_conf
create_user

if [ "$MEMORY_ONLY" = 1 ]; then
  memory_bench
  echo
  echo "$MEM_TABLE"
  exit 0
fi

start_upstream
start_gatehouse
start_nginx_proxy
if [ -n "$REDIS_SERVER" ]; then start_cluster; else log "redis-server not found: case D-cluster skipped (apt-get install redis-server)"; fi
for p in "$PORT_UP" "$PORT_AUTH" "$PORT_B" "$PORT_C" "$PORT_CP"; do wait_port "$p"; done

TOKEN=$(login)
[ -n "$TOKEN" ] || { echo "bench.sh: login failed" >&2; cat "$TMP/gh/gatehouse.log" >&2; exit 1; }
COOKIE="Cookie: gatehouse_session=$TOKEN"
BAD="Cookie: gatehouse_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

URL[A]=http://127.0.0.1:$PORT_UP/;  HDR[A]="";        PROCS[A]="$UP_PID"
URL[B]=http://127.0.0.1:$PORT_B/;   HDR[B]="";        PROCS[B]="$UP_PID $PX_PID"
URL[C]=http://127.0.0.1:$PORT_C/;   HDR[C]="";        PROCS[C]="$UP_PID $PX_PID"
URL[Cp]=http://127.0.0.1:$PORT_CP/; HDR[Cp]="$COOKIE"; PROCS[Cp]="$UP_PID $PX_PID $GH_PID"
URL[D]=http://127.0.0.1:$PORT_GH/;  HDR[D]="$COOKIE"; PROCS[D]="$UP_PID $GH_PID"
URL[E]=http://127.0.0.1:$PORT_GH/;  HDR[E]="$BAD";    PROCS[E]="$UP_PID $GH_PID"
URL[P]=http://127.0.0.1:$PORT_GH/public/; HDR[P]=""; PROCS[P]="$UP_PID $GH_PID"
declare -A URL2
CASES=(A B C Cp D E P)  # Cp = C′; P = diagnostic
if [ -n "$REDIS_SERVER" ]; then
  # Signed in on node 1; node 2 finds the session in the shared store once.
  TOKEN_C=$(login "$PORT_N1")
  [ -n "$TOKEN_C" ] || { echo "bench.sh: cluster login failed" >&2; cat "$TMP/ghc/node1.log" >&2; exit 1; }
  URL[Dc]=http://127.0.0.1:$PORT_N1/; URL2[Dc]=http://127.0.0.1:$PORT_N2/
  HDR[Dc]="Cookie: gatehouse_session=$TOKEN_C"; PROCS[Dc]="$UP_PID $N1_PID $N2_PID $REDIS_PID"
  CASES=(A B C Cp D Dc E P)
fi

# Each case does what it claims: the identity reaches the upstream, E is a 401.
whoami() { curl -s ${2:+-H "$2"} "http://127.0.0.1:$1/whoami"; }
check_equals "A body" "ok" "$(curl -s "${URL[A]}")"
check_equals "B body" "ok" "$(curl -s "${URL[B]}")"
check_equals "C identity" "bench" "$(whoami "$PORT_C")"
check_equals "C' identity" "bench" "$(whoami "$PORT_CP" "$COOKIE")"
check_equals "C' without cookie" "401" "$(curl -s -o /dev/null -w '%{http_code}' "${URL[Cp]}")"
check_equals "D identity" "bench" "$(whoami "$PORT_GH" "$COOKIE")"
check_equals "D spoofed identity" "bench" \
  "$(curl -s -H "$COOKIE" -H 'X-WEBAUTH-USER: admin' "http://127.0.0.1:$PORT_GH/whoami")"
check_equals "E status" "401" "$(curl -s -o /dev/null -w '%{http_code}' -H "$BAD" "${URL[E]}")"
check_equals "P body" "ok" "$(curl -s "${URL[P]}")"
if [ -n "${URL[Dc]:-}" ]; then
  check_equals "D-cluster identity (node 1)" "bench" "$(whoami "$PORT_N1" "${HDR[Dc]}")"
  check_equals "D-cluster identity (node 2)" "bench" "$(whoami "$PORT_N2" "${HDR[Dc]}")"
fi
if [ "$SERVE" = 1 ]; then
  # For manual experiments: everything stays up until this script is stopped.
  # NAME|URL|HEADER|PIDS per line: the input of scripts/bench/wrk_cases.sh.
  for c in "${CASES[@]}"; do echo "$c|${URL[$c]}|${HDR[$c]}|${PROCS[$c]}"; done >"$TMP/cases"
  cat "$TMP/cases"
  log "cases in $TMP/cases; upstream $UP_PID, nginx proxy $PX_PID, gateway $GH_PID"
  log "serving; stop with kill $$"
  while :; do sleep 3600 & wait $!; done  # wait: the EXIT trap runs at once
fi
if [ -n "$PROFILE" ]; then
  # perf (software cpu-clock sampling: works without hardware counters)
  # on the gateway during one D run; flat profile + callers to $PROFILE.
  command -v perf >/dev/null 2>&1 || { echo "bench.sh: perf not found (apt-get install linux-perf)" >&2; exit 1; }
  "${WRK_PIN[@]}" "$WRK" -t1 -c"$CONNS" -d2s -H "$COOKIE" "${URL[D]}" >/dev/null 2>&1
  perf record -q -e cpu-clock -F 499 --call-graph dwarf,8192 -p "$GH_PID" -o "$TMP/perf.data" \
    -- sleep "$DURATION" >/dev/null 2>&1 &
  PERF_PID=$!
  "${WRK_PIN[@]}" "$WRK" -t1 -c"$CONNS" -d"${DURATION}s" --latency -H "$COOKIE" "${URL[D]}" | tee "$TMP/wrk-profile.txt" >&2
  wait "$PERF_PID" || true
  # perf's text report, without its padding and empty IPC columns.
  tidy() { grep -v '^#' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' | grep -v '^$' || true; }
  {
    echo "# perf: gateway during case D (threads = $THREADS, RUST_LOG=$GH_LOG, ${DURATION}s)"
    grep -E 'Requests/sec|Latency|99%' "$TMP/wrk-profile.txt" || true
    echo
    echo "## self time by symbol"
    perf report -i "$TMP/perf.data" --stdio --no-children --sort dso,symbol -g none --percent-limit 0.3 \
      2>/dev/null | tidy | sort -rn
    echo
    echo "## self time by shared object"
    perf report -i "$TMP/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null | tidy
    echo
    echo "## inclusive time (children), top entries"
    perf report -i "$TMP/perf.data" --stdio --children --sort symbol -g none --percent-limit 2 \
      2>/dev/null | tidy
  } >"$PROFILE"
  cp "$TMP/perf.data" "$PROFILE.data" 2>/dev/null || true
  log "wrote $PROFILE (raw samples: $PROFILE.data)"
  exit 0
fi
log "checks passed; $ROUNDS round(s) of ${DURATION}s per case, wrk -t1 -c$CONNS pinned to CPU ${WRK_CPU}, gateway threads = $THREADS"

# Warm-up (connection pools, page faults), not recorded.
for c in "${CASES[@]}"; do
  "${WRK_PIN[@]}" "$WRK" -t1 -c"$CONNS" -d1s ${HDR[$c]:+-H "${HDR[$c]}"} "${URL[$c]}" >/dev/null 2>&1
done
: >"$TMP/runs"
for r in $(seq 1 "$ROUNDS"); do
  for c in "${CASES[@]}"; do run_case "$c" "$r"; done
done
RSS_AFTER=$(rss_kb "$GH_PID")
ACCESS_LINES=$(grep -c 'gatehouse::access' "$TMP/gh/gatehouse.log" || true)

# Summary: medians over rounds.
declare -A RPS
TABLE="| case | what | req/s (median) | req/s min–max | p50 ms | p99 ms | socket errors | non-2xx | server CPU µs/req |
|---|---|---|---|---|---|---|---|---|"
describe() {
  case "$1" in
    A) echo "upstream nginx directly (the limit)" ;;
    B) echo "nginx proxy_pass, upstream keep-alive, no auth" ;;
    C) echo "nginx auth_request → nginx 204 + auth_request_set" ;;
    Cp) echo "nginx auth_request → Gatehouse /api/v2/auth/4" ;;
    D) echo "Gatehouse auth=user, identity header, access log" ;;
    Dc) echo "D-cluster: D on two nodes, one Redis, load split" ;;
    E) echo "Gatehouse, invalid cookie (401)" ;;
    P) echo "Gatehouse, public route (no auth): diagnostic" ;;
  esac
}
for c in "${CASES[@]}"; do
  RPS[$c]=$(col "$c" 3 | median)
  lo=$(col "$c" 3 | sort -g | head -1); hi=$(col "$c" 3 | sort -g | tail -1)
  p50=$(col "$c" 4 | median); p99=$(col "$c" 5 | median)
  errs=$(col "$c" 6 | awk '{s += $1} END {print s}')
  non=$(col "$c" 7 | awk '{s += $1} END {print s}')
  cpu=$(col "$c" 8 | median)
  TABLE+=$'\n'"$(printf '| %s | %s | %.0f | %.0f–%.0f | %s | %s | %s | %s | %s |' \
    "$(sed 's/^Cp$/C′/; s/^Dc$/D-cluster/' <<<"$c")" "$(describe "$c")" "${RPS[$c]}" "$lo" "$hi" "$p50" "$p99" "$errs" "$non" "$cpu")"
done
ratio() { awk -v a="${RPS[$1]}" -v b="${RPS[$2]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
RATIOS="| ratio | value |
|---|---|
| D/A | $(ratio D A) |
| D/B | $(ratio D B) |
| D/C | $(ratio D C) |
| D/C′ | $(ratio D Cp) |
| D-cluster/D | $( [ -n "${URL[Dc]:-}" ] && ratio Dc D || echo "skipped") |
| E/D | $(ratio E D) |
| P/B (gateway vs nginx, both plain proxying) | $(ratio P B) |
| D/P (cost of auth + identity) | $(ratio D P) |"

echo
echo "$TABLE"
echo
echo "$RATIOS"
echo
echo "server CPU = user+system time of the server processes involved (upstream nginx, proxy nginx, gateway) per request."
echo "gateway access-log lines written: $ACCESS_LINES; gateway VmRSS after the runs: ${RSS_AFTER} kB"

MEM_TABLE=""
if [ "$QUICK" = 0 ]; then
  stop_pid "$GH_PID"
  memory_bench
  echo
  echo "$MEM_TABLE"
fi

[ -n "$OUT" ] || exit 0

{
  echo "# Benchmark results"
  echo
  echo "Written by \`scripts/bench.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo "Gateway binary: ${BENCH_SOURCE:-built from $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet -- src Cargo.toml 2>/dev/null || echo ' with uncommitted changes in src/')} (\`cargo build --release\`: LTO fat, 1 codegen unit, mimalloc)."
  echo "Method and analysis: [README.md](README.md)."
  echo
  echo "## Machine"
  echo
  echo "- CPU: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), \`nproc\` = $NCPU"
  echo "- Kernel: $(uname -sr); memory $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "- $("$NGINX" -v 2>&1); $("$WRK" -v 2>&1 | head -1 | cut -d' ' -f1-2); $(rustc -V)"
  echo
  echo "## Throughput and latency"
  echo
  echo "$ROUNDS rounds, cases interleaved A B C C′ D E P in each round, ${DURATION} s per run; medians over rounds."
  echo "Gateway \`threads = $THREADS\`, proxy nginx \`worker_processes $THREADS\`, upstream nginx 1 worker."
  echo
  echo "$TABLE"
  echo
  echo "$RATIOS"
  echo
  echo "Server CPU = user + system time of the server processes involved in the case (upstream nginx,"
  echo "proxy nginx, gateway), per request. The gateway wrote $ACCESS_LINES access-log lines (\`RUST_LOG\` default \`info\`)."
  echo
  echo "## Memory"
  echo
  echo "The gateway's VmRSS (\`/proc/PID/status\`) 1 s after start, with the sessions inserted into"
  echo "the store beforehand (the gateway loads every live session into memory at start)."
  echo "Store file with $MEM_COUNT sessions: $MEM_DB_KB kB."
  echo
  echo "$MEM_TABLE"
  echo
  echo "## Commands"
  echo
  echo '```'
  echo "scripts/bench.sh $( [ "$THREADS" != 2 ] && echo "--threads $THREADS ")--rounds $ROUNDS --duration $DURATION"
  echo "${WRK_PIN[*]} $WRK -t1 -c$CONNS -d${DURATION}s --latency [-H 'Cookie: gatehouse_session=…'] http://127.0.0.1:PORT/"
  echo "$NGINX -p TMP/up -c TMP/up/nginx.conf -g 'daemon off; master_process on;'   # upstream + auth backend"
  echo "$NGINX -p TMP/px -c TMP/px/nginx.conf -g 'daemon off; master_process on;'   # cases B, C, C′"
  echo "target/release/gatehouse -c TMP/gh/gatehouse.toml 2>gatehouse.log            # cases C′ (auth API), D, E, P"
  echo '```'
  echo
  echo "Per-run results (req/s, p50 ms, p99 ms, socket errors, non-2xx, server CPU µs/req):"
  echo
  echo '```'
  cat "$TMP/runs"
  echo '```'
  echo
  echo "<details><summary>Configurations</summary>"
  echo
  echo '```nginx'
  sed "s#$TMP#TMP#g" "$TMP/up/nginx.conf"
  echo '```'
  echo
  echo '```nginx'
  sed "s#$TMP#TMP#g" "$TMP/px/nginx.conf"
  echo '```'
  echo
  echo '```toml'
  sed "s#$TMP#TMP#g" "$TMP/gh/gatehouse.toml"
  echo '```'
  echo
  echo "</details>"
} >"$OUT"
log "wrote $OUT"
