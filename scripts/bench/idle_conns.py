#!/usr/bin/env python3
"""Opens N keep-alive connections to a server, sends one request on each
(what a browser does before a connection goes idle), reads the response and
then holds every connection open and silent until stdin closes or the
process is stopped.

    idle_conns.py HOST PORT COUNT [--tls] [--path /] [--header 'Name: value']

Prints "ready N" (N = connections that got a complete response and are
still open) on stdout once all are idle, then "open N" again when stdin
closes, just before it exits (so the caller can check none were dropped).
Raises its own open-files limit to the hard limit. Exit status 1 if fewer
than COUNT connections could be made idle.
"""

import argparse
import asyncio
import resource
import ssl
import sys


async def one(host, port, ctx, request, sem, conns):
    async with sem:
        try:
            reader, writer = await asyncio.open_connection(
                host, port, ssl=ctx, server_hostname=host if ctx else None
            )
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 2"):
                writer.close()
                return
            conns.append((reader, writer))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ssl.SSLError):
            return


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--path", default="/")
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--concurrency", type=int, default=200)
    a = ap.parse_args()

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if a.count + 100 > hard:
        print(f"idle_conns: {a.count} connections need more than the open-files limit {hard}",
              file=sys.stderr)
        sys.exit(1)

    ctx = None
    if a.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        # HTTP/1.1 only: the request below is HTTP/1.1.
        ctx.set_alpn_protocols(["http/1.1"])
    extra = "".join(f"{h}\r\n" for h in a.header)
    request = (f"GET {a.path} HTTP/1.1\r\nHost: {a.host}:{a.port}\r\n{extra}"
               "User-Agent: idle_conns\r\n\r\n").encode()
    conns = []
    sem = asyncio.Semaphore(a.concurrency)
    await asyncio.gather(*(one(a.host, a.port, ctx, request, sem, conns)
                           for _ in range(a.count)))
    print(f"ready {len(conns)}", flush=True)
    if len(conns) < a.count:
        print(f"idle_conns: only {len(conns)} of {a.count} connections became idle",
              file=sys.stderr)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    # A connection the server closed meanwhile has seen EOF (the loop kept
    # running while stdin was read).
    still = sum(1 for reader, _ in conns if not reader.at_eof())
    print(f"open {still}", flush=True)
    for _, writer in conns:
        writer.close()
    sys.exit(0 if len(conns) == a.count else 1)


if __name__ == "__main__":
    asyncio.run(main())
