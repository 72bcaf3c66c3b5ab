#!/usr/bin/env python3
"""A small fake plex.tv + app.plex.tv for the end-to-end suite (stdlib only).

Implements what Gatehouse calls (docs/upstreams.md §2.1 A, C, D, E):
  POST /users/sign_in.json          password sign-in (401 for unknown logins)
  GET  /users/account.json          X-Plex-Token -> {"user": {...}}, 401 otherwise
  GET  /api/users                   owner token -> XML friends list
  GET  /pms/servers                 owner token -> XML servers: a shared one (owned="0",
                                    listed first) and the owner's MACHINE_ID (owned="1")
  POST /api/v2/pins?strong=true     201 {id, code, ..., authToken: null}
  GET  /api/v2/pins/{id}            the PIN; authToken set once approved; 404 unknown
and app.plex.tv's page:
  GET  /auth#?clientID=..&code=..   approves the PIN itself from JavaScript
                                    (POST /__fake/approve) so no human is needed
Test-only:
  POST /__fake/approve              form code=..[&login=..] -> approves the PIN
  POST /__fake/approver             form login=.. -> whom /auth approves as from now on
  GET  /__fake/log                  JSON list of the requests seen (no secrets)

usage: fake_plex.py PORT OWNER_NAME OWNER_TOKEN MACHINE_ID
The owner's e-mail is OWNER_NAME@example.org; one friend "plexfriend" shares
MACHINE_ID. Prints "ready" on stdout once listening on 127.0.0.1:PORT.
"""
import json
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, OWNER, OWNER_TOKEN, MACHINE_ID = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ACCOUNTS = {
    OWNER: {"id": 1001, "uuid": "e2e0wner", "username": OWNER, "title": OWNER,
            "email": OWNER + "@example.org", "thumb": "", "authToken": OWNER_TOKEN,
            "password": OWNER + "-plex-pw"},
    "plexfriend": {"id": 2002, "uuid": "e2efr1end", "username": "plexfriend", "title": "plexfriend",
                   "email": "plexfriend@example.org", "thumb": "",
                   "authToken": "plexfriend-token-e2e-0002", "password": "plexfriend-plex-pw"},
}
# a server shared with the owner (not theirs): the admin page lists it, unticked
SHARED_MACHINE_ID = "5ba4ed0000000000000000000000000000000000"
LOCK = threading.Lock()
PINS = {}  # id -> {"code", "client", "token"}
APPROVER = [OWNER]  # whom the /auth page approves PINs as
LOG = []   # (method, path, client identifier present)

AUTH_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Plex (fake)</title></head>
<body><h1>Fake app.plex.tv</h1><p id="state">approving…</p><script>
var q = new URLSearchParams(location.hash.replace(/^#\\??/, ''));
fetch('/__fake/approve', {method: 'POST',
  headers: {'Content-Type': 'application/x-www-form-urlencoded'},
  body: 'code=' + encodeURIComponent(q.get('code') || '')})
  .then(function (r) { document.getElementById('state').textContent = r.ok ? 'approved' : 'refused ' + r.status; });
</script></body></html>"""


def public(acct):
    return {k: v for k, v in acct.items() if k != "password"}


def by_token(token):
    return next((a for a in ACCOUNTS.values() if token and a["authToken"] == token), None)


def pin_json(pid, pin):
    return {"id": pid, "code": pin["code"], "product": "Gatehouse", "trusted": False,
            "clientIdentifier": pin["client"], "expiresIn": 1800,
            "createdAt": "2026-01-01T00:00:00Z", "expiresAt": "2026-01-01T00:30:00Z",
            "authToken": pin["token"], "newRegistration": None}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("fake_plex: " + (fmt % args) + "\n")

    def reply(self, status, body, ctype="application/json"):
        data = (json.dumps(body) if ctype == "application/json" else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        return dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))

    def token(self):
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        return self.headers.get("X-Plex-Token") or q.get("X-Plex-Token")

    def record(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        with LOCK:
            LOG.append({"method": self.command, "path": path,
                        "client_id": bool(self.headers.get("X-Plex-Client-Identifier")),
                        "token_in_query": "x-plex-token" in url.query.lower()})
        return path

    def do_POST(self):
        path = self.record()
        if path == "/api/v2/pins":
            self.form()
            pid = secrets.randbelow(10**9) + 10**8
            pin = {"code": secrets.token_hex(12), "client": self.headers.get("X-Plex-Client-Identifier", ""),
                   "token": None}
            with LOCK:
                PINS[pid] = pin
            return self.reply(201, pin_json(pid, pin))
        if path == "/__fake/approve":
            f = self.form()
            acct = ACCOUNTS.get(f.get("login") or APPROVER[0])
            with LOCK:
                hit = [p for p in PINS.values() if f.get("code") and p["code"] == f.get("code")]
                for p in hit:
                    p["token"] = acct["authToken"] if acct else None
            return self.reply(200 if hit and acct else 404, {"approved": bool(hit and acct)})
        if path == "/__fake/approver":
            login = self.form().get("login", "")
            if login not in ACCOUNTS:
                return self.reply(404, {"error": "no such account"})
            with LOCK:
                APPROVER[0] = login
            return self.reply(200, {"approver": login})
        if path == "/users/sign_in.json":
            f = self.form()
            login = (f.get("user[login]") or "").lower()
            acct = next((a for a in ACCOUNTS.values()
                         if login in (a["username"].lower(), a["email"].lower())), None)
            if acct and f.get("user[password]") == acct["password"]:
                return self.reply(201, {"user": public(acct)})
            return self.reply(401, {"error": "Invalid email, username, or password."})
        self.reply(404, {"error": "not found"})

    def do_GET(self):
        path = self.record()
        if path == "/auth":
            return self.reply(200, AUTH_PAGE, "text/html; charset=utf-8")
        if path == "/__fake/log":
            with LOCK:
                return self.reply(200, list(LOG))
        if path.startswith("/api/v2/pins/"):
            try:
                pid = int(path.rsplit("/", 1)[1])
            except ValueError:
                return self.reply(404, {"errors": [{"message": "Not Found"}]})
            with LOCK:
                pin = PINS.get(pid)
                body = pin_json(pid, pin) if pin else None
            return self.reply(200, body) if body else self.reply(404, {"errors": [{"message": "Not Found"}]})
        acct = by_token(self.token())
        if path in ("/users/account.json", "/users/account"):
            return self.reply(200, {"user": public(acct)}) if acct else self.reply(401, {"error": "Invalid token"})
        if path in ("/api/users", "/pms/servers", "/pms/servers.xml"):
            if not acct or acct["username"] != OWNER:
                return self.reply(401, "<Response code=\"401\" status=\"Unauthorized\"/>", "application/xml")
            if path == "/api/users":
                xml = ('<MediaContainer friendlyName="myPlex" identifier="com.plexapp.plugins.myplex" '
                       'totalSize="1" size="1"><User id="2002" title="plexfriend" username="plexfriend" '
                       'email="plexfriend@example.org" restricted="0"><Server id="1" serverId="1" '
                       f'machineIdentifier="{MACHINE_ID}" name="E2E" owned="1" pending="0"/></User></MediaContainer>')
            else:
                xml = ('<MediaContainer size="2"><Server name="Shared &amp; Co" address="127.0.0.2" '
                       f'port="32400" machineIdentifier="{SHARED_MACHINE_ID}" owned="0"/>'
                       '<Server name="E2E" address="127.0.0.1" port="32400" '
                       f'machineIdentifier="{MACHINE_ID}" owned="1"/></MediaContainer>')
            return self.reply(200, xml, "application/xml")
        self.reply(404, {"error": "not found"})


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()
