"""The relay's STUN / TURN message layer, on aioice's STUN codec (RFC 8489, RFC 8656).

aioice parses and serialises messages and checks MESSAGE-INTEGRITY and FINGERPRINT; this module
adds what a server needs on top: error responses with the RFC reason phrases, the attributes a
codec keyed by name cannot hold (a repeated XOR-PEER-ADDRESS, comprehension-required attributes it
does not know), and ChannelData framing. The TURN attributes aioice lacks are registered with its
codec by :func:`kandy_media.compat.install_stun_attributes`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

from aioice import stun
from aioice.turn import is_channel_data

from kandy_media import compat

compat.install_stun_attributes()

SOFTWARE = "kandy-emulator relay"
UDP = 17  # REQUESTED-TRANSPORT protocol number (RFC 8656 section 18.7)
IPV4 = 0x01  # REQUESTED-ADDRESS-FAMILY value (IPv6 is 0x02: not offered)
CHANNEL_MIN, CHANNEL_MAX = 0x4000, 0x4FFF  # RFC 8656 section 12

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    420: "Unknown Attribute",
    437: "Allocation Mismatch",
    438: "Stale Nonce",
    440: "Address Family not Supported",
    441: "Wrong Credentials",
    442: "Unsupported Transport Protocol",
    486: "Allocation Quota Reached",
    508: "Insufficient Capacity",
}

__all__ = ["TurnError", "channel_data", "data_indication", "error_response", "is_channel_data", "parse",
           "peer_addresses", "split_channel_data", "success_response", "unknown_required"]


class TurnError(Exception):
    """A request refused with a STUN error code (RFC 8489 section 14.8, RFC 8656 section 19).

    ``attributes`` go into the error response (REALM and NONCE for a challenge, UNKNOWN-ATTRIBUTES
    for 420); ``signed`` says whether the response carries MESSAGE-INTEGRITY (not for 401 / 438,
    which answer a request whose credentials were not accepted).
    """

    def __init__(self, code: int, detail: str = "", *, attributes: dict[str, Any] | None = None,
                 signed: bool = True) -> None:
        self.code = code
        self.reason = REASONS.get(code, "Error")
        self.detail = detail
        self.attributes = attributes or {}
        self.signed = signed
        super().__init__(f"{code} {self.reason}" + (f": {detail}" if detail else ""))


def parse(data: bytes) -> stun.Message | None:
    """A STUN message, or None for anything aioice cannot parse (silently discarded, RFC 8489 6.3)."""
    try:
        return stun.parse_message(data)
    except (ValueError, struct.error, UnicodeDecodeError):
        return None


def _attributes(data: bytes) -> Iterator[tuple[int, bytes]]:
    """``(type, value)`` of every attribute before MESSAGE-INTEGRITY, in order (the codec keeps
    one value per name; these are the raw ones)."""
    pos = stun.HEADER_LENGTH
    while pos + 4 <= len(data):
        attr_type, length = struct.unpack("!HH", data[pos:pos + 4])
        yield attr_type, data[pos + 4:pos + 4 + length]
        if attr_type in (0x0008, 0x8028):  # MESSAGE-INTEGRITY, FINGERPRINT: nothing after counts
            return
        pos += 4 + length + stun.padding_length(length)


def unknown_required(data: bytes) -> list[int]:
    """Comprehension-required attribute types (below 0x8000) the codec does not understand."""
    return [t for t, _ in _attributes(data) if t < 0x8000 and not compat.stun_attribute_known(t)]


def peer_addresses(data: bytes, message: stun.Message) -> list[tuple[str, int]]:
    """Every XOR-PEER-ADDRESS of a request (CreatePermission may carry several)."""
    found = []
    for attr_type, value in _attributes(data):
        if attr_type == 0x0012:
            try:
                found.append(stun.unpack_xor_address(value, message.transaction_id))
            except ValueError:
                raise TurnError(400, "malformed XOR-PEER-ADDRESS") from None
    return found


def _answer(request: stun.Message, message_class: stun.Class, attributes: dict[str, Any],
            key: bytes | None) -> bytes:
    response = stun.Message(request.message_method, message_class, request.transaction_id,
                            {**attributes, "SOFTWARE": SOFTWARE})
    if key is not None:
        response.add_message_integrity(key)
    else:
        response.add_fingerprint()
    return bytes(response)


def success_response(request: stun.Message, attributes: dict[str, Any], key: bytes | None) -> bytes:
    """A success response to ``request``, signed with ``key`` when the request was authenticated."""
    return _answer(request, stun.Class.RESPONSE, attributes, key)


def error_response(request: stun.Message, error: TurnError, key: bytes | None) -> bytes:
    attributes = {"ERROR-CODE": (error.code, error.reason), **error.attributes}
    return _answer(request, stun.Class.ERROR, attributes, key if error.signed else None)


def data_indication(peer: tuple[str, int], payload: bytes) -> bytes:
    """A Data indication carrying ``payload`` from ``peer`` (no channel bound to it yet)."""
    return bytes(stun.Message(stun.Method.DATA, stun.Class.INDICATION,
                              attributes={"XOR-PEER-ADDRESS": peer, "DATA": payload}))


def channel_data(number: int, payload: bytes, *, pad: bool) -> bytes:
    """A ChannelData message; over TCP it is padded to four bytes (RFC 8656 section 12.5)."""
    message = struct.pack("!HH", number, len(payload)) + payload
    if pad and len(payload) % 4:
        message += bytes(4 - len(payload) % 4)
    return message


def split_channel_data(data: bytes) -> tuple[int, bytes] | None:
    """``(channel number, payload)`` of a ChannelData message, None when it is malformed."""
    if len(data) < 4:
        return None
    number, length = struct.unpack("!HH", data[:4])
    if length > len(data) - 4:
        return None
    return number, data[4:4 + length]
