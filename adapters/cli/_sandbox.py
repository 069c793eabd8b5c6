"""``lifecycle sandbox``: run the local TrueLayer-compatible sandbox until Ctrl-C.

Serves the auth dialog, the token endpoint, the Data API and the ``/_admin/*`` controls
on one loopback address, and prints the base URL and the client credentials it accepts
(sandbox-only credentials, chosen on the command line).
"""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import UTC, datetime
from typing import TextIO

from adapters.sandbox import ExtendAnswer, RefreshMode, Sandbox, SandboxConfig

__all__ = ["register", "serve"]


def serve(
    config: SandboxConfig,
    *,
    host: str,
    port: int,
    out: TextIO,
    stop: threading.Event | None = None,
) -> int:
    """Serve until ``stop`` is set or Ctrl-C; return the exit status.

    Raises:
        ValueError: ``host`` is not a loopback address.
    """
    stop = stop if stop is not None else threading.Event()
    sandbox = Sandbox(config, host=host, port=port)
    try:
        sandbox.start()
    except OSError as exc:
        print(f"lifecycle sandbox: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        base = sandbox.base_url
        redirects = ", ".join((*config.redirect_uris, f"{base}/redirect"))
        print(
            f"TrueLayer sandbox at {base}\n"
            f"  auth dialog    {base}/\n"
            f"  token          {base}/connect/token\n"
            f"  data API       {base}/data/v1/\n"
            f"  admin          {base}/_admin/clock | calls | faults | config\n"
            f"  client_id      {config.client_id}\n"
            f"  client_secret  {config.client_secret}\n"
            f"  redirect URIs  {redirects}\n"
            f"  refresh mode   {config.refresh_mode.value}\n"
            "Press Ctrl-C to stop.",
            file=out,
            flush=True,
        )
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        print("stopping", file=out, flush=True)
    finally:
        sandbox.stop()
    return 0


def _run(args: argparse.Namespace) -> int:
    redirect_uris: list[str] = args.redirect_uri or ["http://127.0.0.1/callback"]
    try:
        config = SandboxConfig(
            client_id=args.client_id,
            client_secret=args.client_secret,
            redirect_uris=tuple(redirect_uris),
            refresh_mode=RefreshMode(args.refresh_mode),
            extend_answer=ExtendAnswer(args.extend_answer),
            # A demo wants time to pass; tests use the frozen clock and /_admin/clock.
            start=datetime.now(UTC).replace(microsecond=0),
            clock_ticks=not args.frozen_clock,
        )
        return serve(config, host=args.host, port=args.port, out=sys.stdout)
    except ValueError as exc:
        print(f"lifecycle sandbox: {exc}", file=sys.stderr)
        return 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sandbox`` to the ``lifecycle`` command (starts nothing by itself)."""
    parser = subparsers.add_parser(
        "sandbox",
        help="run a local TrueLayer-compatible sandbox (auth server and Data API)",
        description="Run the local TrueLayer-compatible sandbox until Ctrl-C: the auth "
        "dialog, the token endpoint, the Data API and the /_admin/ controls (clock, calls, "
        "faults, config) on one loopback address. Prints the base URL and the client "
        "credentials it accepts (sandbox-only credentials, chosen on the command line). "
        "Rule codes such as R6 are defined in the documentation's glossary.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="the loopback address to listen on (127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8080,
        help="the port to listen on (default 8080; 0: any free one)",
    )
    parser.add_argument(
        "--refresh-mode",
        choices=[mode.value for mode in RefreshMode],
        default=RefreshMode.REUSABLE.value,
        help="whether a refresh hands out a new refresh token (rotation, R6)",
    )
    parser.add_argument(
        "--extend-answer",
        choices=[answer.value for answer in ExtendAnswer],
        default=ExtendAnswer.NO_ACTION_NEEDED.value,
        help="what the extend endpoint answers (extension, R9)",
    )
    parser.add_argument(
        "--client-id", default="sandbox-client", help="the client id it accepts (sandbox-client)"
    )
    parser.add_argument(
        "--client-secret",
        default="sandbox-secret",
        help="the client secret it accepts (sandbox-secret; a sandbox-only value)",
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        help="a registered redirect URI (repeatable; default http://127.0.0.1/callback)",
    )
    parser.add_argument(
        "--frozen-clock",
        action="store_true",
        help="keep the sandbox clock still (move it with POST /_admin/clock)",
    )
    parser.set_defaults(run=_run)
