"""Ephemeral TURN credentials: ``username = "<expiry epoch>:<user>"``,
``password = base64(HMAC-SHA1(secret, username))``, as TURN servers with a shared secret
(coturn ``use-auth-secret``) expect. The platform hands them out on the CPaaS ``/turn`` endpoint
and in Link subscription responses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any


class TurnService:
    def __init__(self, secret: str, clock: Any, *, ttl: int = 86400, urls: list[str] | None = None) -> None:
        self.secret = secret
        self._clock = clock
        self.ttl = ttl
        self.urls = urls or []
        self.issued = 0

    def credentials(self, user: str, *, ttl: int | None = None) -> dict[str, Any]:
        expiry = int(self._clock.wall()) + (ttl or self.ttl)
        username = f"{expiry}:{user}"
        digest = hmac.new(self.secret.encode(), username.encode(), hashlib.sha1).digest()
        self.issued += 1
        return {"username": username, "password": base64.b64encode(digest).decode(), "ttl": ttl or self.ttl,
                "urls": list(self.urls)}

    def valid(self, username: str, password: str) -> bool:
        expiry, _, _user = username.partition(":")
        if not expiry.isdigit() or int(expiry) < self._clock.wall():
            return False
        digest = hmac.new(self.secret.encode(), username.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(base64.b64encode(digest).decode(), password)
