"""Ephemeral TURN credentials and the relay's authentication of them.

Credentials follow the TURN REST API form that TURN servers with a shared secret accept (coturn
``use-auth-secret``): ``username = "<expiry epoch>:<user>"``,
``password = base64(HMAC-SHA1(secret, username))``. The platform hands them out on the CPaaS
``/turn`` endpoint and in Link subscription responses, with the relay's URLs.

The relay checks them as long-term credentials (RFC 8489 section 9.2, RFC 8656 section 5): a
request without MESSAGE-INTEGRITY is challenged (401 with REALM and NONCE); a nonce that is not
ours or too old gets 438 Stale Nonce; an expired, tampered or foreign username or password fails
the integrity check: 401. Nonces carry their own expiry and an HMAC, so the relay keeps no table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from aioice import stun
from aioice.turn import make_integrity_key

from ..core.text import decimal
from .messages import TurnError

REALM = "kandy-emulator"
NONCE_LIFETIME = 600.0  # seconds, as coturn's default stale-nonce time


@dataclass(frozen=True)
class Authenticated:
    """Who a request's credentials name, and the key its responses are signed with."""

    username: str
    user: str
    key: bytes


class TurnService:
    def __init__(self, secret: str, clock: Any, *, ttl: int = 86400, urls: list[str] | None = None,
                 realm: str = REALM, nonce_lifetime: float = NONCE_LIFETIME) -> None:
        self.secret = secret
        self._clock = clock
        self.ttl = ttl
        self.urls = urls if urls is not None else []  # the relay's, once it is started (Platform.start)
        self.realm = realm
        self.nonce_lifetime = nonce_lifetime
        self._nonce_key = secrets.token_bytes(16)
        self.issued = 0

    # -- minting -------------------------------------------------------------------------------
    def credentials(self, user: str, *, ttl: int | None = None) -> dict[str, Any]:
        lifetime = self.ttl if ttl is None else ttl
        username = f"{int(self._clock.wall()) + lifetime}:{user}"
        self.issued += 1
        return {"username": username, "password": self.password_for(username), "ttl": lifetime,
                "urls": list(self.urls)}

    def password_for(self, username: str) -> str:
        digest = hmac.new(self.secret.encode(), username.encode(), hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    def valid(self, username: str, password: str) -> bool:
        return not self._expired(username) and hmac.compare_digest(self.password_for(username), password)

    def _expired(self, username: str) -> bool:
        expiry = decimal(username.partition(":")[0])
        return expiry is None or expiry < self._clock.wall()

    # -- nonces --------------------------------------------------------------------------------
    def nonce(self) -> bytes:
        expiry = f"{int(self._clock.wall() + self.nonce_lifetime):x}"
        return f"{expiry}-{self._nonce_mac(expiry)}".encode()

    def nonce_fresh(self, nonce: bytes) -> bool:
        expiry, _, mac = nonce.decode("ascii", "replace").partition("-")
        try:
            fresh = int(expiry, 16) >= self._clock.wall()
        except ValueError:
            return False
        return fresh and hmac.compare_digest(mac, self._nonce_mac(expiry))

    def _nonce_mac(self, expiry: str) -> str:
        return hmac.new(self._nonce_key, expiry.encode(), hashlib.sha256).hexdigest()[:20]

    def challenge(self, code: int, detail: str) -> TurnError:
        """401 / 438 with a fresh nonce and our realm, unsigned (RFC 8489 section 9.2.4)."""
        return TurnError(code, detail, attributes={"REALM": self.realm, "NONCE": self.nonce()}, signed=False)

    # -- checking ------------------------------------------------------------------------------
    def authenticate(self, message: stun.Message) -> Authenticated:
        """The credentials of a request, or the :class:`TurnError` to answer it with."""
        attributes = message.attributes
        if "MESSAGE-INTEGRITY" not in attributes:
            raise self.challenge(401, "credentials required")
        if not all(name in attributes for name in ("USERNAME", "REALM", "NONCE")):
            raise TurnError(400, "MESSAGE-INTEGRITY without USERNAME, REALM and NONCE", signed=False)
        if not self.nonce_fresh(attributes["NONCE"]):
            raise self.challenge(438, "stale nonce")
        username, realm = attributes["USERNAME"], attributes["REALM"]
        if realm != self.realm:
            raise self.challenge(401, f"unknown realm {realm!r}")
        if self._expired(username):
            raise self.challenge(401, "expired credentials")
        key = make_integrity_key(username, realm, self.password_for(username))
        if not message.check_message_integrity(key):
            raise self.challenge(401, "wrong credentials")
        return Authenticated(username=username, user=username.partition(":")[2], key=key)
