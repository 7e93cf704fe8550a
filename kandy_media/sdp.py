"""SDP as an object that SDP handlers can read and change, and the standard transforms.

An :class:`Sdp` keeps every line in order (session lines, then one :class:`MediaSection` per
m-line), so ``str(sdp)`` gives back exactly what was parsed unless something was changed. Handlers
(the documented ``SdpHandlerFunction(newSdp, info, originalSdp)``) receive Sdp objects and return
one (a string is accepted and parsed). Helpers cover what handlers usually do: list and remove
codecs (by name and fmtp parameters), set bandwidth lines, drop attributes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_RTPMAP = re.compile(r"^(\d+) ([^/]+)/(\d+)(?:/(\d+))?$")


@dataclass
class Codec:
    payload: int
    name: str
    rate: int
    channels: int | None
    fmtp: str = ""

    def matches(self, name: str, fmtp_params: Iterable[str] = ()) -> bool:
        if self.name.lower() != name.lower():
            return False
        params = {p.strip() for p in self.fmtp.split(";") if p.strip()}
        return all(p.strip() in params for p in fmtp_params)


@dataclass
class MediaSection:
    """One m-line and the lines under it (without the ``a=`` / ``b=`` prefixes parsed away)."""

    kind: str
    port: int
    protocol: str
    payloads: list[str]
    lines: list[str] = field(default_factory=list)  # every line after the m-line, as written

    @property
    def mline(self) -> str:
        return f"m={self.kind} {self.port} {self.protocol} {' '.join(self.payloads)}"

    def attributes(self, name: str) -> list[str]:
        prefix = f"a={name}"
        return [line[len(prefix) + 1:] if line.startswith(prefix + ":") else ""
                for line in self.lines if line == prefix or line.startswith(prefix + ":")]

    def attribute(self, name: str) -> str | None:
        values = self.attributes(name)
        return values[0] if values else None

    def remove_attribute(self, name: str) -> None:
        prefix = f"a={name}"
        self.lines = [ln for ln in self.lines if not (ln == prefix or ln.startswith(prefix + ":"))]

    @property
    def mid(self) -> str | None:
        return self.attribute("mid")

    @property
    def direction(self) -> str:
        for line in self.lines:
            if line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
                return line[2:]
        return "sendrecv"

    @direction.setter
    def direction(self, value: str) -> None:
        replaced = False
        for index, line in enumerate(self.lines):
            if line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
                self.lines[index] = f"a={value}"
                replaced = True
        if not replaced:
            self.lines.append(f"a={value}")

    def codecs(self) -> list[Codec]:
        codecs: dict[int, Codec] = {}
        for value in self.attributes("rtpmap"):
            match = _RTPMAP.match(value)
            if match:
                payload = int(match.group(1))
                codecs[payload] = Codec(payload, match.group(2), int(match.group(3)),
                                        int(match.group(4)) if match.group(4) else None)
        for value in self.attributes("fmtp"):
            payload_text, _, params = value.partition(" ")
            if payload_text.isdigit() and int(payload_text) in codecs:
                codecs[int(payload_text)].fmtp = params
        order = [int(p) for p in self.payloads if p.isdigit()]
        return [codecs[p] for p in order if p in codecs]

    def remove_payloads(self, payloads: Iterable[int]) -> None:
        """Drop payload types and every attribute line that names them (rtpmap, fmtp, rtcp-fb)."""
        gone = {str(p) for p in payloads}
        # rtx payloads that point at a removed codec go too (a=fmtp:<rtx> apt=<gone>)
        for value in self.attributes("fmtp"):
            payload, _, params = value.partition(" ")
            match = re.search(r"apt=(\d+)", params)
            if match and match.group(1) in gone:
                gone.add(payload)
        self.payloads = [p for p in self.payloads if p not in gone]
        kept = []
        for line in self.lines:
            match = re.match(r"^a=(rtpmap|fmtp|rtcp-fb):(\d+|\*)[ ]", line + " ")
            if match and match.group(2) in gone:
                continue
            kept.append(line)
        self.lines = kept

    def bandwidth(self) -> dict[str, int]:
        result = {}
        for line in self.lines:
            if line.startswith("b="):
                kind, _, value = line[2:].partition(":")
                if value.isdigit():
                    result[kind] = int(value)
        return result

    def set_bandwidth(self, kbps: int | None) -> None:
        """``b=AS:<kbps>`` and ``b=TIAS:<bps>`` for this section (None removes them)."""
        self.lines = [ln for ln in self.lines if not ln.startswith(("b=AS:", "b=TIAS:"))]
        if kbps is None:
            return
        # b= lines come right after c= (RFC 4566 order: i, c, b, k, a)
        index = next((i + 1 for i, ln in enumerate(self.lines) if ln.startswith("c=")), 0)
        self.lines[index:index] = [f"b=AS:{int(kbps)}", f"b=TIAS:{int(kbps) * 1000}"]


@dataclass
class Sdp:
    session: list[str]
    media: list[MediaSection]

    @classmethod
    def parse(cls, text: str) -> Sdp:
        session: list[str] = []
        media: list[MediaSection] = []
        for raw in text.replace("\r\n", "\n").split("\n"):
            line = raw.rstrip("\r")
            if not line:
                continue
            if line.startswith("m="):
                parts = line[2:].split(" ")
                port = int(parts[1].split("/")[0]) if parts[1].split("/")[0].isdigit() else 0
                media.append(MediaSection(parts[0], port, parts[2], parts[3:]))
            elif media:
                media[-1].lines.append(line)
            else:
                session.append(line)
        return cls(session, media)

    def __str__(self) -> str:
        lines = list(self.session)
        for section in self.media:
            lines.append(section.mline)
            lines.extend(section.lines)
        return "\r\n".join(lines) + "\r\n"

    def copy(self) -> Sdp:
        return copy.deepcopy(self)

    def of_kind(self, kind: str) -> list[MediaSection]:
        return [m for m in self.media if m.kind == kind]

    @property
    def session_id(self) -> str | None:
        for line in self.session:
            if line.startswith("o="):
                parts = line[2:].split(" ")
                return parts[1] if len(parts) > 1 else None
        return None

    @property
    def fingerprint(self) -> str | None:
        """The DTLS certificate fingerprint (session level, else the first media section's)."""
        for line in self.session:
            if line.startswith("a=fingerprint:"):
                return line[len("a=fingerprint:"):]
        for section in self.media:
            value = section.attribute("fingerprint")
            if value:
                return value
        return None

    def remove_session_attribute(self, name: str) -> None:
        prefix = f"a={name}"
        self.session = [ln for ln in self.session if not (ln == prefix or ln.startswith(prefix + ":"))]

    def all_codecs(self) -> dict[str, list[Codec]]:
        return {f"{m.kind}:{m.mid or i}": m.codecs() for i, m in enumerate(self.media)}


def as_sdp(value: Any) -> Sdp:
    if isinstance(value, Sdp):
        return value
    if isinstance(value, str):
        return Sdp.parse(value)
    raise TypeError(f"an SDP handler returned {type(value).__name__}, expected an Sdp object or a string")


# -- standard transforms -----------------------------------------------------------------------
def remove_codecs(sdp: Sdp, selectors: Iterable[tuple[str, tuple[str, ...]]]) -> Sdp:
    """Remove every codec matching a ``(name, fmtp params)`` selector, in every m-line."""
    selectors = list(selectors)
    for section in sdp.media:
        gone = [c.payload for c in section.codecs() if any(c.matches(n, f) for n, f in selectors)]
        if gone:
            section.remove_payloads(gone)
    return sdp


def remove_bundling(sdp: Sdp) -> Sdp:
    sdp.remove_session_attribute("group")
    return sdp


def set_bandwidth(sdp: Sdp, *, audio: int | None = None, video: int | None = None,
                  call: int | None = None) -> Sdp:
    """Bandwidth lines per media kind (kbps); ``call`` is a session-level b=AS for all media."""
    for section in sdp.media:
        limit = audio if section.kind == "audio" else video if section.kind == "video" else None
        if limit is not None:
            section.set_bandwidth(limit)
    if call is not None:
        sdp.session = [ln for ln in sdp.session if not ln.startswith(("b=AS:", "b=TIAS:"))]
        index = next((i + 1 for i, ln in enumerate(sdp.session) if ln.startswith("c=")),
                     next((i for i, ln in enumerate(sdp.session) if ln.startswith("t=")), len(sdp.session)))
        sdp.session[index:index] = [f"b=AS:{int(call)}"]
    return sdp


def session_bandwidth(sdp: Sdp) -> int | None:
    for line in sdp.session:
        if line.startswith("b=AS:") and line[5:].isdigit():
            return int(line[5:])
    return None
