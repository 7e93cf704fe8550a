"""CallMe realm tokens: hex AES-128-ECB of ``"<address>;<epoch-ms>"`` under the realm's key.

The platform decrypts ``accountToken`` / ``fromToken`` / ``toToken`` with the key of the realm
named in ``?tokenrealm=``; a token older than the realm's ``token_ttl`` (or from the future) is
refused. :func:`make_token` is what an application server would run to mint them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..core.errors import InvalidInput, NotFound, Unauthorized

CLOCK_SKEW_MS = 5 * 60 * 1000


@dataclass
class Realm:
    name: str
    key: bytes  # 16 bytes
    token_ttl: float = 3600.0  # seconds

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key.hex(), "tokenTtl": self.token_ttl}


def make_token(address: str, key: bytes, epoch_ms: int) -> str:
    padder = padding.PKCS7(128).padder()
    data = padder.update(f"{address};{epoch_ms}".encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return (encryptor.update(data) + encryptor.finalize()).hex()


def read_token(token: str, realm: Realm, now_ms: int) -> str:
    """The address inside ``token``; Unauthorized when it does not decrypt or has expired."""
    try:
        raw = bytes.fromhex(token)
        decryptor = Cipher(algorithms.AES(realm.key), modes.ECB()).decryptor()
        padded = decryptor.update(raw) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        text = (unpadder.update(padded) + unpadder.finalize()).decode()
        address, _, stamp = text.rpartition(";")
        issued = int(stamp)
    except (ValueError, UnicodeDecodeError):
        raise Unauthorized("Token does not decrypt with realm %1", realm.name) from None
    if not address:
        raise Unauthorized("Token of realm %1 carries no address", realm.name)
    if issued > now_ms + CLOCK_SKEW_MS or now_ms - issued > realm.token_ttl * 1000:
        raise Unauthorized("Token of realm %1 has expired", realm.name)
    return address


class Realms:
    def __init__(self) -> None:
        self.realms: dict[str, Realm] = {}

    def add(self, name: str, key: bytes | str, token_ttl: float = 3600.0) -> Realm:
        try:
            key_bytes = bytes.fromhex(key) if isinstance(key, str) else key
        except ValueError:
            raise InvalidInput("A realm key is 32 hex characters") from None
        if not isinstance(key_bytes, bytes) or len(key_bytes) != 16:
            raise InvalidInput("A realm key is 16 bytes (32 hex characters)")
        realm = Realm(name, key_bytes, float(token_ttl))
        self.realms[name] = realm
        return realm

    def get(self, name: str) -> Realm:
        realm = self.realms.get(name)
        if realm is None:
            raise NotFound("Token realm %1 not found", name)
        return realm
