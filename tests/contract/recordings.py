"""Recorded official traffic: what the official SDKs sent and received in the interop suite,
sanitised into deterministic, checked-in fixtures (``tests/contract/recordings/*.json``).

``make record-interop`` runs tests/interop with ``KANDY_RECORD_INTEROP`` set: each test's platform
records every exchange and frame (the contract monitor's recording, fake_platform/contract), and
:func:`save` writes it here with everything that changes from run to run replaced:

* users become ``user1@example.com``, ``user2@example.com``, ... (names, numbers, passwords alike),
  which the replay creates again;
* tokens and Basic credentials become placeholders the replay fills in (``<<accessToken:user1>>``,
  ``<<basic:user1>>``), CallMe AES tokens ``<<aes:address>>`` (re-minted with the replay's realm key);
* ids the platform minted become ``<<sub#1>>``, ``<<ws#1>>``, ... numbered by first appearance, which
  the replay binds to the ids its own platform mints (tests/contract/replay.py);
* times become 0; SDPs keep their structure with fixed fingerprints, ICE credentials, ports, ssrcs
  and session ids (still parseable: the platform's endpoints answer them);
* the platform's address becomes ``<<base>>``, the page's origin ``<<origin>>``.

With the traffic goes the official app's own log (``official``): the API calls the test made in
the page and the events the official SDK reported (tests/interop/page/harness.js), sanitised by
the same rules (one numbering: a ``<<m#2>>`` in an event is the ``<<m#2>>`` of the traffic), ids the
official SDK minted itself (call and track ids) numbered ``<<local#1>>``, ..., and each entry placed
in the traffic by the wall clock: ``after`` is how many traffic events came before it.
tests/contract/sdk_replay.py replays that log into our SDK.
"""

from __future__ import annotations

import base64
import bisect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from fake_platform import Platform
from fake_platform.link.tokens import read_token

DIRECTORY = Path(__file__).parent / "recordings"
TIME_KEYS = {"dateTime", "lastactive", "lastMessageTime", "lastPullTime", "x-timestamp"}
TURN_KEYS = {"turnCredentials", "wrtcsTurnCredentials"}  # their username and password change every run
# Ids the platform mints: prefix-hex (secrets) or prefix-hex-counter (seeded), by their prefixes.
_MINTED = re.compile(r"(?<![\w-])(sub|ntf|evt|ch|sess|call|obj|grp|cs|m|pl|push|apush|fpush|conf|sms)"
                     r"-[0-9a-f]{8,}(?:-\d+)?\b")
_CHANNEL = re.compile(r"\bws-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")
_AES = re.compile(r"\b[0-9a-f]{32,}\b")
# Ids an official SDK mints in the browser (calls, tracks, media): UUIDs and Chrome's {uuid} track ids.
_LOCAL = re.compile(r"\{?\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b\}?")
_SDP_LINES = [
    (re.compile(r"^a=fingerprint:(\S+) .*$", re.M), r"a=fingerprint:\1 " + ":".join(["AB"] * 32)),
    (re.compile(r"^a=ice-ufrag:.*$", re.M), "a=ice-ufrag:ufrg"),
    (re.compile(r"^a=ice-pwd:.*$", re.M), "a=ice-pwd:passwordpasswordpassword"),
    (re.compile(r"^o=(\S+) \d+ \d+ ", re.M), r"o=\1 1000 2 "),
    (re.compile(r"^(a=candidate:)\S+ (\d) (\w+) \d+ (\S+) \d+ ", re.M), r"\g<1>1 \2 \3 2000 \4 9 "),
    (re.compile(r"^a=ssrc:\d+ ", re.M), "a=ssrc:1111 "),
    (re.compile(r"^(a=ssrc-group:FID)( \d+)+(?=\r?$)", re.M), r"\1 1111 2222"),
    (re.compile(r"^a=msid-semantic:.*$", re.M), "a=msid-semantic: WMS *"),
    # Chrome ends its SDP lines with CRLF: a line's end is before the CR.
    (re.compile(r"^a=msid:\S+ \S+(?=\r?$)", re.M), "a=msid:- track"),
    (re.compile(r"^a=ssrc:1111 (cname|msid):.*$", re.M), r"a=ssrc:1111 \1:x"),
    (re.compile(r"^(m=\w+) \d+ ", re.M), r"\1 9 "),
    (re.compile(r"^c=IN IP4 [\d.]+$", re.M), "c=IN IP4 127.0.0.1"),
    (re.compile(r"^a=rtcp:\d+ ", re.M), "a=rtcp:9 "),
]


def recording_enabled() -> bool:
    import os

    return bool(os.environ.get("KANDY_RECORD_INTEROP"))


class Sanitiser:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.replacements: list[tuple[str, str]] = []
        users = [u for u in platform.state.users.all() if u.kind == "user"]
        self.user_map: dict[str, str] = {}
        for n, user in enumerate(users, start=1):
            name = f"user{n}"
            self.user_map[user.user_id] = name
            self.replacements += [
                (user.user_id, f"{name}@example.com"), (user.email, f"{name}@example.com"),
                (user.password, f"password{n}"), (user.phone_number, f"+1613555{n:04d}"),
                (user.user_name, name), (user.first_name, f"First{n}"), (user.last_name, f"Last{n}"),
            ]
        self.replacements.sort(key=lambda pair: -len(pair[0]))  # longest first: ids before their parts
        self.numbers: dict[str, str] = {}
        self.counters: dict[str, int] = {}
        self.base = platform.url

    # -- values --------------------------------------------------------------------------------
    def _minted(self, prefix: str, value: str) -> str:
        if value not in self.numbers:
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            self.numbers[value] = f"<<{prefix}#{self.counters[prefix]}>>"
        return self.numbers[value]

    def _token(self, token: str) -> str:
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return "<<jwt>>"
        kind = "idToken" if claims.get("typ") == "id" else "accessToken"
        return f"<<{kind}:{self.user_map.get(claims.get('preferred_username', ''), 'unknown')}>>"

    def _aes(self, token: str) -> str:
        realm = self.platform.state.link.realms.get(self.platform.state.config.realm)
        try:
            address = read_token(token, realm, self.platform.state.clock.wall_ms())
        except Exception:
            return token
        return f"<<aes:{self.text(address)}>>"

    def text(self, value: str) -> str:
        value = _JWT.sub(lambda m: self._token(m.group(0)), value)
        if value.startswith("Basic "):
            user, _, _password = base64.b64decode(value[6:]).decode().partition(":")
            return f"Basic <<basic:{self.user_map.get(user, self.text(user))}>>"
        value = value.replace(self.base, "<<base>>")
        for old, new in self.replacements:
            if old:
                value = value.replace(old, new)
        value = _CHANNEL.sub(lambda m: self._minted("ws", m.group(0)), value)
        value = _MINTED.sub(lambda m: self._minted(m.group(1), m.group(0)), value)
        value = _AES.sub(lambda m: self._aes(m.group(0)), value)
        if value.startswith("v=0"):
            for pattern, replacement in _SDP_LINES:
                value = pattern.sub(replacement, value)
        return value

    def value(self, node: Any, key: str | None = None) -> Any:
        if isinstance(node, dict):
            if key in TURN_KEYS:
                return {k: f"<<turn:{k}>>" if k in ("username", "password") else self.value(v, k)
                        for k, v in node.items()}
            return {self.text(k): self.value(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [self.value(item, key) for item in node]
        if isinstance(node, str):
            return self.text(node)
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int | float) and key in TIME_KEYS:
            return 0
        if isinstance(node, bytes | bytearray):
            return {"binary": len(node)}
        return node

    # -- events --------------------------------------------------------------------------------
    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        result = self.value({k: v for k, v in event.items() if k != "headers"})
        headers = event.get("headers", {})
        if headers:
            kept = {}
            for name, value in headers.items():
                if name.lower() == "origin":
                    kept["Origin"] = "<<origin>>"
                elif name.lower() == "x-cpaas-agent":
                    kept["X-Cpaas-Agent"] = value
                else:
                    kept[name] = self.text(value)
            result["headers"] = kept
        return result


    # -- the official app's log ------------------------------------------------------------------
    def local(self, node: Any, key: str | None = None) -> Any:
        """``value``, and ids the official SDK minted numbered ``<<local#n>>``."""
        if isinstance(node, dict):
            return {k: self.local(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [self.local(item, key) for item in node]
        if isinstance(node, str):
            return _LOCAL.sub(lambda m: self._minted("local", m.group(0)), node)
        if isinstance(node, int | float) and not isinstance(node, bool) and key in LOG_TIME_KEYS:
            return 0
        return node

    def server(self, node: Any) -> Any:
        """``node`` with the platform's host as ``<<host>>`` and its port as ``<<port>>`` (given as a
        string) or ``-1`` (given as a number), where a config or a socket state names them: a replay
        puts its own server there."""
        if isinstance(node, dict):
            def address(key: str, value: Any) -> Any:
                if key in ("base", "server") and value == self.platform.host:
                    return "<<host>>"
                if key == "port" and str(value) == str(self.platform.port):
                    return "<<port>>" if isinstance(value, str) else -1
                return self.server(value)
            return {k: address(k, v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.server(item) for item in node]
        return node

    def log_entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A log entry sanitised (its ``at`` dropped: the caller places it among the traffic)."""
        return self.local(self.value(self.server({k: v for k, v in entry.items() if k != "at"})))


LOG_TIME_KEYS = TIME_KEYS | {"timestamp", "lastReceived", "lastUpdated", "lastContact", "downtime", "startTime",
                               "endTime"}


@dataclass
class OfficialLog:
    """One official app's page log (harness.js ``log``): its API calls and the SDK's events."""

    sdk: str  # cpaas | callme
    entries: list[dict[str, Any]]
    version: str = ""  # of the official build the page ran


def sanitise(platform: Platform, events: list[dict[str, Any]], logs: list[OfficialLog] | None = None) -> dict[str, Any]:
    sanitiser = Sanitiser(platform)
    stamps = [e.get("at", 0.0) for e in events]
    result: dict[str, Any] = {"users": len(sanitiser.user_map),
                              "events": [sanitiser.event({k: v for k, v in e.items() if k != "at"}) for e in events]}
    if logs:
        if len(logs) > 1:
            raise ValueError("a recording keeps one official app's log; this test opened several")
        [log] = logs
        result["official"] = {"sdk": log.sdk, "log": [
            {**sanitiser.log_entry(entry), "after": bisect.bisect_right(stamps, entry.get("at", 0.0))}
            for entry in log.entries]}
    return result


def save(name: str, platform: Platform, logs: list[OfficialLog] | None = None) -> Path | None:
    """Write the recording of ``platform`` as ``recordings/<name>.json`` (sanitised), with the
    official app's log when there was one."""
    monitor = platform.state.contract
    if monitor is None or not monitor.recording:
        return None
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    target = DIRECTORY / f"{name}.json"
    target.write_text(json.dumps(sanitise(platform, monitor.recording, logs), indent=1, sort_keys=True) + "\n")
    return target


def load_all() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(DIRECTORY.glob("*.json"))}


MEDIA_DIRECTORY = Path(__file__).parent / "media"
SDPS_PER_TEST = 4


def _sdps(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _sdps(value)]
    if isinstance(node, list):
        return [s for item in node for s in _sdps(item)]
    return [node] if isinstance(node, str) and node.startswith("v=0") else []


def _sent_tones(logs: list[OfficialLog]) -> dict[str, str]:
    """The tones the official apps asked their SDK to send (``call.sendDTMF(id, tones, ...)``),
    and which build that was."""
    senders = [log for log in logs if any(e.get("call") == "call.sendDTMF" for e in log.entries)]
    return {"sdk": " ".join(f"{log.sdk} {log.version}".strip() for log in senders),
            "sent": "".join(str(entry["args"][1]) for log in senders for entry in log.entries
                            if entry.get("call") == "call.sendDTMF" and len(entry.get("args", [])) > 1)}


def save_media(name: str, platform: Platform, logs: list[OfficialLog] | None = None) -> list[Path]:
    """Keep what Chromium sent, as it sent it (the media oracle, tests/contract/test_media_oracle.py):
    its SDPs (first few of the test), the RFC 4733 packets the IVR received and, when it heard DTMF
    in band, the audio packets around the digits (raw RTP with the negotiated codec, and the tones the
    app asked its SDK to send, from the official app's log). The digits are the ones the interop test
    asserted the IVR heard (only passing tests are recorded)."""
    monitor = platform.state.contract
    written: list[Path] = []
    MEDIA_DIRECTORY.mkdir(parents=True, exist_ok=True)
    browser_sdps = [sdp for event in (monitor.recording or []) if monitor is not None
                    and event.get("kind") == "http" and "origin" in {k.lower() for k in event.get("headers", {})}
                    for sdp in _sdps(event.get("body"))]
    for index, sdp in enumerate(browser_sdps[:SDPS_PER_TEST], start=1):
        target = MEDIA_DIRECTORY / f"{name}-{index}.sdp"
        target.write_text(sdp)
        written.append(target)
    for call in platform.state.calls.endpoints.calls.values():
        receiver = call.rfc4733
        if receiver is None or not receiver.packets or not call.digits:
            continue
        target = MEDIA_DIRECTORY / f"{name}-rfc4733.json"
        target.write_text(json.dumps({"digits": "".join(call.digits), "payloadType": receiver.payload_type,
                                      "packets": [p.hex() for p in receiver.packets]}, indent=1) + "\n")
        written.append(target)
    for call in platform.state.calls.endpoints.calls.values():
        capture = call.audio
        packets = capture.around_digits() if capture is not None and call.dtmf_mode == "inband" else []
        if capture is None or not packets:
            continue
        codec = capture.codecs[packets[0][1] & 0x7F]
        target = MEDIA_DIRECTORY / f"{name}-inband.json"
        target.write_text(json.dumps({**_sent_tones(logs or []), "digits": "".join(call.digits),
                                      "payloadType": codec.payload,
                                      "codec": f"{codec.name}/{codec.rate}/{codec.channels or 1}",
                                      "fmtp": codec.fmtp, "packets": [p.hex() for p in packets]}, indent=1) + "\n")
        written.append(target)
    return written
