"""The calls the client makes, and what repeating each one risks."""

from __future__ import annotations

from enum import StrEnum

import lifecycle

__all__ = ["Call"]


class Call(StrEnum):
    """One kind of call to TrueLayer; the same error means different things per call."""

    EXCHANGE = "exchange"  # R4: POST /connect/token, authorization_code
    REFRESH = "refresh"  # R6: POST /connect/token, refresh_token
    EXTEND = "extend"  # R9: POST /data/v1/connections/extend
    DATA = "data"  # R10, R11: GET /data/v1/...
    DELETE = "delete"  # R12: DELETE /api/delete

    @property
    def single_use(self) -> bool:
        """Whether repeating a processed call would present a used credential.

        A code is single use (R3: reuse may revoke the tokens it gave); a refresh token
        may rotate (R6) and extend replaces the refresh token (R9). Such calls are only
        repeated when the first one provably did not reach TrueLayer's logic.
        """
        return self in (Call.EXCHANGE, Call.REFRESH, Call.EXTEND)

    @property
    def effect(self) -> lifecycle.Effect:
        """The core's effect that this call performs."""
        return _EFFECTS[self]


_EFFECTS = {
    Call.EXCHANGE: lifecycle.Effect.EXCHANGE_CODE,
    Call.REFRESH: lifecycle.Effect.REFRESH_TOKEN,
    Call.EXTEND: lifecycle.Effect.EXTEND_CONNECTION,
    Call.DATA: lifecycle.Effect.FETCH_DATA,
    Call.DELETE: lifecycle.Effect.DELETE_CONNECTION,
}
