#!/usr/bin/env python3
"""A tiny upstream app for the end-to-end suite (stdlib only).

Every plain request gets an HTML page showing what the gateway sent:
  <h1 id="path">PATH</h1> <span id="remote-user">X-Remote-User</span>
  <pre id="headers">{request headers as JSON}</pre>
A request with `Upgrade: websocket` is accepted (RFC 6455 handshake); the
server first sends the text "user:<X-Remote-User>", then answers every text
message M with "echo:M", answers pings, and echoes a close frame.

usage: upstream.py PORT     (prints "ready" once listening on 127.0.0.1:PORT)
"""
import base64
import hashlib
import html
import json
import struct
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def read_frame(sock):
    b0, b1 = recv_exact(sock, 2)
    opcode, masked, length = b0 & 0x0F, b1 & 0x80, b1 & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", recv_exact(sock, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", recv_exact(sock, 8))
    if length > 1 << 20:
        raise ConnectionError("frame too large")
    mask = recv_exact(sock, 4) if masked else b"\0\0\0\0"
    payload = bytes(c ^ mask[i % 4] for i, c in enumerate(recv_exact(sock, length)))
    return opcode, payload


def send_frame(sock, opcode, payload):
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    sock.sendall(head + payload)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("upstream: " + (fmt % args) + "\n")

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        sock = self.connection
        user = self.headers.get("X-Remote-User", "")
        send_frame(sock, 1, ("user:" + user).encode())
        try:
            while True:
                opcode, payload = read_frame(sock)
                if opcode == 1:
                    send_frame(sock, 1, b"echo:" + payload)
                elif opcode == 9:
                    send_frame(sock, 10, payload)
                elif opcode == 8:
                    send_frame(sock, 8, payload[:2])
                    break
        except (ConnectionError, OSError, ValueError):
            pass
        self.close_connection = True

    def page(self):
        headers = {k: v for k, v in self.headers.items()}
        body = (
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>upstream</title></head><body>"
            f"<h1 id=\"path\">{html.escape(self.path)}</h1>"
            f"<span id=\"remote-user\">{html.escape(self.headers.get('X-Remote-User', ''))}</span>"
            f"<pre id=\"headers\">{html.escape(json.dumps(headers))}</pre></body></html>"
        ).encode()
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.headers.get("Upgrade", "").lower() == "websocket":
            return self.websocket()
        self.page()

    do_HEAD = do_POST = page


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()
