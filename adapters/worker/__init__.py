"""Work that runs unattended: the outbox relay to a webhook.

Example:
    from adapters.worker import relay

    delivered = relay(connections, "https://hooks.example.com/lifecycle", secret=key)
"""

from ._relay import SIGNATURE_HEADER, RelayError, event_json, relay, sign, verify_signature

__all__ = ["SIGNATURE_HEADER", "RelayError", "event_json", "relay", "sign", "verify_signature"]
