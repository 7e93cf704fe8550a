"""Scripted endpoints: magic identities that answer calls in a known way (Twilio-style test numbers).

| address                 | behaviour                                                                  |
|-------------------------|----------------------------------------------------------------------------|
| ``echo@<domain>``       | rings, answers at once and sends your own media back to you                |
| ``busy@<domain>``       | refuses at once: busy (486 Busy Here)                                      |
| ``noanswer@<domain>``   | rings until the caller gives up (the platform ends it after 120 s: 480)    |
| ``reject@<domain>``     | rings, then declines (603 Decline)                                         |
| ``ivr@<domain>``        | plays a 450 Hz tone as early media, answers after 2 s, keeps the tone, and |
|                         | reports the DTMF digits it hears (RFC 4733 when offered, else in band)     |
| ``ivr-inband@<domain>`` | the same IVR, but it never accepts telephone-event: DTMF must be in band   |
| ``headers@<domain>``    | answers, and sends back every custom parameter (SIP header) it receives    |
| ``+1555010FFFF``        | a PSTN number: rings, answers, and plays a tone of FFFF Hz (100-4000)      |

Endpoints with media run a real aiortc peer inside the platform (loopback ICE only). Timers run
on the loop clock, so virtual-time tests do not wait for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from kandy_media.dtmf import offer_telephone_event, telephone_event_pt
from kandy_media.peer import Peer
from kandy_media.sdp import Sdp
from kandy_media.sources import ToneSource

from ..core.progress import Progress
from .capture import AudioCapture
from .dtmf import GoertzelDetector, Rfc4733Receiver, consume
from .levels import LevelMeter
from .models import BUSY, DECLINED, ENDED, NO_ANSWER, CallRouter, CallSession, Leg, LegDoor, Role, plain_address

IVR_TONE = 450.0
PSTN = re.compile(r"^\+?1555010(\d{4})$")


@dataclass
class EndpointCall:
    """The endpoint side of one call: its peer and what it received."""

    leg: Leg
    peer: Peer | None = None
    tones: list[ToneSource] = field(default_factory=list)
    received: dict[str, int] = field(default_factory=dict)
    custom_parameters: list[dict[str, str]] = field(default_factory=list)
    digits: list[str] = field(default_factory=list)
    dtmf_mode: str | None = None  # "rfc4733" | "inband" once digits are heard
    consumers: list[asyncio.Task[None]] = field(default_factory=list)
    rfc4733: Any = None
    audio: AudioCapture | None = None  # what an IVR received, when the endpoints keep it
    heard: asyncio.Event = field(default_factory=asyncio.Event)
    edge: list[Any] = field(default_factory=list)  # the network paths of its media (impairment)
    levels: dict[str, LevelMeter] = field(default_factory=dict)  # per kind: how loud what it hears is

    def to_dict(self) -> dict[str, Any]:
        caller = self.leg.session.caller if self.leg.session else None
        return {"leg": self.leg.id, "endpoint": self.leg.address, "caller": caller.address if caller else None,
                "callerSession": caller.id if caller else None, "state": self.leg.state,
                "digits": "".join(self.digits), "dtmfMode": self.dtmf_mode,
                "customParameters": self.custom_parameters, "received": self.received}


class Endpoints:
    """The registry of scripted endpoints and the calls they are in."""

    NAMES = ("echo", "busy", "noanswer", "reject", "ivr", "ivr-inband", "headers")

    def __init__(self, router: CallRouter, domain: str, progress: Progress,
                 host_addresses: list[str] | None = None) -> None:
        self.router = router
        self.domain = domain
        self.progress = progress  # the endpoints' timings (reject_delay, ivr_answer_delay, no_answer_timeout)
        self.host_addresses = host_addresses or ["127.0.0.1"]
        self.calls: dict[str, EndpointCall] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.network: Any = None  # NetworkConditions: impairment at the platform's media edge
        self.keep_audio = False  # IVRs keep the audio RTP they receive (make record-interop's media oracle)

    # -- identities ----------------------------------------------------------------------------
    def addresses(self) -> list[str]:
        return [f"{name}@{self.domain}" for name in self.NAMES]

    def behaviour(self, address: str) -> tuple[str, float] | None:
        """``(kind, tone Hz)`` for a magic address, None for anyone else."""
        user, _, host = address.partition("@")
        if host in ("", self.domain) and user in self.NAMES:
            return user, IVR_TONE if user.startswith("ivr") else 0.0
        match = PSTN.match(user)
        if match:
            frequency = float(int(match.group(1)))
            return "pstn", frequency if 100 <= frequency <= 4000 else 1000.0
        return None

    def describe(self) -> list[dict[str, str]]:
        return [{"address": a, "behaviour": a.split("@")[0]} for a in self.addresses()] + \
            [{"address": "+1555010FFFF", "behaviour": "pstn: answers with a FFFF Hz tone"}]

    def resolve(self, address: str) -> Any:
        address = plain_address(address)
        behaviour = self.behaviour(address)
        if behaviour is None:
            return None
        kind, frequency = behaviour

        def make_legs(session: CallSession) -> list[Leg]:
            leg = self.router.new_leg(owner=address, front_door=LegDoor.ENDPOINT, role=Role.CALLEE, address=address,
                                      name=f"{kind} endpoint", channel=EndpointChannel(self, kind, frequency))
            self.calls[leg.id] = EndpointCall(leg)
            return [leg]

        return make_legs

    # -- tasks ---------------------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for call in list(self.calls.values()):
            await self._hang_up(call)

    def calls_of(self, caller_session: str | None = None) -> list[EndpointCall]:
        return [c for c in self.calls.values()
                if caller_session is None or (c.leg.session is not None and c.leg.session.caller.id == caller_session)]

    async def _hang_up(self, call: EndpointCall) -> None:
        for task in call.consumers:
            task.cancel()
        for tone in call.tones:
            tone.stop()
        for path in call.edge:
            path.close()
        if call.peer is not None:
            await call.peer.close()
            call.peer = None

    # -- media ---------------------------------------------------------------------------------
    async def _answer_sdp(self, call: EndpointCall, offer: str | None, kind: str, frequency: float) -> str:
        if call.peer is None:
            call.peer = Peer(servers=[], host_addresses=self.host_addresses, preferred_codecs=None,
                             on_track=lambda track, transceiver: self._received(call, kind, track))
        peer = call.peer
        if not offer:
            raise ValueError("endpoints do not take slow-start calls")
        await peer.set_remote(offer, "offer")
        for transceiver in peer.transceivers():
            if transceiver.sender.track is not None:
                continue
            if kind == "echo":
                transceiver.sender.replaceTrack(transceiver.receiver.track)
            elif transceiver.kind == "audio":
                tone = ToneSource(frequency, label=f"{kind} tone")
                call.tones.append(tone)
                transceiver.sender.replaceTrack(tone)
            transceiver.direction = "sendrecv" if transceiver.sender.track is not None else "recvonly"
        answer = await peer.create_answer(lambda sdp: sdp)
        event_pt = telephone_event_pt(offer)
        if kind == "ivr" and event_pt is not None:  # accept RFC 4733 with the caller's payload type
            answer = str(offer_telephone_event(Sdp.parse(answer), event_pt))
            audio = next((t for t in peer.transceivers() if t.kind == "audio"), None)
            if audio is not None and call.rfc4733 is None:
                call.rfc4733 = Rfc4733Receiver(audio.receiver.transport, event_pt,
                                               lambda digit: self._digit(call, digit, "rfc4733"))
        if kind.startswith("ivr") and self.keep_audio and call.audio is None:
            self._capture_audio(call, peer, answer)
        self._attach_network(call, peer)
        return answer

    @staticmethod
    def _capture_audio(call: EndpointCall, peer: Peer, answer: str) -> None:
        audio = next((t for t in peer.transceivers() if t.kind == "audio"), None)
        sections = Sdp.parse(answer).of_kind("audio")
        if audio is not None and sections:
            codecs = [c for c in sections[0].codecs() if c.name.lower() != "telephone-event"]
            call.audio = AudioCapture(audio.receiver.transport, codecs, lambda: len(call.digits))

    def _attach_network(self, call: EndpointCall, peer: Peer) -> None:
        """The caller's network conditions apply between the caller and the endpoint's sockets."""
        session = call.leg.session
        if self.network is None or session is None:
            return
        caller = session.caller
        call.edge += self.network.attach_endpoint(peer.pc, user=caller.owner,
                                                  calls={session.id, caller.id, call.leg.id})

    def _received(self, call: EndpointCall, kind: str, track: Any) -> None:
        call.received[track.kind] = call.received.get(track.kind, 0) + 1
        if kind == "echo":
            return  # the echo's sender reads this track
        on_frame = None
        if track.kind == "audio":
            meter = call.levels[track.kind] = LevelMeter()
            on_frame = meter.feed
            if kind.startswith("ivr"):
                detector = GoertzelDetector(lambda digit: self._digit(call, digit, "inband"))

                def on_frame(frame: Any) -> None:
                    meter.feed(frame)
                    detector.feed(frame)
        call.consumers.append(asyncio.get_running_loop().create_task(consume(track, on_frame)))

    @staticmethod
    def _digit(call: EndpointCall, digit: str, mode: str) -> None:
        call.digits.append(digit)
        call.dtmf_mode = mode
        call.heard.set()

    async def wait_digits(self, caller_session: str, count: int, timeout: float = 10.0) -> str:
        """Wait until the endpoint in the caller's session has heard ``count`` digits; return them."""
        async with asyncio.timeout(timeout):
            while True:
                calls = self.calls_of(caller_session)
                if calls and len(calls[0].digits) >= count:
                    return "".join(calls[0].digits)
                if calls:
                    calls[0].heard.clear()
                    await calls[0].heard.wait()
                else:
                    raise ValueError(f"no endpoint call for session {caller_session}")


class EndpointChannel:
    """Router notifications for an endpoint leg become the endpoint's scripted behaviour."""

    def __init__(self, endpoints: Endpoints, kind: str, frequency: float) -> None:
        self._endpoints = endpoints
        self._kind = kind
        self._frequency = frequency

    @property
    def _router(self) -> CallRouter:
        return self._endpoints.router

    def invitation(self, leg: Leg, offer: str | None) -> None:
        self._endpoints.spawn(self._on_invite(leg, offer))

    async def _on_invite(self, leg: Leg, offer: str | None) -> None:
        endpoints = self._endpoints
        call = endpoints.calls[leg.id]
        call.custom_parameters = list(leg.session.caller.custom_parameters) if leg.session else []
        if self._kind == "busy":
            self._router.reject(leg, BUSY)
            return
        self._router.ringing(leg)
        if self._kind == "reject":
            await endpoints.progress.wait("reject_delay")
            if leg.state != ENDED:
                self._router.reject(leg, DECLINED)
            return
        if self._kind == "noanswer":
            await endpoints.progress.wait("no_answer_timeout")
            if leg.state != ENDED:
                self._router.reject(leg, NO_ANSWER)
            return
        try:
            sdp = await endpoints._answer_sdp(call, offer, self._kind, self._frequency)
        except Exception:
            if leg.state != ENDED:
                self._router.reject(leg, (488, "Not Acceptable Here"))
            return
        if leg.state == ENDED:
            return
        if self._kind == "headers":  # answer carrying back the headers of the invitation
            leg.custom_parameters = list(call.custom_parameters)
        if self._kind.startswith("ivr"):
            self._router.early_media(leg, sdp)
            await endpoints.progress.wait("ivr_answer_delay")
            if leg.state == ENDED:
                return
        self._router.answer(leg, sdp)

    def offer(self, leg: Leg, sdp: str | None) -> None:
        self._endpoints.spawn(self._on_offer(leg, sdp))

    async def _on_offer(self, leg: Leg, sdp: str | None) -> None:
        call = self._endpoints.calls.get(leg.id)
        if call is None or call.peer is None or not sdp:
            return
        answer = await self._endpoints._answer_sdp(call, sdp, self._kind, self._frequency)
        with contextlib.suppress(Exception):
            self._router.respond(leg, answer)

    def ringing(self, leg: Leg) -> None:
        """Endpoints never call out, so they are never rung back."""

    def early_media(self, leg: Leg, sdp: str) -> None:
        """Not applicable to a callee."""

    def accepted(self, leg: Leg, sdp: str) -> None:
        """Not applicable to a callee."""

    def answer(self, leg: Leg, sdp: str) -> None:
        """Endpoints never re-offer, so no answer comes back to them."""

    def ended(self, leg: Leg, status: int, reason: str) -> None:
        self._finish(leg)

    def cancelled(self, leg: Leg) -> None:
        self._finish(leg)

    def custom_parameters(self, leg: Leg, parameters: list[dict[str, str]]) -> None:
        call = self._endpoints.calls.get(leg.id)
        if call is None:
            return
        call.custom_parameters = list(parameters)
        if self._kind == "headers" and leg.state != ENDED:
            self._router.send_custom_parameters(leg, list(parameters))

    def _finish(self, leg: Leg) -> None:
        call = self._endpoints.calls.get(leg.id)
        if call is not None:
            self._endpoints.spawn(self._endpoints._hang_up(call))
