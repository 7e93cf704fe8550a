"""Optional call and message traffic between the load users of one Locust process.

Runs on the SDK's loop thread, like :mod:`load.client`; results leave as samples:

* ``CALL setup``: ``call.make`` → the caller's call is Connected (the callee answers at once);
  signalling only, unless the call carries media;
* ``CALL media``: Connected → the caller's container has received ``MEDIA_FRAMES`` audio frames of
  the callee's tone (only for the share of calls that carry media; they stay up ``MEDIA_HOLD_S``,
  or the hold given). With dense media (``ClientSettings.dense_media``) 1 call in N is checked so,
  the others pass when ``MEDIA_FRAMES`` packets arrived (counted, not decoded: kandy_media.dense);
* ``CALL end``: ``call.end`` resolved;
* ``QUALITY audio MOS x100`` / ``QUALITY audio gaps %``: over the hold of a call with media, the
  caller's E-model MOS of what it receives (two getStats reports, :mod:`kandy_media.quality`) and
  the share of that time its rendered audio was missing or silent (decoded tracks only);
* ``MESSAGE delivery``: ``send()`` called → the recipient's ``messages:change`` for that message
  (CPaaS one-to-one chat; Link has no messaging).

Peers are users of the same process (the sender and the receiver must share a clock); in a
distributed run every worker's users talk among themselves.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kandy_media.quality import call_quality

from . import metrics

if TYPE_CHECKING:
    from .client import LoadClient

CALL_TIMEOUT_S = 15.0
MEDIA_FRAMES = 25  # half a second of 20 ms audio frames
MEDIA_TIMEOUT_S = 10.0
MEDIA_HOLD_S = 3.0
DELIVERY_TIMEOUT_S = 15.0
MESSAGE_PREFIX = "load-message"
ENDED_STATES = ("Ended", "Cancelled")

_message_seq = itertools.count(1)


@dataclass
class Pending:
    """A message on its way: who sent it and when (perf_counter, this process)."""

    sender: str
    sent_at: float
    timer: asyncio.TimerHandle | None = None


class Traffic:
    """The process's registry of load clients that take part in calls and messages."""

    def __init__(self) -> None:
        self.peers: dict[str, LoadClient] = {}
        self.pending: dict[int, Pending] = {}

    # -- membership --------------------------------------------------------------------------
    def join(self, load: LoadClient) -> None:
        """Answer every incoming call and report every message that arrives for ``load``."""
        client = load.client
        assert client is not None
        self.peers[load.user_id] = load
        client.on("call:receive", lambda params: self._answer(load, params))
        if load.product == "cpaas":
            client.on("messages:change", lambda params: self._arrived(load, params))

    def leave(self, load: LoadClient) -> None:
        self.peers.pop(load.user_id, None)

    def peer_for(self, load: LoadClient, product: str | None = None) -> LoadClient | None:
        """A random other connected user (of ``product``, if given) of this process."""
        candidates = [p for p in self.peers.values() if p is not load and p.connected and not p._stopping
                      and (product is None or p.product == product)]
        return random.choice(candidates) if candidates else None

    # -- calls -------------------------------------------------------------------------------
    def _answer(self, load: LoadClient, params: dict[str, Any]) -> None:
        client = load.client
        if client is not None and not load._stopping:
            client.spawn(self._answer_when_ringing(load, client, params["callId"]), "load-answer")

    async def _answer_when_ringing(self, load: LoadClient, client: Any, call_id: str) -> None:
        """``call:receive`` comes in Initiating; a call can be answered once it is Ringing."""
        def ringing(_params: Any = None) -> bool:
            call = client.call.getById(call_id)
            return call is not None and call["state"] == "Ringing"

        try:
            if not ringing():
                await client.wait_for("call:stateChange", lambda p: p.get("callId") == call_id and ringing(),
                                      timeout=CALL_TIMEOUT_S)
            await client.call.answer(call_id, {"audio": True})
        except Exception as exc:  # the caller's setup sample reports the failure; note why
            load.counters.errors.append(f"answer: {type(exc).__name__}: {exc}")

    async def place_call(self, load: LoadClient, with_media: bool, hold: float = MEDIA_HOLD_S) -> bool:
        """One call from ``load`` to a peer; False when there was nobody to call."""
        callee = self.peer_for(load)
        client = load.client
        if callee is None or client is None:
            return False
        started = time.perf_counter()
        call_id = client.call.make(callee.user_id, {"audio": True})
        state = await self._settled(client, call_id)
        setup_ms = (time.perf_counter() - started) * 1000
        detail = {"product": load.product, "callee": callee.user_id, "media": with_media}
        if state != "Connected":
            load.emit(metrics.CALL, metrics.CALL_SETUP, setup_ms, False,
                      error=f"call is {state} after {setup_ms / 1000:.1f} s", detail=detail)
            await self._end(load, call_id, report=False)
            return True
        load.emit(metrics.CALL, metrics.CALL_SETUP, setup_ms, True, detail=detail)
        if with_media:
            if await self._check_media(load, call_id, callee):
                await self._quality(load, call_id, hold)
            else:
                await asyncio.sleep(hold)  # the checks look at keepalive meanwhile
        await self._end(load, call_id, report=True)
        return True

    async def _settled(self, client: Any, call_id: str) -> str:
        """The call's state once Connected or over (or whatever it is at the timeout)."""
        def settled(_params: Any = None) -> bool:
            call = client.call.getById(call_id)
            return call is None or call["state"] in ("Connected", *ENDED_STATES)

        if not settled():
            try:
                await client.wait_for("call:stateChange", lambda p: p.get("callId") == call_id and settled(),
                                      timeout=CALL_TIMEOUT_S)
            except TimeoutError:
                pass
        call = client.call.getById(call_id)
        return "gone" if call is None else str(call["state"])

    async def _check_media(self, load: LoadClient, call_id: str, callee: LoadClient) -> bool:
        client = load.client
        assert client is not None
        started = time.perf_counter()
        selector = f"#load-{call_id}"
        try:
            async with asyncio.timeout(MEDIA_TIMEOUT_S):
                while not client.call.getById(call_id)["remoteTracks"]:
                    await client.wait_for("call:newTrack", lambda p: p.get("callId") == call_id)
            client.media.renderTracks(client.call.getById(call_id)["remoteTracks"], selector)
            container = client.media.getContainer(selector)
            # A counted (dense, unsampled) track has no audio to hear: its packets are the check.
            await container.wait_until(lambda c: c.frames >= MEDIA_FRAMES and any(
                not t.verified or t.rms() > 0.01 for t in c.audio()), timeout=MEDIA_TIMEOUT_S)
        except Exception as exc:  # a timeout or an SDK error: no audio either way
            if load._stopping or callee._stopping:  # the run ended under the check: no verdict
                return False
            load.emit(metrics.CALL, metrics.CALL_MEDIA, (time.perf_counter() - started) * 1000, False,
                      error=f"no audio from {callee.user_id}: {type(exc).__name__}: {exc}")
            return False
        load.emit(metrics.CALL, metrics.CALL_MEDIA, (time.perf_counter() - started) * 1000, True,
                  detail={"frames": container.frames, "verified": container.verified})
        return True

    async def _quality(self, load: LoadClient, call_id: str, hold: float) -> None:
        """Hold the call ``hold`` seconds and report the quality of what the caller received."""
        client = load.client
        assert client is not None
        container = client.media.getContainer(f"#load-{call_id}")
        since = time.monotonic()
        try:
            before = await client.call.getStats(call_id)
            await asyncio.sleep(hold)  # the measurement window: the call's media flows meanwhile
            after = await client.call.getStats(call_id)
        except Exception:  # the call ended under the measurement (a fault, the run's end): no figure
            return
        inbound = call_quality(after, before).get("inbound")
        if inbound is None or load._stopping:
            return
        decoded = [t for t in container.audio() if t.verified]
        gaps = 100.0 * decoded[0].audio_gaps(since) if decoded else None
        detail = {"mos": round(inbound.mos, 3), "loss": round(inbound.loss, 2), "packets": inbound.packets,
                  "jitter_ms": inbound.jitter_ms, "rtt_ms": inbound.rtt_ms, "gaps": gaps, "window_s": hold,
                  "relayed": load.settings.relay}
        load.emit(metrics.QUALITY, metrics.QUALITY_MOS, 100.0 * inbound.mos, True, detail=detail)
        if gaps is not None:
            load.emit(metrics.QUALITY, metrics.QUALITY_GAPS, gaps, True, detail=detail)

    async def _end(self, load: LoadClient, call_id: str, *, report: bool) -> None:
        client = load.client
        assert client is not None
        call = client.call.getById(call_id)
        if call is None or call["state"] in ENDED_STATES:
            return
        started = time.perf_counter()
        try:
            await asyncio.wait_for(client.call.end(call_id), CALL_TIMEOUT_S)
        except Exception as exc:
            if report:
                load.emit(metrics.CALL, metrics.CALL_END, (time.perf_counter() - started) * 1000, False,
                          error=f"{type(exc).__name__}: {exc}")
            return
        if report:
            load.emit(metrics.CALL, metrics.CALL_END, (time.perf_counter() - started) * 1000, True)

    # -- messages ----------------------------------------------------------------------------
    async def send_message(self, load: LoadClient) -> bool:
        """One chat message from ``load`` to a CPaaS peer; False when there was nobody to write to."""
        recipient = self.peer_for(load, product="cpaas")
        client = load.client
        if recipient is None or client is None or load.product != "cpaas":
            return False
        seq = next(_message_seq)
        conversation = client.conversation.create(recipient.user_id)
        message = conversation.createMessage({"type": "text", "text": f"{MESSAGE_PREFIX} {seq}"})
        loop = asyncio.get_running_loop()
        pending = self.pending[seq] = Pending(load.user_id, time.perf_counter())
        pending.timer = loop.call_later(DELIVERY_TIMEOUT_S, self._undelivered, load, seq)
        try:
            await message.send()
        except Exception as exc:
            self._settle(seq)
            load.emit(metrics.MESSAGE, metrics.MESSAGE_DELIVERY, (time.perf_counter() - pending.sent_at) * 1000,
                      False, error=f"send failed: {type(exc).__name__}: {exc}")
        return True

    def _arrived(self, load: LoadClient, params: dict[str, Any]) -> None:
        sender, message_id = params.get("sender"), params.get("messageId")
        if sender is None or sender == load.user_id or message_id is None or load.client is None:
            return
        conversation = load.client.conversation.get(params.get("destination", sender))
        message = conversation.getMessage(message_id) if conversation is not None else None
        words = (message.text if message is not None else "").split()
        if len(words) != 2 or words[0] != MESSAGE_PREFIX or not words[1].isdigit():
            return
        pending = self._settle(int(words[1]))
        if pending is not None:
            load.emit(metrics.MESSAGE, metrics.MESSAGE_DELIVERY, (time.perf_counter() - pending.sent_at) * 1000,
                      True, detail={"sender": pending.sender})

    def _undelivered(self, sender: LoadClient, seq: int) -> None:
        pending = self.pending.pop(seq, None)
        if pending is not None and not sender._stopping:
            sender.emit(metrics.MESSAGE, metrics.MESSAGE_DELIVERY, DELIVERY_TIMEOUT_S * 1000, False,
                        error=f"not delivered within {DELIVERY_TIMEOUT_S} s")

    def _settle(self, seq: int) -> Pending | None:
        pending = self.pending.pop(seq, None)
        if pending is not None and pending.timer is not None:
            pending.timer.cancel()
        return pending
