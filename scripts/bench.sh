#!/usr/bin/env bash
# Gatehouse end-to-end benchmark (issues 5 and 17): one machine, one run,
# one upstream. Cases, interleaved in this order in every round:
#   A   the upstream (nginx, `return 200`) directly: the limit
#   B   nginx proxy_pass with upstream keep-alive, no auth
#   C   nginx auth_request -> an nginx location answering 204 + X-WEBAUTH-USER,
#       auth_request_set -> X-WEBAUTH-USER (nginx's best case for sub-request auth)
#   C'  the same, auth_request -> Gatehouse's Organizr API /api/v2/auth/4
#   D   Gatehouse: auth = "user", identity header, valid session, access log on
#   Dc  D-cluster: the work of D on two gateway nodes ([cluster] redis, one
#       redis-server, one shared data_dir), the wrk load split across both
#       (two wrk, half the connections each; req/s summed). Skipped without
#       redis-server.
#   E   Gatehouse: invalid session cookie (the 401 path, keep-alive)
#   P   Gatehouse: a public route to the same upstream (diagnostic: plain proxying)
#   F   Caddy 2 forward_auth (same 204 backend) + reverse_proxy: the peer
#   Ct Dt Ft  C, D, F over TLS (ECDSA P-256), HTTP/1.1 keep-alive (wrk)
#   Cn Dn Fn  C, D, F over TLS, a new connection (full handshake) per request
#             (wrk -H "Connection: close"; wrk's OpenSSL client resumes no session)
#   Ch Dh Fh  C, D, F over TLS, HTTP/2 (h2load -c CONNS -m 10)
# Then the idle-connection case (10,000 idle keep-alive connections: RSS and
# a busy wrk beside them) and the memory bench (VmRSS with 0 and 100,000 live
# sessions).
#
# Usage: scripts/bench.sh [--quick] [--memory] [--idle-only] [--rounds N]
#                         [--duration SECS] [--threads N] [--connections N]
#                         [--idle N] [--cases "A B ..."] [--out FILE] [--no-build]
#   --quick    1 round of 3 s per case, 1,000 idle connections, no memory
#              bench, no RESULTS.md (CI smoke test, ~2 min)
#   --memory   only the memory bench
#   --idle-only  only the idle-connection case
#   --cases L  only these cases (e.g. "C D Ct Dt", "D Dc"), for A/B experiments
#   --profile F  perf-record the gateway during one run of case
#              $PROFILE_CASE (default D; e.g. Dt, Dh), report to F
#   --serve    start everything, print the case URLs, wait (manual experiments)
#   BENCH_RUST_LOG=warn turns the gateway's access log off (default: info);
#   GATEHOUSE_BIN=path benches another binary (with --no-build), BENCH_SOURCE
#   says in RESULTS.md where it came from.
#   IDLE_CONCURRENCY=N opens the idle connections N at a time (default 200).
#   default    5 rounds of 5 s per case + idle connections + memory, writes
#              benches/RESULTS.md (~9 min without the build)
# Needs: cargo, nginx (Debian nginx-light: auth_request, ssl, http2), wrk,
# h2load (nghttp2-client), caddy, redis-server, openssl, taskset, curl,
# python3 (free ports, session rows, idle connections). Without h2load,
# caddy or redis-server their cases are left out (said in the output).
# Everything listens on 127.0.0.1 and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

QUICK=0 MEMORY_ONLY=0 IDLE_ONLY=0 BUILD=1 PROFILE="" SERVE=0
ROUNDS=5 DURATION=5 THREADS=2 CONNS=50 SESSIONS=100000 IDLE=10000
OUT="" ONLY_CASES=""
PROFILE_CASE=${PROFILE_CASE:-D}
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; ROUNDS=1; DURATION=3; IDLE=1000 ;;
    --memory) MEMORY_ONLY=1 ;;
    --idle-only) IDLE_ONLY=1 ;;
    --idle) IDLE=$2; shift ;;
    --cases) ONLY_CASES=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --connections) CONNS=$2; shift ;;
    --sessions) SESSIONS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --no-build) BUILD=0 ;;
    --profile) PROFILE=$2; shift ;;
    --serve) SERVE=1 ;;
    -h|--help) sed -n '2,45p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$OUT" ] && [ "$QUICK" = 0 ] && [ "$MEMORY_ONLY" = 0 ] && [ "$IDLE_ONLY" = 0 ] \
  && [ -z "$PROFILE" ] && [ -z "$ONLY_CASES" ]; then
  OUT=benches/RESULTS.md
fi

NGINX=${NGINX:-/usr/sbin/nginx}
# The gateway's log filter: `info` (access log on) unless BENCH_RUST_LOG says otherwise.
GH_LOG=${BENCH_RUST_LOG:-info}
WRK=${WRK:-wrk}
H2LOAD=${H2LOAD:-h2load}
CADDY=${CADDY:-caddy}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
BIN=${GATEHOUSE_BIN:-$ROOT/target/release/gatehouse}
NCPU=$(nproc)
# wrk on the last CPU; the servers are left to the scheduler.
WRK_CPU=${WRK_CPU:-$((NCPU - 1))}
WRK_PIN=()
if command -v taskset >/dev/null 2>&1 && [ "$NCPU" -gt 1 ]; then
  WRK_PIN=(taskset -c "$WRK_CPU")
fi
for tool in "$NGINX" "$WRK" curl python3 openssl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench.sh: $tool not found" >&2; exit 1; }
done

log() { printf '[bench] %s\n' "$*" >&2; }
HAVE_H2LOAD=1 HAVE_CADDY=1 HAVE_REDIS=1
command -v "$H2LOAD" >/dev/null 2>&1 || { HAVE_H2LOAD=0; log "h2load not found (Debian nghttp2-client): HTTP/2 cases left out"; }
command -v "$CADDY" >/dev/null 2>&1 || { HAVE_CADDY=0; log "caddy not found: Caddy cases left out"; }
command -v "$REDIS_SERVER" >/dev/null 2>&1 || { HAVE_REDIS=0; log "redis-server not found: case D-cluster skipped (apt-get install redis-server)"; }

# The idle-connection case needs one descriptor per connection in the
# gateway (or nginx) and in the client: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ $((IDLE + 1000)) -gt "$NOFILE" ]; then
  log "open-files limit $NOFILE: idle connections lowered from $IDLE to $((NOFILE - 1000))"
  IDLE=$((NOFILE - 1000))
fi

if [ "$BUILD" = 1 ]; then
  log "cargo build --release"
  cargo build --release --quiet
fi
[ -x "$BIN" ] || { echo "bench.sh: $BIN missing (build first)" >&2; exit 1; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
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

# One ECDSA P-256 certificate (SAN 127.0.0.1 and localhost) served by every
# TLS listener: nginx, the gateway (certs_dir default.crt) and Caddy.
make_cert() {
  mkdir -p "$TMP/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
    -keyout "$TMP/tls/key.pem" -out "$TMP/tls/cert.pem" 2>/dev/null
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

# nginx as the proxy for B, C, C' and the TLS cases Ct, Cn, Ch (one server
# `listen ... ssl http2`): as many workers as the gateway has threads, access
# log on and buffered like the gateway's (32 KiB, flushed every 100 ms), so
# neither side is charged a write(2) per request. TLS: the same certificate
# as the gateway, TLS 1.2 + 1.3, the client's cipher order (rustls' default
# too), no session resumption asked for by the clients.
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
events { worker_connections $((IDLE + 2000)); }
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
    # Ct, Cn, Ch: C over TLS (HTTP/1.1 and HTTP/2 by ALPN).
    server {
        listen 127.0.0.1:$PORT_CT ssl http2;
        ssl_certificate $TMP/tls/cert.pem;
        ssl_certificate_key $TMP/tls/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
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
  mkdir -p "$TMP/gh/certs"
  cp "$TMP/tls/cert.pem" "$TMP/gh/certs/default.crt"
  cp "$TMP/tls/key.pem" "$TMP/gh/certs/default.key"
  cat >"$TMP/gh/gatehouse.toml" <<EOF
[server]
listen = ["127.0.0.1:$PORT_GH"]
tls_listen = ["127.0.0.1:$PORT_GHS"]
certs_dir = "$TMP/gh/certs"
public_url = "http://127.0.0.1:$PORT_GH"
data_dir = "$TMP/gh/data"
threads = $THREADS
# As the nginx proxy's keepalive_timeout / keepalive_requests.
keepalive_timeout = "300s"
keepalive_requests = 100000000

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

# Caddy 2 as the peer (F, Ft, Fn, Fh): forward_auth to the same 204 backend
# (copy_headers X-WEBAUTH-USER), reverse_proxy to the same upstream, both with
# 128 idle upstream connections like nginx's `keepalive 128`; GOMAXPROCS =
# threads; every request logged (Caddy 2.6's file log has no buffer option:
# one write per request). HTTP/1.1 and HTTP/2 (no HTTP/3).
start_caddy() {
  mkdir -p "$TMP/caddy/data" "$TMP/caddy/config"
  cat >"$TMP/caddy/Caddyfile" <<EOF
{
	admin off
	auto_https off
	storage file_system $TMP/caddy/data
	servers {
		protocols h1 h2
	}
}
(gate) {
	log {
		output file $TMP/caddy/access.log
	}
	forward_auth 127.0.0.1:$PORT_AUTH {
		uri /
		copy_headers X-WEBAUTH-USER
		transport http {
			keepalive_idle_conns_per_host 128
		}
	}
	reverse_proxy 127.0.0.1:$PORT_UP {
		transport http {
			keepalive_idle_conns_per_host 128
		}
	}
}
http://127.0.0.1:$PORT_F {
	import gate
}
https://127.0.0.1:$PORT_FS {
	tls $TMP/tls/cert.pem $TMP/tls/key.pem
	import gate
}
EOF
  GOMAXPROCS=$THREADS XDG_DATA_HOME=$TMP/caddy/data XDG_CONFIG_HOME=$TMP/caddy/config \
    "$CADDY" run --config "$TMP/caddy/Caddyfile" --adapter caddyfile \
    >>"$TMP/caddy/stdout.log" 2>>"$TMP/caddy/caddy.log" &
  PIDS+=($!)
  CADDY_PID=$!
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

# D-cluster: one redis-server and two gateway nodes sharing $TMP/ghc/data.
# Each node's configuration is the gateway's with its own plain listener and
# public_url (no TLS listener: the nodes serve only case Dc), the shared
# data_dir and a [cluster] table.
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
    sed -e "s#^listen = .*#listen = [\"127.0.0.1:$port\"]#" -e '/^tls_listen = /d' \
        -e "s#^public_url = .*#public_url = \"http://127.0.0.1:$port\"#" \
        -e "s#^data_dir = .*#data_dir = \"$TMP/ghc/data\"#" "$TMP/gh/gatehouse.toml" >"$TMP/ghc/node$n.toml"
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
  wait_port "$PORT_N1" || { cat "$TMP/ghc/node1.log" >&2; return 1; }
  wait_port "$PORT_N2" || { cat "$TMP/ghc/node2.log" >&2; return 1; }
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

declare -A URL URL2 HDR PROCS TOOL
# load NAME SECS [EXTRA...]: one load run of case NAME with its tool, output on stdout.
#   wrk    wrk -t1 -cCONNS, keep-alive
#   split  two wrk at once, half the connections each: one to URL, one to URL2
#          (the two nodes of Dc); both wrk reports on stdout, URL's first
#   close  the same with `Connection: close`: every request on a new connection
#   h2     h2load -t1 -cCONNS -m10 (HTTP/2 over TLS, ALPN h2), per-request log in $H2LOG
load() {
  local name=$1 secs=$2
  shift 2
  local -a hdr=()
  [ -n "${HDR[$name]}" ] && hdr=(-H "${HDR[$name]}")
  case "${TOOL[$name]:-wrk}" in
    wrk) "${WRK_PIN[@]}" "$WRK" -t1 -c"$CONNS" -d"${secs}s" --latency "${hdr[@]}" "$@" "${URL[$name]}" 2>&1 ;;
    split)
      local half=$((CONNS / 2 > 0 ? CONNS / 2 : 1)) second
      "${WRK_PIN[@]}" "$WRK" -t1 -c"$half" -d"${secs}s" --latency "${hdr[@]}" "$@" "${URL2[$name]}" \
        >"$TMP/load-$name-second.txt" 2>&1 &
      second=$!
      "${WRK_PIN[@]}" "$WRK" -t1 -c$((CONNS - half > 0 ? CONNS - half : 1)) -d"${secs}s" --latency \
        "${hdr[@]}" "$@" "${URL[$name]}" 2>&1 || true
      wait "$second" || true
      cat "$TMP/load-$name-second.txt"
      ;;
    close) "${WRK_PIN[@]}" "$WRK" -t1 -c"$CONNS" -d"${secs}s" --latency "${hdr[@]}" \
      -H "Connection: close" "$@" "${URL[$name]}" 2>&1 ;;
    h2) "${WRK_PIN[@]}" "$H2LOAD" -t1 -c"$CONNS" -m10 -D"$secs" "${hdr[@]}" \
      --log-file="${H2LOG:-/dev/null}" "$@" "${URL[$name]}" 2>&1 ;;
  esac
}

# Percentile row P ("50%", "99%") of one or more wrk reports in $1, in ms:
# the largest when there are several (split load), "nan" when there is none.
wrk_pct() {
  local v
  awk -v p="$2" '$1 == p {print $2}' <<<"$1" | while read -r v; do to_ms "$v"; echo; done \
    | sort -g | tail -1 | grep . || echo nan
}

# Percentile P (0-100) of h2load's per-request log (3rd column, µs) in ms.
h2_pct() {
  cut -f3 "$1" | sort -n | awk -v p="$2" '{v[NR] = $1}
    END { if (NR == 0) print "nan"; else { i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; printf "%.3f", v[i] / 1000 } }'
}

# run_case NAME ROUND: one load run; appends "case round rps p50 p99 errors non2xx cpu_us" to $TMP/runs.
run_case() {
  local name=$1 round=$2 out before after rps p50 p99 errs non2xx reqs cpu
  # shellcheck disable=SC2086
  before=$(cpu_ticks ${PROCS[$name]})
  local H2LOG="$TMP/h2-$name.log"
  out=$(load "$name" "$DURATION")
  # shellcheck disable=SC2086
  after=$(cpu_ticks ${PROCS[$name]})
  printf '%s\n' "$out" >"$TMP/load-$name-$round.txt"
  if [ "${TOOL[$name]:-wrk}" = h2 ]; then
    rps=$(awk '/^finished in/ {gsub(",", ""); print $4}' <<<"$out")
    reqs=$(awk '/^requests:/ {print $8}' <<<"$out")
    p50=$(h2_pct "$TMP/h2-$name.log" 50)
    p99=$(h2_pct "$TMP/h2-$name.log" 99)
    errs=$(awk '/^requests:/ {print $10 + $12 + $14}' <<<"$out")
    non2xx=$(awk '/^status codes:/ {print $7 + $9}' <<<"$out")
  else
    # One wrk report, or two (split: one per node): req/s, requests, errors
    # and non-2xx summed, p50/p99 the larger of the two (the slower node's).
    rps=$(awk '/^Requests\/sec:/ {s += $2; n++} END {if (n) printf "%.2f", s}' <<<"$out")
    reqs=$(awk '/requests in/ {s += $1; n++} END {if (n) print s}' <<<"$out")
    p50=$(wrk_pct "$out" 50%)
    p99=$(wrk_pct "$out" 99%)
    errs=$(awk '/Socket errors:/ {gsub(",", ""); s += $4 + $6 + $8 + $10} END {print s + 0}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {s += $NF} END {print s + 0}' <<<"$out")
  fi
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

# ---------------------------------------------------------------- idle connections
# VmRSS of a process and its child processes (nginx: master + workers), kB.
tree_rss_kb() {
  local total=0 pid
  for pid in $(pgrep -P "$1" 2>/dev/null) "$1"; do
    [ -r "/proc/$pid/status" ] || continue
    total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")))
  done
  echo "$total"
}

# idle_case LABEL SERVER_PID PORT TLS(0|1) BUSY_CASE [HEADER]: a busy wrk run of
# BUSY_CASE alone, then $IDLE keep-alive connections opened to PORT (one
# request each, then silent), RSS before/after, the same busy run beside them.
# Appends "label n rss0 rss1 rss2 rps0 p99_0 rps1 p99_1 open_after" to $TMP/idle.
idle_case() {
  local label=$1 pid=$2 port=$3 tls=$4 busy=$5 header=${6:-} out0 out1 rss0 rss1 rss2 ready opened
  local -a args=(127.0.0.1 "$port" "$IDLE")
  [ "$tls" = 1 ] && args+=(--tls)
  [ -n "$header" ] && args+=(--header "$header")
  [ -n "${IDLE_CONCURRENCY:-}" ] && args+=(--concurrency "$IDLE_CONCURRENCY")
  # The busy runs are at most 3 s (alone and beside the idle ones alike), to keep a full run short.
  local busy_secs=$((DURATION < 3 ? DURATION : 3))
  out0=$(load "$busy" "$busy_secs")
  sleep 1
  rss0=$(tree_rss_kb "$pid")
  coproc IDLER { exec python3 "$ROOT/scripts/bench/idle_conns.py" "${args[@]}"; }
  local idler_pid=$IDLER_PID
  ready=""
  read -r -t 180 ready <&"${IDLER[0]}" || true
  sleep 2
  rss1=$(tree_rss_kb "$pid")
  out1=$(load "$busy" "$busy_secs")
  rss2=$(tree_rss_kb "$pid")
  exec {IDLER[1]}>&-
  opened=""
  read -r -t 60 opened <&"${IDLER[0]}" || true
  wait "$idler_pid" 2>/dev/null || true
  local rps0 rps1 p99_0 p99_1
  rps0=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out0")
  rps1=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out1")
  p99_0=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out0")")
  p99_1=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out1")")
  echo "$label ${ready#ready } $rss0 $rss1 $rss2 $rps0 $p99_0 $rps1 $p99_1 ${opened#open }" >>"$TMP/idle"
  log "idle $label: ${ready#ready } connections; RSS ${rss0} -> ${rss1} kB (+$(( (rss1 - rss0) / 1024 )) MiB, $(( (rss1 - rss0) * 1024 / ${IDLE} )) B each), after busy run ${rss2} kB; busy $busy ${rps0} -> ${rps1} req/s, p99 ${p99_0} -> ${p99_1} ms; still open: ${opened#open }"
}

idle_describe() {
  case "$1" in
    gh) echo "Gatehouse, plain HTTP/1.1 (idle after one request to the D route)" ;;
    ghs) echo "Gatehouse, TLS + HTTP/1.1 (idle after one request to the D route)" ;;
    nginx) echo "nginx proxy (master + workers), plain HTTP/1.1 (idle after one request to C)" ;;
    nginxs) echo "nginx proxy (master + workers), TLS + HTTP/1.1 (idle after one request to C)" ;;
  esac
}

idle_bench() {
  : >"$TMP/idle"
  idle_case gh "$GH_PID" "$PORT_GH" 0 D "$COOKIE"
  if [ "$QUICK" = 0 ]; then
    idle_case ghs "$GH_PID" "$PORT_GHS" 1 Dt "$COOKIE"
    idle_case nginx "$PX_PID" "$PORT_C" 0 C
    idle_case nginxs "$PX_PID" "$PORT_CT" 1 Ct
  fi
  IDLE_TABLE="| server | idle connections | RSS before | RSS with them idle | per idle connection | busy wrk alone: req/s, p99 ms | beside the idle ones: req/s, p99 ms | idle still open after |
|---|---|---|---|---|---|---|---|"
  local label n r0 r1 r2 a0 p0 a1 p1 op
  while read -r label n r0 r1 r2 a0 p0 a1 p1 op; do
    IDLE_TABLE+=$'\n'"$(printf '| %s | %s | %.1f MiB | %.1f MiB | %s | %.0f, %s | %.0f, %s | %s |' \
      "$(idle_describe "$label")" "$n" "$(awk -v k="$r0" 'BEGIN {print k / 1024}')" \
      "$(awk -v k="$r1" 'BEGIN {print k / 1024}')" \
      "$(awk -v a="$r0" -v b="$r1" -v n="$n" 'BEGIN { if (n > 0) printf "%.1f KiB", (b - a) / n; else print "nan" }')" \
      "$a0" "$p0" "$a1" "$p1" "$op")"
  done <"$TMP/idle"
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
read -r PORT_UP PORT_AUTH PORT_B PORT_C PORT_CP PORT_GH PORT_CT PORT_GHS PORT_F PORT_FS \
  <<<"$(free_ports 10)"
read -r PORT_N1 PORT_N2 PORT_REDIS <<<"$(free_ports 3)"
make_cert
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
CADDY_PID=""
[ "$HAVE_CADDY" = 1 ] && start_caddy
for p in "$PORT_UP" "$PORT_AUTH" "$PORT_B" "$PORT_C" "$PORT_CP" "$PORT_CT" "$PORT_GHS"; do wait_port "$p"; done
if [ "$HAVE_CADDY" = 1 ]; then
  wait_port "$PORT_F" || { cat "$TMP/caddy/caddy.log" >&2; exit 1; }
  wait_port "$PORT_FS"
fi

TOKEN=$(login)
[ -n "$TOKEN" ] || { echo "bench.sh: login failed" >&2; cat "$TMP/gh/gatehouse.log" >&2; exit 1; }
COOKIE="Cookie: gatehouse_session=$TOKEN"
BAD="Cookie: gatehouse_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

H=127.0.0.1
URL[A]=http://$H:$PORT_UP/;   HDR[A]="";         PROCS[A]="$UP_PID"
URL[B]=http://$H:$PORT_B/;    HDR[B]="";         PROCS[B]="$UP_PID $PX_PID"
URL[C]=http://$H:$PORT_C/;    HDR[C]="";         PROCS[C]="$UP_PID $PX_PID"
URL[Cp]=http://$H:$PORT_CP/;  HDR[Cp]="$COOKIE"; PROCS[Cp]="$UP_PID $PX_PID $GH_PID"
URL[D]=http://$H:$PORT_GH/;   HDR[D]="$COOKIE";  PROCS[D]="$UP_PID $GH_PID"
URL[E]=http://$H:$PORT_GH/;   HDR[E]="$BAD";     PROCS[E]="$UP_PID $GH_PID"
URL[P]=http://$H:$PORT_GH/public/; HDR[P]="";    PROCS[P]="$UP_PID $GH_PID"
URL[F]=http://$H:$PORT_F/;    HDR[F]="";         PROCS[F]="$UP_PID $CADDY_PID"
# Dc: the cookie and the node/Redis pids are filled in once the cluster runs.
URL[Dc]=http://$H:$PORT_N1/;  URL2[Dc]=http://$H:$PORT_N2/; TOOL[Dc]=split
for t in t n h; do
  URL[C$t]=https://$H:$PORT_CT/;  HDR[C$t]="";        PROCS[C$t]="$UP_PID $PX_PID"
  URL[D$t]=https://$H:$PORT_GHS/; HDR[D$t]="$COOKIE"; PROCS[D$t]="$UP_PID $GH_PID"
  URL[F$t]=https://$H:$PORT_FS/;  HDR[F$t]="";        PROCS[F$t]="$UP_PID $CADDY_PID"
  case $t in t) tool=wrk ;; n) tool=close ;; h) tool=h2 ;; esac
  TOOL[C$t]=$tool TOOL[D$t]=$tool TOOL[F$t]=$tool
done
# Cp = C′; Dc = D-cluster (only with redis-server); P = diagnostic.
# Interleaved in this order in every round.
ALL_CASES=(A B C Cp D)
[ "$HAVE_REDIS" = 1 ] && ALL_CASES+=(Dc)
ALL_CASES+=(E P F Ct Dt Ft Cn Dn Fn Ch Dh Fh)
CASES=()
for c in ${ONLY_CASES:-${ALL_CASES[*]}}; do
  [ -n "${URL[$c]:-}" ] || { echo "bench.sh: unknown case $c" >&2; exit 2; }
  case $c in F*) [ "$HAVE_CADDY" = 1 ] || continue ;; esac
  case $c in ?h) [ "$HAVE_H2LOAD" = 1 ] || continue ;; esac
  case $c in Dc) [ "$HAVE_REDIS" = 1 ] || continue ;; esac
  CASES+=("$c")
done
HAVE_DC=0
for c in "${CASES[@]}"; do [ "$c" = Dc ] && HAVE_DC=1; done
if [ "$HAVE_DC" = 1 ]; then
  start_cluster
  # Signed in on node 1; node 2 finds the session in the shared store once.
  TOKEN_C=$(login "$PORT_N1")
  [ -n "$TOKEN_C" ] || { echo "bench.sh: cluster login failed" >&2; cat "$TMP/ghc/node1.log" >&2; exit 1; }
  HDR[Dc]="Cookie: gatehouse_session=$TOKEN_C"; PROCS[Dc]="$UP_PID $N1_PID $N2_PID $REDIS_PID"
fi

# Each case does what it claims: the identity reaches the upstream, E is a
# 401, the TLS servers speak HTTP/2 by ALPN.
whoami() { curl -sk ${2:+-H "$2"} "$1whoami"; }
check_equals "A body" "ok" "$(curl -s "${URL[A]}")"
check_equals "B body" "ok" "$(curl -s "${URL[B]}")"
check_equals "C identity" "bench" "$(whoami "${URL[C]}")"
check_equals "C' identity" "bench" "$(whoami "${URL[Cp]}" "$COOKIE")"
check_equals "C' without cookie" "401" "$(curl -s -o /dev/null -w '%{http_code}' "${URL[Cp]}")"
check_equals "D identity" "bench" "$(whoami "${URL[D]}" "$COOKIE")"
check_equals "D spoofed identity" "bench" \
  "$(curl -s -H "$COOKIE" -H 'X-WEBAUTH-USER: admin' "${URL[D]}whoami")"
check_equals "E status" "401" "$(curl -s -o /dev/null -w '%{http_code}' -H "$BAD" "${URL[E]}")"
check_equals "P body" "ok" "$(curl -s "${URL[P]}")"
check_equals "Ct identity" "bench" "$(whoami "${URL[Ct]}")"
check_equals "Dt identity" "bench" "$(whoami "${URL[Dt]}" "$COOKIE")"
check_equals "Ch HTTP version" "2" "$(curl -sk --http2 -o /dev/null -w '%{http_version}' "${URL[Ch]}")"
check_equals "Dh HTTP version" "2" \
  "$(curl -sk --http2 -H "$COOKIE" -o /dev/null -w '%{http_version}' "${URL[Dh]}")"
check_equals "Dh without cookie" "401" "$(curl -sk --http2 -o /dev/null -w '%{http_code}' "${URL[Dh]}")"
if [ "$HAVE_CADDY" = 1 ]; then
  check_equals "F identity" "bench" "$(whoami "${URL[F]}")"
  check_equals "Ft identity" "bench" "$(whoami "${URL[Ft]}")"
  check_equals "Fh HTTP version" "2" "$(curl -sk --http2 -o /dev/null -w '%{http_version}' "${URL[Fh]}")"
fi
if [ "$HAVE_DC" = 1 ]; then
  check_equals "D-cluster identity (node 1)" "bench" "$(whoami "${URL[Dc]}" "${HDR[Dc]}")"
  check_equals "D-cluster identity (node 2)" "bench" "$(whoami "${URL2[Dc]}" "${HDR[Dc]}")"
  check_equals "D-cluster spoofed identity (node 2)" "bench" \
    "$(curl -s -H "${HDR[Dc]}" -H 'X-WEBAUTH-USER: admin' "${URL2[Dc]}whoami")"
fi
# What each TLS server negotiates with OpenSSL's client (the one wrk and h2load use).
tls_params() {
  openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null \
    | awk '/^New, / {sub(/^New, /, ""); sub(/, Cipher is /, " "); p = $0}
           /^Server Temp Key:/ {sub(/^Server Temp Key: /, ""); k = $0}
           /^Peer signature type:/ {sub(/^Peer signature type: /, ""); s = $0}
           END {print p ", key exchange " k ", signature " s}'
}
TLS_NGINX=$(tls_params "$PORT_CT")
TLS_GH=$(tls_params "$PORT_GHS")
TLS_CADDY=""
[ "$HAVE_CADDY" = 1 ] && TLS_CADDY=$(tls_params "$PORT_FS")
log "TLS: nginx $TLS_NGINX; gateway $TLS_GH${TLS_CADDY:+; caddy $TLS_CADDY}"

if [ "$SERVE" = 1 ]; then
  # For manual experiments: everything stays up until this script is stopped.
  # NAME|URL|HEADER|PIDS per line: the input of scripts/bench/wrk_cases.sh.
  # Dc: node 1's URL (node 2's is printed in the log line).
  for c in "${CASES[@]}"; do echo "$c|${URL[$c]}|${HDR[$c]}|${PROCS[$c]}"; done >"$TMP/cases"
  cat "$TMP/cases"
  log "cases in $TMP/cases; upstream $UP_PID, nginx proxy $PX_PID, gateway $GH_PID, caddy ${CADDY_PID:-none}$( [ "$HAVE_DC" = 1 ] && echo "; cluster nodes $N1_PID ${URL[Dc]}, $N2_PID ${URL2[Dc]}, redis $REDIS_PID")"
  log "serving; stop with kill $$"
  while :; do sleep 3600 & wait $!; done  # wait: the EXIT trap runs at once
fi
if [ -n "$PROFILE" ]; then
  # perf (software cpu-clock sampling: works without hardware counters)
  # on the gateway during one run of $PROFILE_CASE; flat profile + callers to $PROFILE.
  command -v perf >/dev/null 2>&1 || { echo "bench.sh: perf not found (apt-get install linux-perf)" >&2; exit 1; }
  [ -n "${URL[$PROFILE_CASE]:-}" ] || { echo "bench.sh: unknown case $PROFILE_CASE" >&2; exit 2; }
  [ "$PROFILE_CASE" != Dc ] || { echo "bench.sh: --profile does not take Dc (two gateway processes)" >&2; exit 2; }
  load "$PROFILE_CASE" 2 >/dev/null
  perf record -q -e cpu-clock -F 499 --call-graph dwarf,8192 -p "$GH_PID" -o "$TMP/perf.data" \
    -- sleep "$DURATION" >/dev/null 2>&1 &
  PERF_PID=$!
  load "$PROFILE_CASE" "$DURATION" | tee "$TMP/load-profile.txt" >&2
  wait "$PERF_PID" || true
  # perf's text report, without its padding and empty IPC columns.
  tidy() { grep -v '^#' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' | grep -v '^$' || true; }
  {
    echo "# perf: gateway during case $PROFILE_CASE (threads = $THREADS, RUST_LOG=$GH_LOG, ${DURATION}s)"
    grep -E 'Requests/sec|Latency|99%|^finished in|^requests:' "$TMP/load-profile.txt" || true
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

IDLE_TABLE=""
if [ "$IDLE_ONLY" = 1 ]; then
  idle_bench
  echo
  echo "$IDLE_TABLE"
  exit 0
fi

log "checks passed; $ROUNDS round(s) of ${DURATION}s per case (${CASES[*]}), wrk/h2load -t1 -c$CONNS pinned to CPU ${WRK_CPU}, gateway threads = $THREADS"

# Warm-up (connection pools, page faults), not recorded.
for c in "${CASES[@]}"; do load "$c" 1 >/dev/null; done
: >"$TMP/runs"
for r in $(seq 1 "$ROUNDS"); do
  for c in "${CASES[@]}"; do run_case "$c" "$r"; done
done
RSS_AFTER=$(rss_kb "$GH_PID")
ACCESS_LINES=$(grep -c 'gatehouse::access' "$TMP/gh/gatehouse.log" || true)
NGINX_LINES=$(cat "$TMP"/px/access.log 2>/dev/null | wc -l)
CADDY_LINES=$(cat "$TMP"/caddy/access.log 2>/dev/null | wc -l)
CLUSTER_LINES=""
if [ "$HAVE_DC" = 1 ]; then
  CLUSTER_LINES="; D-cluster node 1 $(grep -c 'gatehouse::access' "$TMP/ghc/node1.log" || true), node 2 $(grep -c 'gatehouse::access' "$TMP/ghc/node2.log" || true)"
fi

# Summary: medians over rounds.
declare -A RPS P99 CPU
TABLE="| case | server | transport | tool | req/s (median) | req/s min–max | p50 ms | p99 ms | socket errors | non-2xx | server CPU µs/req |
|---|---|---|---|---|---|---|---|---|---|---|"
describe() {
  case "$1" in
    A) echo "upstream nginx directly (the limit)" ;;
    B) echo "nginx proxy_pass, upstream keep-alive, no auth" ;;
    Cp) echo "nginx auth_request → Gatehouse /api/v2/auth/4" ;;
    C*) echo "nginx auth_request → nginx 204 + auth_request_set" ;;
    Dc) echo "Gatehouse ×2 nodes, [cluster] redis, shared store: D's route, load split" ;;
    D*) echo "Gatehouse auth=user, identity header, access log" ;;
    E) echo "Gatehouse, invalid cookie (401)" ;;
    P) echo "Gatehouse, public route (no auth): diagnostic" ;;
    F*) echo "Caddy forward_auth → nginx 204 + copy_headers, reverse_proxy" ;;
  esac
}
transport() {
  case "$1" in
    ?t) echo "TLS, HTTP/1.1 keep-alive" ;;
    ?n) echo "TLS, new connection per request" ;;
    ?h) echo "TLS, HTTP/2" ;;
    *) echo "HTTP/1.1 keep-alive" ;;
  esac
}
toolname() {
  case "${TOOL[$1]:-wrk}" in
    wrk) echo "wrk -c$CONNS" ;;
    close) echo "wrk -c$CONNS, Connection: close" ;;
    h2) echo "h2load -c$CONNS -m10" ;;
    split) echo "2 × wrk -c$((CONNS / 2)), one per node" ;;
  esac
}
name() { case "$1" in Cp) echo "C′" ;; Dc) echo "D-cluster" ;; *) echo "$1" ;; esac; }
for c in "${CASES[@]}"; do
  RPS[$c]=$(col "$c" 3 | median)
  lo=$(col "$c" 3 | sort -g | head -1); hi=$(col "$c" 3 | sort -g | tail -1)
  p50=$(col "$c" 4 | median); P99[$c]=$(col "$c" 5 | median)
  errs=$(col "$c" 6 | awk '{s += $1} END {print s}')
  non=$(col "$c" 7 | awk '{s += $1} END {print s}')
  cpu=$(col "$c" 8 | median); CPU[$c]=$cpu
  TABLE+=$'\n'"$(printf '| %s | %s | %s | %s | %.0f | %.0f–%.0f | %s | %s | %s | %s | %s |' \
    "$(name "$c")" "$(describe "$c")" "$(transport "$c")" "$(toolname "$c")" "${RPS[$c]}" "$lo" "$hi" \
    "$p50" "${P99[$c]}" "$errs" "$non" "$cpu")"
done
# quotient ARRAY A B: ARRAY[A] / ARRAY[B] to two decimals ("n/a" when either is missing).
quotient() {
  local -n q=$1
  [ -n "${q[$2]:-}" ] && [ -n "${q[$3]:-}" ] || { echo "n/a"; return; }
  awk -v a="${q[$2]}" -v b="${q[$3]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'
}
ratio() { quotient RPS "$1" "$2"; }
# Per-round ratio a/b, "0.98 1.02 …" (same round = same machine state).
round_ratios() {
  join <(awk -v c="$1" '$1 == c {print $2, $3}' "$TMP/runs" | sort) \
       <(awk -v c="$2" '$1 == c {print $2, $3}' "$TMP/runs" | sort) 2>/dev/null \
    | sort -n | awk '{ if ($3 > 0) printf "%s%.2f", (NR > 1 ? " " : ""), $2 / $3 }'
}
p99_cmp() {
  [ -n "${P99[$1]:-}" ] && [ -n "${P99[$2]:-}" ] || { echo "n/a"; return; }
  awk -v a="${P99[$1]}" -v b="${P99[$2]}" 'BEGIN { printf "%s vs %s ms", a, b }'
}
RATIOS="| ratio | median | per round | p99 (first vs second) |
|---|---|---|---|"
for pair in D/A D/B D/C D/Cp Dc/D E/D P/B D/P D/F Dt/Ct Dn/Cn Dh/Ch Dt/Ft Dn/Fn Dh/Fh Dt/D Dh/Dt; do
  a=${pair%/*} b=${pair#*/}
  [ -n "${RPS[$a]:-}" ] && [ -n "${RPS[$b]:-}" ] || continue
  RATIOS+=$'\n'"| $(name "$a")/$(name "$b") | $(ratio "$a" "$b") | $(round_ratios "$a" "$b") | $(p99_cmp "$a" "$b") |"
done
# Issue 17's targets, judged on this run's medians.
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { if (v == "n/a" || v == "nan") print "not measured"; else if (v + 0 >= t + 0) print "reached"; else print "not reached" }'; }
p99_verdict() {
  [ -n "${P99[$1]:-}" ] && [ -n "${P99[$2]:-}" ] || { echo "not measured"; return; }
  awk -v a="${P99[$1]}" -v b="${P99[$2]}" 'BEGIN { if (a + 0 <= b + 0) print "reached"; else print "not reached" }'
}
TARGETS="| target (issue 17) | this run | |
|---|---|---|
| D/C ≥ 1.2 (both logging) | $(ratio D C) | $(verdict "$(ratio D C)" 1.2) |
| TLS keep-alive Dt/Ct ≥ 1.1 | $(ratio Dt Ct) | $(verdict "$(ratio Dt Ct)" 1.1) |
| HTTP/2 Dh/Ch ≥ 1.3 | $(ratio Dh Ch) | $(verdict "$(ratio Dh Ch)" 1.3) |
| new-connection TLS Dn/Cn ≥ 0.9 | $(ratio Dn Cn) | $(verdict "$(ratio Dn Cn)" 0.9) |
| D/B ≥ 0.75 (stretch 1.0) | $(ratio D B) | $(verdict "$(ratio D B)" 0.75) |
| p99 D ≤ p99 C | $(p99_cmp D C) | $(p99_verdict D C) |
| p99 Dt ≤ p99 Ct | $(p99_cmp Dt Ct) | $(p99_verdict Dt Ct) |
| p99 Dn ≤ p99 Cn | $(p99_cmp Dn Cn) | $(p99_verdict Dn Cn) |
| p99 Dh ≤ p99 Ch | $(p99_cmp Dh Ch) | $(p99_verdict Dh Ch) |
| 401 path E/D ≥ 2 | $(ratio E D) | $(verdict "$(ratio E D)" 2) |"
# The 401 target is judged on req/s, which the load generator can bound
# (wrk shares its CPU with the servers); the servers' own CPU per request
# shows what each path costs whatever bounds the req/s.
if [ -n "${CPU[D]:-}" ] && [ -n "${CPU[E]:-}" ]; then
  TARGETS+=$'\n\n'"Not a target, beside the 401 row: the servers' CPU per request (D: the gateway and its upstream nginx; E: the gateway alone, which answers itself) is D ${CPU[D]} µs and E ${CPU[E]} µs, D/E = $(quotient CPU D E); E's req/s can be bound by the load generator's CPU rather than the servers'."
fi
if [ "$ROUNDS" -lt 3 ]; then
  TARGETS+=$'\n\n'"Judged on $ROUNDS round(s) only: not conclusive (the targets are meant for medians of a full run)."
fi

echo
echo "$TABLE"
echo
echo "$RATIOS"
echo
echo "$TARGETS"
echo
echo "server CPU = user+system time of the server processes involved (upstream nginx, proxy nginx or Caddy, gateway; D-cluster: both nodes and Redis) per request."
echo "access-log lines written: gateway $ACCESS_LINES, nginx proxy $NGINX_LINES, Caddy $CADDY_LINES$CLUSTER_LINES; gateway VmRSS after the runs: ${RSS_AFTER} kB"

if [ -z "$ONLY_CASES" ]; then
  idle_bench
  echo
  echo "$IDLE_TABLE"
fi

MEM_TABLE=""
if [ "$QUICK" = 0 ] && [ -z "$ONLY_CASES" ]; then
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
  echo "Gateway binary: ${BENCH_SOURCE:-built from $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet -- src vendor Cargo.toml 2>/dev/null || echo ' with uncommitted changes in src/ or vendor/')} (\`cargo build --release\`: LTO fat, 1 codegen unit, mimalloc)."
  echo "Method and analysis: [README.md](README.md)."
  echo
  echo "## Machine"
  echo
  echo "- CPU: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), \`nproc\` = $NCPU; load average before the run: $LOAD_BEFORE"
  echo "- Kernel: $(uname -sr); memory $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "- $("$NGINX" -v 2>&1); $("$WRK" -v 2>&1 | head -1 | cut -d' ' -f1-2); $( [ "$HAVE_H2LOAD" = 1 ] && "$H2LOAD" --version 2>&1 | head -1); $( [ "$HAVE_CADDY" = 1 ] && echo "Caddy $("$CADDY" version 2>&1 | cut -d' ' -f1)"); $(openssl version | cut -d' ' -f1-2); $(rustc -V)"
  echo
  echo "## Throughput and latency"
  echo
  echo "$ROUNDS rounds, cases interleaved ${CASES[*]} in each round (Cp = C′, Dc = D-cluster), ${DURATION} s per run; medians over rounds."
  echo "Gateway \`threads = $THREADS\`, proxy nginx \`worker_processes $THREADS\`, Caddy \`GOMAXPROCS=$THREADS\`, upstream nginx 1 worker."
  echo "The load generator runs on CPU $WRK_CPU (taskset); the servers share both CPUs."
  echo
  echo "$TABLE"
  echo
  echo "$RATIOS"
  echo
  echo "### Targets"
  echo
  echo "$TARGETS"
  echo
  echo "### How the cases are made equal"
  echo
  echo "- **Logging**: every server logs every request. nginx: \`access_log … combined buffer=32k flush=100ms\`"
  echo "  ($NGINX_LINES lines); the gateway: its access log (\`RUST_LOG=$GH_LOG\`), buffered per worker, 32 KiB or"
  echo "  100 ms ($ACCESS_LINES lines${CLUSTER_LINES:+; D-cluster nodes: ${CLUSTER_LINES#; D-cluster }}); Caddy: its JSON access log to a file ($CADDY_LINES lines), which Caddy 2.6 cannot buffer"
  echo "  (one \`write\` per request: Caddy pays more for its log than the others)."
  echo "- **TLS**: one ECDSA P-256 certificate (made by the script with openssl) for all three servers; TLS 1.2"
  echo "  and 1.3 offered, the client's cipher order; what each negotiates with OpenSSL's client"
  echo "  (\`openssl s_client\`, the library wrk and h2load use):"
  echo "  nginx: $TLS_NGINX; Gatehouse (rustls): $TLS_GH${TLS_CADDY:+; Caddy: $TLS_CADDY}."
  echo "- **New connection per request** (Cn, Dn, Fn): \`wrk -H 'Connection: close'\`; the server closes after"
  echo "  each response and wrk opens a new TCP connection with a full TLS handshake (wrk keeps no session"
  echo "  to resume), so req/s measures handshakes + one request. wrk's latency of these cases is"
  echo "  from the request's first byte on (the handshake is not in it)."
  echo "- **HTTP/2** (Ch, Dh, Fh): \`h2load -t1 -c$CONNS -m10 -D$DURATION\` (ALPN h2, 10 streams per connection);"
  echo "  p50/p99 from h2load's per-request log (\`--log-file\`)."
  if [ "$HAVE_DC" = 1 ]; then
    echo "- **D-cluster** (Dc): two gateway processes with the gateway's configuration, each on its own port,"
    echo "  \`[cluster] redis\` on one \`redis-server\` (\`--save \"\" --appendonly no\`) and one shared \`data_dir\`;"
    echo "  signed in on node 1 (node 2 looks the session up in the store once). Two wrk at once,"
    echo "  $((CONNS / 2)) connections each, one per node, on the same CPU as every other load run: req/s summed,"
    echo "  p50/p99 the slower node's; server CPU = upstream + both nodes + Redis."
  fi
  echo "- Keep-alive: nginx and the gateway \`keepalive_timeout 300s\`, \`keepalive_requests 100000000\`;"
  echo "  upstream keep-alive: nginx \`keepalive 128\`, Caddy \`keepalive_idle_conns_per_host 128\`, the gateway's pool."
  echo
  echo "Server CPU = user + system time of the server processes involved in the case (upstream nginx,"
  echo "proxy nginx or Caddy, gateway), per request."
  echo
  # --out with --cases or --quick: the idle / memory sections only when they ran.
  if [ -n "$IDLE_TABLE" ]; then
    echo "## Idle keep-alive connections"
    echo
    echo "\`scripts/bench/idle_conns.py\` opens $IDLE connections, sends one request on each, reads the"
    echo "response and leaves the connection open and silent. VmRSS (\`/proc/PID/status\`; nginx: master +"
    echo "workers) before, and 2 s after the last one went idle; the busy run is the case's own wrk run"
    echo "($((DURATION < 3 ? DURATION : 3)) s, $CONNS connections) once alone, once beside the idle connections."
    echo
    echo "$IDLE_TABLE"
  fi
  if [ -n "$MEM_TABLE" ]; then
    echo
    echo "## Memory"
    echo
    echo "The gateway's VmRSS (\`/proc/PID/status\`) 1 s after start, with the sessions inserted into"
    echo "the store beforehand (the gateway loads every live session into memory at start)."
    echo "Store file with $MEM_COUNT sessions: $MEM_DB_KB kB."
    echo
    echo "$MEM_TABLE"
  fi
  echo
  echo "## Commands"
  echo
  echo '```'
  echo "scripts/bench.sh $( [ "$THREADS" != 2 ] && echo "--threads $THREADS ")--rounds $ROUNDS --duration $DURATION"
  echo "${WRK_PIN[*]} $WRK -t1 -c$CONNS -d${DURATION}s --latency [-H 'Cookie: gatehouse_session=…'] [-H 'Connection: close'] http(s)://127.0.0.1:PORT/"
  echo "${WRK_PIN[*]} $H2LOAD -t1 -c$CONNS -m10 -D$DURATION [-H 'Cookie: …'] --log-file=F https://127.0.0.1:PORT/"
  echo "$NGINX -p TMP/up -c TMP/up/nginx.conf -g 'daemon off; master_process on;'   # upstream + auth backend"
  echo "$NGINX -p TMP/px -c TMP/px/nginx.conf -g 'daemon off; master_process on;'   # cases B, C, C′, Ct, Cn, Ch"
  echo "target/release/gatehouse -c TMP/gh/gatehouse.toml 2>gatehouse.log            # cases C′ (auth API), D, E, P, Dt, Dn, Dh"
  echo "GOMAXPROCS=$THREADS caddy run --config TMP/caddy/Caddyfile --adapter caddyfile    # cases F, Ft, Fn, Fh"
  if [ "$HAVE_DC" = 1 ]; then
    echo "redis-server --port PORT --bind 127.0.0.1 --save '' --appendonly no --dir TMP/ghc/redis   # case D-cluster"
    echo "target/release/gatehouse -c TMP/ghc/node1.toml; target/release/gatehouse -c TMP/ghc/node2.toml   # case D-cluster"
  fi
  echo "python3 scripts/bench/idle_conns.py 127.0.0.1 PORT $IDLE [--tls] [--header 'Cookie: …']"
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
  if [ "$HAVE_DC" = 1 ]; then
    echo
    echo '```toml'
    echo "# D-cluster node 1 (node 2: its own port, node_name = \"node2\")"
    sed "s#$TMP#TMP#g" "$TMP/ghc/node1.toml"
    echo '```'
  fi
  if [ "$HAVE_CADDY" = 1 ]; then
    echo
    echo '```'
    sed "s#$TMP#TMP#g" "$TMP/caddy/Caddyfile"
    echo '```'
  fi
  echo
  echo "</details>"
} >"$OUT"
log "wrote $OUT"
