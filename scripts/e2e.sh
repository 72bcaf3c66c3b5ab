#!/usr/bin/env bash
# End-to-end suite (issue 6): Gatehouse in front of real applications and a
# real browser, everything on 127.0.0.1.
#
#   Radicale (CalDAV, auth = http_x_remote_user)  behind /dav/  and /dav-open/ (guest)
#   calibre-web (reverse-proxy header login)       behind /calibre/ and /calibre-open/ (guest)
#   tests/e2e/upstream.py (HTML + WebSocket echo)   behind /app/ (user) and /plex/ (public, Plex SSO)
#   tests/e2e/fake_plex.py (plex.tv + app.plex.tv) as [plex] api_url / app_url
#   headless Debian Chromium driven by playwright-core (tests/e2e/browser.mjs)
#   passkeys with Chromium's virtual authenticator (tests/e2e/passkeys.mjs) on a third
#   gateway at http://localhost:PORT
#   the admin pages (tests/e2e/admin.mjs) on a fourth gateway with local users
#
# Installs what it needs on a fresh machine (idempotent): Python venvs under
# target/e2e/venv-*, playwright-core under target/e2e/node (no browser
# download), Debian's chromium via apt-get when /usr/bin/chromium is missing.
# Screenshots and logs go to target/e2e/ (logs of the last run: target/e2e/run/).
#
# Usage: scripts/e2e.sh            (from anywhere; builds target/debug/gatehouse)
# Env:   GATEHOUSE_BIN=path        use this binary instead of running `cargo build`
#        CHROMIUM=path             browser binary (default /usr/bin/chromium)
# Exits non-zero when any check fails; the last line is "N passed, M failed".
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
E2E=$ROOT/tests/e2e
OUT=$ROOT/target/e2e
RUN=$OUT/run
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PYTHON=${PYTHON:-python3}
RADICALE_VERSION=3.9.0
CALIBREWEB_VERSION=0.6.27
PLAYWRIGHT_VERSION=1.65.1
START=$(date +%s)

PASS=0
FAIL=0
PIDS=()

log() { printf '[e2e %3ss] %s\n' "$(($(date +%s) - START))" "$*"; }
pass() { PASS=$((PASS + 1)); echo "PASS: $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL: $1${2:+: $2}"; }
# check NAME DETAIL CONDITION... : runs the condition, records the result.
check() { local name=$1 detail=$2; shift 2; if "$@"; then pass "$name"; else fail "$name" "$detail"; fi; }

summary() {
  echo "e2e: $PASS passed, $FAIL failed ($(($(date +%s) - START)) s; logs in ${RUN#"$ROOT"/})"
  echo "$PASS passed, $FAIL failed"
}

die() { echo "e2e: $*" >&2; FAIL=$((FAIL + 1)); summary; exit 1; }

cleanup() {
  local pid n
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for ((n = 0; n < 50; n++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME DIR CMD... : runs CMD in DIR in its own process group (so cleanup
# also stops its children), output in $RUN/NAME.log; its pid in PID_<NAME>.
start() {
  local name=$1 dir=$2; shift 2
  (cd "$dir" && exec setsid "$@") >"$RUN/$name.log" 2>&1 </dev/null &
  PIDS+=("$!")
  printf -v "PID_${name//-/_}" '%s' "$!"
}

# wait_http NAME URL SECONDS : polls until URL answers any HTTP status.
wait_http() {
  local name=$1 url=$2 secs=$3 pidvar="PID_${1//-/_}" deadline=$(($(date +%s) + $3))
  while :; do
    if curl -s -o /dev/null --max-time 2 "$url"; then return 0; fi
    if ! kill -0 "${!pidvar}" 2>/dev/null; then
      echo "e2e: $name exited early; last log lines:" >&2; tail -n 20 "$RUN/$name.log" >&2; return 1
    fi
    if (($(date +%s) >= deadline)); then
      echo "e2e: $name not ready after ${secs}s at $url; last log lines:" >&2; tail -n 20 "$RUN/$name.log" >&2; return 1
    fi
    sleep 0.2
  done
}

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------- install
# apt_install PACKAGE... : Debian packages (root only).
apt_install() {
  [ "$(id -u)" = 0 ] || { echo "e2e: missing $*; install them (apt-get install $*) or run as root" >&2; return 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}
node_ok() { command -v npm >/dev/null && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; }
venv_ok() { "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; }
install_chromium() { [ -x "$CHROMIUM" ] || apt_install chromium; }
install_venv() { # NAME PACKAGE==VERSION EXECUTABLE
  local venv=$OUT/venv-$1 pkg=${2%%==*} version=${2##*==}
  [ -x "$venv/bin/$3" ] && "$venv/bin/python" -c \
    "import importlib.metadata as m, sys; sys.exit(m.version('$pkg') != '$version')" 2>/dev/null && return 0
  rm -rf "$venv" && "$PYTHON" -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check "$2"
}
install_node() {
  [ -f "$OUT/node/node_modules/playwright-core/package.json" ] &&
    grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$OUT/node/node_modules/playwright-core/package.json" && return 0
  mkdir -p "$OUT/node" && cd "$OUT/node" && { [ -f package.json ] || echo '{"name":"gatehouse-e2e","private":true}' >package.json; } &&
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund -s "playwright-core@$PLAYWRIGHT_VERSION"
}

mkdir -p "$OUT"
rm -rf "$RUN" && mkdir -p "$RUN"
NEED=()
venv_ok || NEED+=(python3-venv)
node_ok || NEED+=(nodejs npm)
if ((${#NEED[@]})); then # before anything that needs them; chromium in the same apt run
  [ -x "$CHROMIUM" ] || NEED+=(chromium)
  log "apt-get install ${NEED[*]}"
  apt_install "${NEED[@]}" >"$RUN/install-apt.log" 2>&1 || { tail -n 20 "$RUN/install-apt.log" >&2; die "apt-get install ${NEED[*]} failed"; }
  node_ok || die "playwright-core $PLAYWRIGHT_VERSION needs Node.js >= 20 with npm (found: $(node --version 2>/dev/null || echo none))"
fi
log "installing (idempotent): chromium, radicale $RADICALE_VERSION, calibreweb $CALIBREWEB_VERSION, playwright-core $PLAYWRIGHT_VERSION"
install_chromium >"$RUN/install-chromium.log" 2>&1 & I1=$!
install_venv radicale "radicale==$RADICALE_VERSION" radicale >"$RUN/install-radicale.log" 2>&1 & I2=$!
install_venv calibreweb "calibreweb==$CALIBREWEB_VERSION" cps >"$RUN/install-calibreweb.log" 2>&1 & I3=$!
install_node >"$RUN/install-node.log" 2>&1 & I4=$!
if [ -z "${GATEHOUSE_BIN:-}" ]; then
  (cd "$ROOT" && cargo build -q --bin gatehouse) || die "cargo build failed"
  GATEHOUSE_BIN=$ROOT/target/debug/gatehouse
fi
for job in "$I1:chromium" "$I2:radicale" "$I3:calibreweb" "$I4:node"; do
  wait "${job%%:*}" || { tail -n 20 "$RUN/install-${job#*:}.log" >&2; die "installing ${job#*:} failed"; }
done
[ -x "$GATEHOUSE_BIN" ] || die "no gateway binary at $GATEHOUSE_BIN"
# The apps start in their own directories: a relative path must not change meaning.
GATEHOUSE_BIN=$(cd "$(dirname "$GATEHOUSE_BIN")" && pwd)/$(basename "$GATEHOUSE_BIN")
log "installed"

# ---------------------------------------------------------------- start the apps
GW_PORT=$(free_port); SUB_PORT=$(free_port); RAD_PORT=$(free_port); CW_PORT=$(free_port); UP_PORT=$(free_port); PLEX_PORT=$(free_port)
GW=http://127.0.0.1:$GW_PORT
PLEX_URL=http://127.0.0.1:$PLEX_PORT
PLEX_USER=plexowner
PLEX_TOKEN=plexowner-token-e2e-$(date +%s%N | sha256sum | cut -c1-16)
MACHINE_ID=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
ALICE_PW=alice-e2e-$RANDOM$RANDOM
BOB_PW=bob-e2e-$RANDOM$RANDOM

# calibre-web: settings DB created by a password reset (no server start), then configured.
CW=$RUN/calibre
mkdir -p "$CW/config"
"$PYTHON" "$E2E/calibre_library.py" "$CW/library" || die "calibre library not created"
(cd "$CW" && "$OUT/venv-calibreweb/bin/cps" -p "$CW/config/app.db" -s "admin:Adm1n-E2e-$RANDOM$RANDOM") \
  >"$RUN/calibre-init.log" 2>&1 || die "calibre-web app.db not created (see $RUN/calibre-init.log)"
"$OUT/venv-calibreweb/bin/python" "$E2E/calibre_configure.py" "$CW/config/app.db" "$CW/library" X-WEBAUTH-USER \
  "alice:$ALICE_PW" "bob:$BOB_PW" || die "calibre-web not configured"
sqlite3_set_port="import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('UPDATE settings SET config_port=?', (int(sys.argv[2]),)); c.commit()"
"$PYTHON" -c "$sqlite3_set_port" "$CW/config/app.db" "$CW_PORT" || die "calibre-web port not set"
start calibre-web "$CW" "$OUT/venv-calibreweb/bin/cps" -p "$CW/config/app.db" -i 127.0.0.1 -o "$CW/config/cw.log"

# Radicale: the user comes from X-Remote-User, each user sees only their own collections.
mkdir -p "$RUN/radicale/collections"
cat >"$RUN/radicale/config" <<CONF
[server]
hosts = 127.0.0.1:$RAD_PORT
[auth]
type = http_x_remote_user
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = $RUN/radicale/collections
[web]
type = none
[logging]
level = info
CONF
start radicale "$RUN" "$OUT/venv-radicale/bin/radicale" --config "$RUN/radicale/config"
start upstream "$RUN" "$PYTHON" "$E2E/upstream.py" "$UP_PORT"
start fake-plex "$RUN" "$PYTHON" "$E2E/fake_plex.py" "$PLEX_PORT" "$PLEX_USER" "$PLEX_TOKEN" "$MACHINE_ID"

# Gatehouse
CONF=$RUN/gatehouse.toml
cat >"$CONF" <<CONF
[server]
listen = ["127.0.0.1:$GW_PORT"]
public_url = "$GW"
data_dir = "$RUN/gatehouse-data"
threads = 2

[login]
backend = "plex"

[plex]
token = "$PLEX_TOKEN"
machine_id = "$MACHINE_ID"
admin = "$PLEX_USER"
oauth = true
api_url = "$PLEX_URL"
app_url = "$PLEX_URL"

[sso.plex]
enabled = true

[[route]]
name = "dav"
path = "/dav/"
upstream = ["http://127.0.0.1:$RAD_PORT/"]
auth = "user"
identity_headers = { "X-Remote-User" = "username" }
title = "Calendar"

[[route]]
name = "dav-open"
path = "/dav-open/"
upstream = ["http://127.0.0.1:$RAD_PORT/"]
auth = "guest"
identity_headers = { "X-Remote-User" = "username" }

[[route]]
name = "calibre-web"
path = "/calibre/"
upstream = ["http://127.0.0.1:$CW_PORT"]
auth = "user"
identity_headers = { "X-WEBAUTH-USER" = "username" }
set_headers = { "Host" = "\$host:\$server_port", "X-Real-IP" = "\$remote_addr", "X-Forwarded-For" = "\$proxy_add_x_forwarded_for", "X-Forwarded-Proto" = "https", "X-Scheme" = "\$scheme", "X-Script-Name" = "/calibre" }
title = "Books"

[[route]]
name = "calibre-open"
path = "/calibre-open/"
upstream = ["http://127.0.0.1:$CW_PORT"]
auth = "guest"
identity_headers = { "X-WEBAUTH-USER" = "username" }
set_headers = { "Host" = "\$host:\$server_port", "X-Real-IP" = "\$remote_addr", "X-Forwarded-For" = "\$proxy_add_x_forwarded_for", "X-Forwarded-Proto" = "https", "X-Scheme" = "\$scheme", "X-Script-Name" = "/calibre-open" }

[[route]]
name = "app"
path = "/app/"
upstream = ["http://127.0.0.1:$UP_PORT/"]
auth = "user"
identity_headers = { "X-Remote-User" = "username" }
title = "Echo"

[[route]]
name = "plex"
path = "/plex/"
upstream = ["http://127.0.0.1:$UP_PORT/"]
auth = "none"
sso = ["plex"]
title = "Plex"
CONF
export GATEHOUSE_ARGON2=m=64,t=1,p=1
"$GATEHOUSE_BIN" check -c "$CONF" >"$RUN/gatehouse-check.log" 2>&1 || { cat "$RUN/gatehouse-check.log" >&2; die "gatehouse check refused the config"; }
for u in "alice:$ALICE_PW" "bob:$BOB_PW"; do
  printf '%s\n' "${u#*:}" | "$GATEHOUSE_BIN" -c "$CONF" user add "${u%%:*}" --group user \
    --email "${u%%:*}@example.org" --password-stdin >>"$RUN/gatehouse-users.log" 2>&1 ||
    { cat "$RUN/gatehouse-users.log" >&2; die "gatehouse user add ${u%%:*} failed"; }
done
start gatehouse "$RUN" "$GATEHOUSE_BIN" run -c "$CONF"

# A second gateway for Plex on its own subdomain: one login shared across
# *.gatehouse.test (the browser maps those names to 127.0.0.1).
SUB_PORTAL=http://portal.gatehouse.test:$SUB_PORT
SUB_PLEX=http://plex.gatehouse.test:$SUB_PORT
SUB_CONF=$RUN/gatehouse-sub.toml
cat >"$SUB_CONF" <<CONF
[server]
listen = ["127.0.0.1:$SUB_PORT"]
public_url = "$SUB_PORTAL"
data_dir = "$RUN/gatehouse-sub-data"
threads = 1

[session]
domain = ".gatehouse.test"

[login]
backend = "plex"

[plex]
token = "$PLEX_TOKEN"
machine_id = "$MACHINE_ID"
admin = "$PLEX_USER"
api_url = "$PLEX_URL"
app_url = "$PLEX_URL"

[sso.plex]
enabled = true

[[route]]
name = "plex"
host = "plex.gatehouse.test"
path = "/"
upstream = ["http://127.0.0.1:$UP_PORT/"]
auth = "none"
sso = ["plex"]
CONF
start gatehouse-sub "$RUN" "$GATEHOUSE_BIN" run -c "$SUB_CONF"

# A third gateway for passkeys: WebAuthn needs a host name (a relying-party
# ID cannot be an IP address) in a secure context: http://localhost is one.
PK_PORT=$(free_port)
PK_GW=http://localhost:$PK_PORT
CAROL_PW=carol-e2e-$RANDOM$RANDOM
DAVE_PW=dave-e2e-$RANDOM$RANDOM
PK_CONF=$RUN/gatehouse-passkeys.toml
cat >"$PK_CONF" <<CONF
[server]
listen = ["127.0.0.1:$PK_PORT"]
public_url = "$PK_GW"
data_dir = "$RUN/gatehouse-passkeys-data"
threads = 1

[login]
second_factor = "optional"
CONF
for u in "carol:$CAROL_PW" "dave:$DAVE_PW"; do
  printf '%s\n' "${u#*:}" | "$GATEHOUSE_BIN" -c "$PK_CONF" user add "${u%%:*}" --group user --password-stdin \
    >>"$RUN/gatehouse-users.log" 2>&1 || { cat "$RUN/gatehouse-users.log" >&2; die "gatehouse user add ${u%%:*} failed"; }
done
start gatehouse-passkeys "$RUN" "$GATEHOUSE_BIN" run -c "$PK_CONF"

# A fourth gateway for the admin pages (issue 15): local users root (admin),
# co (co-admin) and alice (user), one protected route, and a [plex] table
# without token/machine_id pointing at the fake plex.tv (the admin page's
# Retrieve writes them into this file and reloads).
AD_PORT=$(free_port)
AD_GW=http://127.0.0.1:$AD_PORT
AD_ROOT_PW=root-e2e-$RANDOM$RANDOM
AD_CO_PW=co-e2e-$RANDOM$RANDOM
AD_ALICE_PW=alice-admin-e2e-$RANDOM$RANDOM
AD_CONF=$RUN/gatehouse-admin.toml
cat >"$AD_CONF" <<CONF
[server]
listen = ["127.0.0.1:$AD_PORT"]
public_url = "$AD_GW"
data_dir = "$RUN/gatehouse-admin-data"
threads = 1

# Plex: filled by the admin page's Retrieve (admin.mjs); plex.tv is the fake.
[plex]
# the owner's token
token = ""   # Retrieve fills this
api_url = "$PLEX_URL"
app_url = "$PLEX_URL"

[[route]]
name = "app"
path = "/app/"
upstream = ["http://127.0.0.1:$UP_PORT/"]
auth = "user"
identity_headers = { "X-Remote-User" = "username" }
CONF
for u in "root:admin:$AD_ROOT_PW" "co:co-admin:$AD_CO_PW" "alice:user:$AD_ALICE_PW"; do
  IFS=: read -r name group pw <<<"$u"
  printf '%s\n' "$pw" | "$GATEHOUSE_BIN" -c "$AD_CONF" user add "$name" --group "$group" --password-stdin \
    >>"$RUN/gatehouse-users.log" 2>&1 || { cat "$RUN/gatehouse-users.log" >&2; die "gatehouse user add $name failed"; }
done
start gatehouse-admin "$RUN" "$GATEHOUSE_BIN" run -c "$AD_CONF"

wait_http gatehouse "$GW/gatehouse/health" 30 || die "gatehouse not ready"
wait_http gatehouse-sub "http://127.0.0.1:$SUB_PORT/gatehouse/health" 30 || die "second gatehouse not ready"
wait_http radicale "http://127.0.0.1:$RAD_PORT/" 30 || die "radicale not ready"
wait_http upstream "http://127.0.0.1:$UP_PORT/" 15 || die "upstream not ready"
wait_http fake-plex "$PLEX_URL/auth" 15 || die "fake plex.tv not ready"
wait_http calibre-web "http://127.0.0.1:$CW_PORT/login" 90 || die "calibre-web not ready"
log "all apps ready (gateway $GW)"

# ---------------------------------------------------------------- helpers for the HTTP checks
# http CURL-ARGS... : one request; sets ST (status), LOC (Location) and BODY.
http() {
  ST=$(curl -s -o "$RUN/last-body" -D "$RUN/last-headers" -w '%{http_code}' --max-time 20 "$@") || ST=000
  BODY=$(cat "$RUN/last-body" 2>/dev/null)
  LOC=$(grep -i '^location:' "$RUN/last-headers" 2>/dev/null | tail -n 1 | cut -d' ' -f2- | tr -d '\r')
}
seen() { echo "got $ST${LOC:+ Location: $LOC}; body: $(printf '%s' "$BODY" | tr -s '\n\t ' ' ' | cut -c1-220)"; }
has() { grep -Eq -- "$1" <<<"$BODY"; }
hasi() { grep -Eiq -- "$1" <<<"$BODY"; }
# signin USER PASSWORD JAR : portal form sign-in with curl.
signin() {
  rm -f "$3"
  http -c "$3" --data-urlencode "username=$1" --data-urlencode "password=$2" --data-urlencode "rd=/app/signed-in" \
    "$GW/gatehouse/login"
  [ "$ST" = 302 ] && [ "$LOC" = /app/signed-in ] && grep -q gatehouse_session "$3"
}
PROPFIND_PRINCIPAL='<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop><current-user-principal/></prop></propfind>'
propfind() { http -X PROPFIND -H 'Depth: 0' -H 'Content-Type: application/xml' --data "$PROPFIND_PRINCIPAL" "$@"; }
principal_is() { has "current-user-principal>[[:space:]]*<([A-Za-z0-9]+:)?href>/$1/</([A-Za-z0-9]+:)?href>"; }
ALICE_JAR=$RUN/alice.cookies
BOB_JAR=$RUN/bob.cookies

# ---------------------------------------------------------------- Radicale (issue 6 item 2)
log "Radicale"
signin alice "$ALICE_PW" "$ALICE_JAR"
check "portal: alice signs in with the form (302 to rd + session cookie)" "$(seen)" [ "$ST" = 302 ]
signin bob "$BOB_PW" "$BOB_JAR"
check "portal: bob signs in with the form" "$(seen)" [ "$ST" = 302 ]

propfind -b "$ALICE_JAR" "$GW/dav/"
check "radicale: PROPFIND by alice through the gateway reports principal /alice/" "$(seen)" \
  eval '[ "$ST" = 207 ] && principal_is alice'
propfind -b "$BOB_JAR" -H 'X-Remote-User: admin' "$GW/dav/"
check "radicale: bob's session with a forged X-Remote-User: admin is bob" "$(seen)" \
  eval '[ "$ST" = 207 ] && principal_is bob'
propfind -b "$BOB_JAR" -H 'X-Remote-User: admin' -H 'X_Remote_User: admin' "$GW/dav-open/"
check "radicale: bob's session with forged X-Remote-User/X_Remote_User on a guest route is bob" "$(seen)" \
  eval '[ "$ST" = 207 ] && principal_is bob'
propfind -H 'X-Remote-User: admin' "$GW/dav/"
check "radicale: forged X-Remote-User: admin without a session is refused by the gateway (401)" "$(seen)" \
  eval '[ "$ST" = 401 ] && ! has "/admin/"'
for h in 'X-Remote-User: admin' 'x-remote-user: admin' 'X_Remote_User: admin' 'X-REMOTE-USER: admin'; do
  propfind -H "$h" "$GW/dav-open/"
  check "radicale: forged '$h' without a session on a guest route reaches Radicale as nobody (403)" "$(seen)" \
    eval '[ "$ST" = 403 ] && ! has "/admin/"'
done
# controls: Radicale itself honours every spelling used above when it is reached directly
for h in 'X-Remote-User: ctl' 'x-remote-user: ctl' 'X_Remote_User: ctl' 'X-REMOTE-USER: ctl'; do
  propfind -H "$h" "http://127.0.0.1:$RAD_PORT/"
  check "control: Radicale reached directly trusts '$h'" "$(seen)" eval '[ "$ST" = 207 ] && principal_is ctl'
done
propfind -b "$ALICE_JAR" "$GW/dav/bob/"
check "radicale: alice cannot read bob's collections (403 from Radicale)" "$(seen)" [ "$ST" = 403 ]

http -b "$ALICE_JAR" -X MKCALENDAR "$GW/dav/alice/e2e/"
check "radicale: MKCALENDAR through the gateway" "$(seen)" [ "$ST" = 201 ]
EVENT=$'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//gatehouse//e2e//EN\r\nBEGIN:VEVENT\r\nUID:gatehouse-e2e-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nDTEND:20260102T110000Z\r\nSUMMARY:Gatehouse e2e\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'
http -b "$ALICE_JAR" -X PUT -H 'Content-Type: text/calendar; charset=utf-8' --data-binary "$EVENT" "$GW/dav/alice/e2e/event.ics"
check "radicale: PUT an event through the gateway" "$(seen)" [ "$ST" = 201 ]
http -b "$ALICE_JAR" -X REPORT -H 'Depth: 1' -H 'Content-Type: application/xml' --data-binary \
  '<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>' \
  "$GW/dav/alice/e2e/"
check "radicale: REPORT returns the event" "$(seen)" eval '[ "$ST" = 207 ] && has "UID:gatehouse-e2e-1"'

radicale_never_saw_admin() {
  grep -q "'alice'" "$RUN/radicale.log" && ! grep -qi "'admin'" "$RUN/radicale.log" &&
    [ ! -e "$RUN/radicale/collections/collection-root/admin" ]
}
check "radicale: never saw a user called admin (its log names alice, never admin; no admin storage)" \
  "$(grep -i -m 2 "admin" "$RUN/radicale.log")" radicale_never_saw_admin

# ---------------------------------------------------------------- calibre-web (issue 6 item 3)
log "calibre-web"
http -b "$ALICE_JAR" -H 'Accept: text/html' "$GW/calibre/"
check "calibre-web: alice signed in through the portal is logged in at /calibre/" "$(seen)" \
  eval '[ "$ST" = 200 ] && has "<span class=\"hidden-sm\">alice</span>" && has "Test Book"'
http -b "$ALICE_JAR" "$GW/calibre/me"
check "calibre-web: /calibre/me is alice's profile" "$(seen)" eval '[ "$ST" = 200 ] && has "alice@example.org"'
http -b "$BOB_JAR" -H 'X-WEBAUTH-USER: admin' -H 'X_WEBAUTH_USER: admin' "$GW/calibre/"
check "calibre-web: bob's session with a forged X-WEBAUTH-USER: admin is bob" "$(seen)" \
  eval '[ "$ST" = 200 ] && has "<span class=\"hidden-sm\">bob</span>" && ! has "hidden-sm\">admin<"'
http -H 'Accept: text/html' -H 'X-WEBAUTH-USER: admin' "$GW/calibre/"
check "calibre-web: forged X-WEBAUTH-USER without a session -> 302 to the portal" "$(seen)" \
  eval '[ "$ST" = 302 ] && [ "$LOC" = "/gatehouse/login?rd=%2Fcalibre%2F" ]'
for h in 'X-WEBAUTH-USER: admin' 'x-webauth-user: alice' 'X_WEBAUTH_USER: admin' 'X-Webauth-User: bob'; do
  http -H 'Accept: text/html' -H "$h" "$GW/calibre-open/"
  check "calibre-web: forged '$h' without a session on a guest route logs nobody in" "$(seen)" \
    eval '[ "$ST" = 302 ] && [[ "$LOC" == */calibre-open/login* ]] && ! has "hidden-sm\">(admin|alice|bob)<"'
done
for h in 'X-WEBAUTH-USER: alice' 'x-webauth-user: alice' 'X_WEBAUTH_USER: alice' 'X-Webauth-User: bob'; do
  http -H "$h" "http://127.0.0.1:$CW_PORT/"
  check "control: calibre-web reached directly trusts '$h'" "$(seen)" \
    eval '[ "$ST" = 200 ] && has "hidden-sm\">${h##* }<"'
done
http -b "$ALICE_JAR" "$GW/calibre/opds"
check "calibre-web: OPDS feed for alice (header login, no calibre cookie)" "$(seen)" eval '[ "$ST" = 200 ] && has "<feed"'

# ---------------------------------------------------------------- real browser (issue 6 items 4-5)
log "browser (playwright-core + $("$CHROMIUM" --version 2>/dev/null | head -n 1))"
rm -f "$OUT/sign-in.png" "$OUT/home.png" "$OUT/calibre-web.png"
E2E_NODE_DIR=$OUT/node CHROMIUM=$CHROMIUM GATEWAY=$GW OUT=$OUT ALICE_PASSWORD=$ALICE_PW \
  PLEX_USER=$PLEX_USER PLEX_TOKEN=$PLEX_TOKEN PLEX_URL=$PLEX_URL SUB_PORTAL=$SUB_PORTAL SUB_PLEX=$SUB_PLEX \
  timeout 240 node "$E2E/browser.mjs" >"$RUN/browser.log" 2>&1
BROWSER_RC=$?
cat "$RUN/browser.log"
PASS=$((PASS + $(grep -c '^PASS: ' "$RUN/browser.log")))
FAIL=$((FAIL + $(grep -c '^FAIL: ' "$RUN/browser.log")))
if [ "$BROWSER_RC" != 0 ] && ! grep -q '^FAIL: ' "$RUN/browser.log"; then
  fail "browser: driver exited with status $BROWSER_RC" "$(tail -n 5 "$RUN/browser.log" | tr '\n' ' ')"
fi
for f in sign-in.png home.png; do
  check "browser: screenshot target/e2e/$f saved" "missing" [ -s "$OUT/$f" ]
done

# ---------------------------------------------------------------- passkeys (issue 14)
wait_http gatehouse-passkeys "http://127.0.0.1:$PK_PORT/gatehouse/health" 30 || die "passkeys gateway not ready"
log "passkeys (virtual authenticator)"
rm -f "$OUT/passkeys-security.png" "$OUT/passkeys-2fa.png"
E2E_NODE_DIR=$OUT/node CHROMIUM=$CHROMIUM PK_GATEWAY=$PK_GW OUT=$OUT CAROL_PASSWORD=$CAROL_PW DAVE_PASSWORD=$DAVE_PW \
  timeout 180 node "$E2E/passkeys.mjs" >"$RUN/passkeys.log" 2>&1
PK_RC=$?
cat "$RUN/passkeys.log"
PASS=$((PASS + $(grep -c '^PASS: ' "$RUN/passkeys.log")))
FAIL=$((FAIL + $(grep -c '^FAIL: ' "$RUN/passkeys.log")))
if [ "$PK_RC" != 0 ] && ! grep -q '^FAIL: ' "$RUN/passkeys.log"; then
  fail "passkeys: driver exited with status $PK_RC" "$(tail -n 5 "$RUN/passkeys.log" | tr '\n' ' ')"
fi
for f in passkeys-security.png passkeys-2fa.png; do
  check "passkeys: screenshot target/e2e/$f saved" "missing" [ -s "$OUT/$f" ]
done
# ---------------------------------------------------------------- admin pages (issue 15)
wait_http gatehouse-admin "$AD_GW/gatehouse/health" 30 || die "admin gateway not ready"
log "admin pages"
rm -f "$OUT"/admin-*.png
E2E_NODE_DIR=$OUT/node CHROMIUM=$CHROMIUM ADMIN_GATEWAY=$AD_GW OUT=$OUT ROOT_PASSWORD=$AD_ROOT_PW \
  CO_PASSWORD=$AD_CO_PW ALICE_PASSWORD=$AD_ALICE_PW ADMIN_CONF=$AD_CONF ADMIN_LOG=$RUN/gatehouse-admin.log \
  PLEX_URL=$PLEX_URL PLEX_USER=$PLEX_USER PLEX_TOKEN=$PLEX_TOKEN MACHINE_ID=$MACHINE_ID \
  timeout 180 node "$E2E/admin.mjs" >"$RUN/admin.log" 2>&1
AD_RC=$?
cat "$RUN/admin.log"
PASS=$((PASS + $(grep -c '^PASS: ' "$RUN/admin.log")))
FAIL=$((FAIL + $(grep -c '^FAIL: ' "$RUN/admin.log")))
if [ "$AD_RC" != 0 ] && ! grep -q '^FAIL: ' "$RUN/admin.log"; then
  fail "admin: driver exited with status $AD_RC" "$(tail -n 5 "$RUN/admin.log" | tr '\n' ' ')"
fi
for f in admin-users.png admin-user.png admin-sessions.png admin-escaped.png admin-plex-servers.png admin-plex-saved.png; do
  check "admin: screenshot target/e2e/$f saved" "missing" [ -s "$OUT/$f" ]
done
admin_audit_clean() {
  grep -q 'gatehouse::audit.*action="lock".*on="erin".*result="ok"' "$RUN/gatehouse-admin.log" &&
    grep -q 'gatehouse::audit.*actor="co".*result="refused"' "$RUN/gatehouse-admin.log" &&
    grep -q 'gatehouse::audit.*cross-site request' "$RUN/gatehouse-admin.log" &&
    ! grep -qF -e "$AD_ROOT_PW" -e "$AD_CO_PW" -e "$AD_ALICE_PW" -e "erin-e2e-" "$RUN/gatehouse-admin.log"
}
check "admin: audit lines for the lock, the co-admin refusal and the cross-site post; no password in the log" \
  "$(grep -m 5 'gatehouse::audit' "$RUN/gatehouse-admin.log")" admin_audit_clean
admin_plex_audit_clean() {
  grep -q 'gatehouse::audit.*who=root.*action="plex.save"' "$RUN/gatehouse-admin.log" &&
    ! grep -qF -e "$PLEX_TOKEN" "$RUN/gatehouse-admin.log"
}
check "admin: audit line for the Plex save by root; the Plex token never in the admin gateway's log" \
  "$(grep -m 5 'plex' "$RUN/gatehouse-admin.log")" admin_plex_audit_clean

http "$PLEX_URL/__fake/log"
check "fake plex.tv: PIN created and polled with X-Plex-Client-Identifier" "$BODY" \
  eval 'has "\"POST\", \"path\": \"/api/v2/pins\", \"client_id\": true" && has "/api/v2/pins/[0-9]+\", \"client_id\": true"'
check "fake plex.tv: the friend was looked up in the owner's friends list (GET /api/users)" "$BODY" \
  has '"GET", "path": "/api/users", "client_id": true'
check "fake plex.tv: the gateway never put a token in a URL" "$BODY" \
  eval 'has "token_in_query" && ! has "\"token_in_query\": true"'

# ---------------------------------------------------------------- the gateway itself
http -b "$ALICE_JAR" -H 'X-Forwarded-For: 203.0.113.9' -H 'X-Real-IP: 203.0.113.9' "$GW/app/headers"
printf '%s\n' "$BODY" >"$RUN/app-headers.html"
check "proxy: upstream sees alice, the gateway's Host and the real client address (forged X-Real-IP replaced)" "$(seen)" \
  eval '[ "$ST" = 200 ] && has "id=\"remote-user\">alice<" && hasi "&quot;host&quot;: &quot;127.0.0.1:$GW_PORT&quot;" &&
    hasi "&quot;x-real-ip&quot;: &quot;127.0.0.1&quot;" && hasi "&quot;x-forwarded-for&quot;: &quot;([^&]*, )?127.0.0.1&quot;"'
no_secrets_in() { # FILE... : no password, plex.tv token or session cookie value in these logs
  local secret
  for secret in "$ALICE_PW" "$BOB_PW" "$CAROL_PW" "$DAVE_PW" "$PLEX_TOKEN" $(awk '$6 == "gatehouse_session" {print $7}' "$ALICE_JAR" "$BOB_JAR"); do
    ! grep -qF -- "$secret" "$@" || { echo "secret found in $*" >&2; return 1; }
  done
}
check "gatehouse: no password, Plex token or session cookie in its logs" "see $RUN/gatehouse*.log" \
  no_secrets_in "$RUN/gatehouse.log" "$RUN/gatehouse-sub.log" "$RUN/gatehouse-users.log" "$RUN/gatehouse-passkeys.log"
healthy() { # BASE-URL LOG
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1/gatehouse/health")" = 200 ] && ! grep -qi panicked "$2"
}
check "gatehouse: still healthy, no panic in its log" "$(grep -m 2 -i panick "$RUN/gatehouse.log")" \
  healthy "$GW" "$RUN/gatehouse.log"
check "gatehouse (subdomain instance): still healthy, no panic in its log" "$(grep -m 2 -i panick "$RUN/gatehouse-sub.log")" \
  healthy "http://127.0.0.1:$SUB_PORT" "$RUN/gatehouse-sub.log"

summary
[ "$FAIL" = 0 ]
