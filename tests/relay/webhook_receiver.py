"""A webhook receiver in a process of its own, for the relay's tests.

Usage: ``python webhook_receiver.py PORT LOG [--answer STATUS] [--die-at N]``. Every POST
is appended to ``LOG`` as one JSON line (its headers, its raw body, the status answered),
flushed to disk before the answer goes out. With ``--die-at N`` the process kills itself
(SIGKILL) on its N-th request, after reading the body and before logging or answering:
the request was sent and never answered, as when a receiver crashes mid-stream.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
from http.server import BaseHTTPRequestHandler, HTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("log")
    parser.add_argument("--answer", type=int, default=200)
    parser.add_argument("--die-at", type=int, default=0)
    args = parser.parse_args()
    seen = 0

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *values: object) -> None:
            pass

        def do_POST(self) -> None:
            nonlocal seen
            seen += 1
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if seen == args.die_at:
                os.kill(os.getpid(), signal.SIGKILL)
            line = {
                "path": self.path,
                "signature": self.headers.get("X-Lifecycle-Signature"),
                "key": self.headers.get("Idempotency-Key"),
                "content_type": self.headers.get("Content-Type"),
                "body": body.decode("utf-8"),
                "answer": args.answer,
            }
            with open(args.log, "a", encoding="utf-8") as log:
                log.write(json.dumps(line) + "\n")
                log.flush()
                os.fsync(log.fileno())
            self.send_response(args.answer)
            self.send_header("Content-Length", "0")
            self.end_headers()

    HTTPServer.allow_reuse_address = True
    server = HTTPServer(("127.0.0.1", args.port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
