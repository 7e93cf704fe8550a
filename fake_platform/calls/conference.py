"""An audio conference bridge for ``join``: each participant hears the sum of the others.

Every participant has its own leg and aiortc peer with the bridge. Received audio is resampled to
48 kHz mono and queued in 20 ms chunks; each participant's outgoing track mixes the latest chunk
of every other participant (clipped to 16 bits), paced by the loop clock.
"""

from __future__ import annotations

import asyncio
import fractions
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from kandy_media.peer import Peer
from kandy_media.sources import AUDIO_PTIME, AUDIO_RATE, AUDIO_SAMPLES

from .models import ENDED, CallRouter, Leg

INBOX_CHUNKS = 10


@dataclass
class Participant:
    leg: Leg
    peer: Peer | None = None
    # what this participant is to hear, per speaker: every speaker's chunks reach every listener
    inbox: dict[str, deque[np.ndarray]] = field(default_factory=dict)
    pending: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    output: MediaStreamTrack | None = None


class MixTrack(MediaStreamTrack):
    """What one participant hears: everyone else, mixed."""

    kind = "audio"

    def __init__(self, conference: Conference, listener: str) -> None:
        super().__init__()
        self._conference = conference
        self._listener = listener
        self._start: float | None = None
        self._count = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        self._start = self._start or loop.time()
        index = self._count
        self._count += 1
        wait = self._start + index * AUDIO_PTIME - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        mixed = np.zeros(AUDIO_SAMPLES, dtype=np.int32)
        listener = self._conference.participants.get(self._listener)
        for queue in (listener.inbox.values() if listener is not None else ()):
            if queue:
                mixed += queue.popleft()
        frame = av.AudioFrame.from_ndarray(np.clip(mixed, -32768, 32767).astype(np.int16).reshape(1, -1),
                                           format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = index * AUDIO_SAMPLES
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


class Conference:
    def __init__(self, router: CallRouter, conference_id: str, host_addresses: list[str]) -> None:
        self.router = router
        self.id = conference_id
        self.host_addresses = host_addresses
        self.participants: dict[str, Participant] = {}

    def channel(self) -> ConferenceChannel:
        return ConferenceChannel(self)

    async def answer(self, leg: Leg, offer: str) -> str:
        participant = self.participants.setdefault(leg.id, Participant(leg))
        if participant.peer is not None:
            await participant.peer.close()
        participant.peer = Peer(servers=[], host_addresses=self.host_addresses, preferred_codecs=None,
                                on_track=lambda track, transceiver: self._incoming(participant, track))
        await participant.peer.set_remote(offer, "offer")
        participant.output = MixTrack(self, leg.id)
        for transceiver in participant.peer.transceivers():
            if transceiver.kind == "audio":
                transceiver.sender.replaceTrack(participant.output)
                transceiver.direction = "sendrecv"
            else:
                transceiver.direction = "inactive"  # the joined call is audio only
        return await participant.peer.create_answer(lambda sdp: sdp)

    def _incoming(self, participant: Participant, track: Any) -> None:
        if track.kind == "audio":
            participant.tasks.append(asyncio.get_running_loop().create_task(self._collect(participant, track)))

    async def _collect(self, participant: Participant, track: Any) -> None:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=AUDIO_RATE)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            for out in resampler.resample(frame):
                samples = np.concatenate([participant.pending, out.to_ndarray().reshape(-1).astype(np.int32)])
                while samples.size >= AUDIO_SAMPLES:
                    chunk = samples[:AUDIO_SAMPLES]
                    for listener_id, listener in self.participants.items():
                        if listener_id != participant.leg.id:
                            queue = listener.inbox.setdefault(participant.leg.id, deque(maxlen=INBOX_CHUNKS))
                            queue.append(chunk)
                    samples = samples[AUDIO_SAMPLES:]
                participant.pending = samples

    async def leave(self, leg: Leg) -> None:
        participant = self.participants.pop(leg.id, None)
        if participant is None:
            return
        for other in self.participants.values():
            other.inbox.pop(leg.id, None)
        for task in participant.tasks:
            task.cancel()
        if participant.output is not None:
            participant.output.stop()
        if participant.peer is not None:
            await participant.peer.close()

    async def close(self) -> None:
        for participant in list(self.participants.values()):
            await self.leave(participant.leg)


class ConferenceChannel:
    """Router notifications for the bridge's legs: answer offers, leave when a leg ends."""

    def __init__(self, conference: Conference) -> None:
        self._conference = conference
        self._tasks: set[asyncio.Task[None]] = set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def invitation(self, leg: Leg, offer: str | None) -> None:
        self._spawn(self._answer_invitation(leg, offer))

    async def _answer_invitation(self, leg: Leg, offer: str | None) -> None:
        if not offer:
            self._conference.router.reject(leg, (488, "Not Acceptable Here"))
            return
        sdp = await self._conference.answer(leg, offer)
        if leg.state != ENDED:
            self._conference.router.answer(leg, sdp)

    def offer(self, leg: Leg, sdp: str | None) -> None:
        if sdp:
            self._spawn(self._answer_offer(leg, sdp))

    async def _answer_offer(self, leg: Leg, sdp: str) -> None:
        answer = await self._conference.answer(leg, sdp)
        if leg.state != ENDED:
            self._conference.router.respond(leg, answer)

    def ringing(self, leg: Leg) -> None:
        """The bridge never calls out."""

    def early_media(self, leg: Leg, sdp: str) -> None:
        """Not applicable."""

    def accepted(self, leg: Leg, sdp: str) -> None:
        """Not applicable."""

    def answer(self, leg: Leg, sdp: str) -> None:
        """The bridge never re-offers."""

    def ended(self, leg: Leg, status: int, reason: str) -> None:
        self._spawn(self._conference.leave(leg))

    def cancelled(self, leg: Leg) -> None:
        self._spawn(self._conference.leave(leg))

    def custom_parameters(self, leg: Leg, parameters: list[dict[str, str]]) -> None:
        """Ignored by the bridge."""
