"""A local TrueLayer-compatible sandbox: auth dialog, token endpoint and Data API v1.

An independent model of TrueLayer's side of the connection lifecycle (the glossary's R1-R15),
served over real HTTP on 127.0.0.1 so that the project's client can be tested offline.
It imports nothing from ``lifecycle``: tests would otherwise check the core against itself.

Example:
    from adapters.sandbox import Sandbox, SandboxConfig, RefreshMode, Fault

    with Sandbox(SandboxConfig(refresh_mode=RefreshMode.ROTATING)) as sb:
        params = sb.consent(sb.auth_link(state="xyz"))    # a scripted user clicks Allow
        sb.clock.advance(timedelta(minutes=6))            # the code is now too old (R3)
        sb.inject("/connect/token", Fault(status=503))    # the next exchange answers 503
"""

from adapters.sandbox._clock import SandboxClock
from adapters.sandbox._config import ExtendAnswer, Fault, RefreshMode, SandboxConfig
from adapters.sandbox._server import Sandbox
from adapters.sandbox._user import ConsentError

__all__ = [
    "ConsentError",
    "ExtendAnswer",
    "Fault",
    "RefreshMode",
    "Sandbox",
    "SandboxClock",
    "SandboxConfig",
]
