"""CPaaS authentication state: the tokens set with ``setTokens`` (cpaas-wire §1.4).

The idToken is decoded (payload only, no signature check, as the platform SDK does) for
``preferred_username`` (the ``{user}`` of every URL) and ``services-identity`` (the user's
address). The access token is sent as a bearer token and never decoded.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import BasicError, Codes


def decode_jwt_payload(token: str) -> dict[str, Any]:
    """The claims of a JWT, without verifying it."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (IndexError, ValueError, TypeError, AttributeError) as exc:
        raise BasicError(Codes.AUTH_INVALID_TOKEN, f"The idToken is not a decodable JWT: {exc}") from None
    if not isinstance(claims, dict):
        raise BasicError(Codes.AUTH_INVALID_TOKEN, "The idToken payload is not a JSON object")
    return claims


@dataclass
class CpaasAuth:
    access_token: str | None = None
    id_token: str | None = None
    username: str | None = None
    identity: str | None = None

    def set_tokens(self, params: Mapping[str, Any]) -> None:
        if not isinstance(params, Mapping):
            raise BasicError(Codes.AUTH_MISSING_TOKENS, "setTokens expects {accessToken, idToken}")
        access, id_token = params.get("accessToken"), params.get("idToken")
        if not isinstance(access, str) or not access or not isinstance(id_token, str) or not id_token:
            raise BasicError(Codes.AUTH_MISSING_TOKENS, "setTokens needs both accessToken and idToken strings")
        claims = decode_jwt_payload(id_token)
        username = claims.get("preferred_username")
        if not isinstance(username, str) or not username:
            raise BasicError(Codes.AUTH_INVALID_TOKEN, "The idToken has no preferred_username claim")
        self.access_token, self.id_token = access, id_token
        self.username = username
        identity = claims.get("services-identity")
        self.identity = identity if isinstance(identity, str) and identity else username

    @property
    def domain(self) -> str | None:
        identity = self.identity or ""
        return identity.split("@", 1)[1] if "@" in identity else None

    def user_info(self) -> dict[str, Any]:
        return {"username": self.username, "token": self.access_token, "identity": self.identity}
