"""Call quality from what a client observes: the E-model's R-factor and MOS from WebRTC statistics,
audio gaps and video freezes from what was played.

**E-model** (ITU-T G.107 (06/2015)), simplified the way VoIP monitors use it: every parameter at
its G.107 default except delay, codec and packet loss, so that

* ``R = 93.2 - Id - Ie,eff`` (93.2 is ``R0 - Is`` with the defaults; the advantage factor A is 0);
* ``Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)``, H the step function: Cole and Rosenbluth's
  fit of G.107's delay impairment for default echo control ("Voice over IP performance
  monitoring", ACM SIGCOMM Computer Communication Review 31(2), 2001);
* ``Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl)`` (G.107 equation 7-29), ``Ppl`` the
  packet loss in %, ``BurstR`` 1 (random loss: WebRTC statistics do not say how losses cluster);
* ``MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R)`` (G.107 Annex B), 1 below R = 0, 4.5 above 100.

``d`` is the one-way mouth-to-ear delay (ms): half the RTCP round trip, plus a jitter buffer of
twice the interarrival jitter, plus one packet (20 ms) of packetisation. ``Ppl`` over an interval
is what the RTP counters say, which learn of a loss only when a later packet arrives: a blackout
still running when the interval ends shows as fewer packets, not as loss (measure windows that end
after media came back, or read the playout gaps). Codec factors
(:data:`CODECS`): G.711 has ``Ie`` 0 and ``Bpl`` 25.1 with packet loss concealment (ITU-T G.113
Appendix I), as browsers conceal; ITU-T gives no narrowband factors for Opus, so it gets G.711's
(our choice, so MOS compares networks, not codecs).

**Playout**: the share of media time that was not heard (frames missing from the decoded stream,
or silent), and video freezes by the W3C statistics definition (a frame shown
``max(3 x average frame duration, average + 150 ms)`` or more after the one before).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

R_DEFAULT = 93.2
PACKETISATION_MS = 20.0
FREEZE_MIN_EXTRA = 0.150  # seconds above the average frame duration
FREEZE_AVERAGE_OF = 30  # frames the average frame duration is taken over


@dataclass(frozen=True)
class CodecFactors:
    """E-model equipment impairment ``ie`` and packet-loss robustness ``bpl`` of a codec."""

    ie: float
    bpl: float
    source: str


_G711 = CodecFactors(0.0, 25.1, "ITU-T G.113 Appendix I, G.711 with packet loss concealment")
CODECS: dict[str, CodecFactors] = {
    "pcmu": _G711,
    "pcma": _G711,
    "opus": CodecFactors(0.0, 25.1, "no ITU-T narrowband factors: G.711's (our choice)"),
}


def codec_factors(codec: str) -> CodecFactors:
    """By MIME type or name (``audio/PCMU``, ``opus``); an unknown codec gets G.711's."""
    return CODECS.get(codec.rsplit("/", 1)[-1].lower(), _G711)


def delay_impairment(delay_ms: float) -> float:
    return 0.024 * delay_ms + (0.11 * (delay_ms - 177.3) if delay_ms > 177.3 else 0.0)


def loss_impairment(loss_percent: float, codec: str = "PCMU", burst_ratio: float = 1.0) -> float:
    factors = codec_factors(codec)
    if loss_percent <= 0:
        return factors.ie
    return factors.ie + (95.0 - factors.ie) * loss_percent / (loss_percent / burst_ratio + factors.bpl)


def r_factor(delay_ms: float, loss_percent: float, codec: str = "PCMU", burst_ratio: float = 1.0) -> float:
    return R_DEFAULT - delay_impairment(delay_ms) - loss_impairment(loss_percent, codec, burst_ratio)


def mos(r: float) -> float:
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r)


def mouth_to_ear_ms(rtt_s: float | None, jitter_s: float | None, packet_ms: float = PACKETISATION_MS) -> float:
    return (rtt_s or 0.0) * 500.0 + 2000.0 * (jitter_s or 0.0) + packet_ms


@dataclass(frozen=True)
class StreamQuality:
    """The quality of one direction of a call's stream of one kind over an interval.

    ``inbound``: what this client receives; ``outbound``: what its peer reports receiving
    (RTCP receiver reports: remote-inbound-rtp)."""

    direction: str
    kind: str
    codec: str
    packets: int  # expected in the interval: received + lost
    lost: int
    loss: float  # %
    jitter_ms: float | None
    rtt_ms: float | None
    delay_ms: float
    r: float
    mos: float

    def to_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _by_id(stats: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    if isinstance(stats, Mapping):
        return {str(k): v for k, v in stats.items()}
    return {str(s["id"]): s for s in stats}


def _one(stats: dict[str, Mapping[str, Any]], type_: str, kind: str) -> Mapping[str, Any] | None:
    return next((s for s in stats.values() if s.get("type") == type_ and s.get("kind", kind) == kind), None)


def call_quality(after: Mapping[str, Any] | Iterable[Mapping[str, Any]],
                 before: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
                 kind: str = "audio") -> dict[str, StreamQuality]:
    """``{"inbound": ..., "outbound": ...}`` for the interval between two getStats reports of one
    peer connection (``before`` None: since the call started). Either report is our SDK's
    ``call.getStats`` result or a browser's (W3C units: seconds)."""
    now, then = _by_id(after), _by_id(before or {})
    remote = _one(now, "remote-inbound-rtp", kind)
    rtt = remote.get("roundTripTime") if remote is not None else None
    result: dict[str, StreamQuality] = {}
    inbound = _one(now, "inbound-rtp", kind)
    if inbound is not None:
        previous = then.get(str(inbound["id"]), {})
        received = int(inbound.get("packetsReceived", 0)) - int(previous.get("packetsReceived", 0))
        lost = max(0, int(inbound.get("packetsLost", 0)) - int(previous.get("packetsLost", 0)))
        result["inbound"] = _quality("inbound", kind, _codec(now, inbound), received, lost, inbound.get("jitter"), rtt)
    if remote is not None:
        previous = then.get(str(remote["id"]), {})
        lost = max(0, int(remote.get("packetsLost", 0)) - int(previous.get("packetsLost", 0)))
        # aiortc's receiver reports carry packetsReceived; a browser's only the loss fraction of the last one
        reported = int(remote["packetsReceived"]) - int(previous.get("packetsReceived", 0)) \
            if "packetsReceived" in remote else None
        result["outbound"] = _quality("outbound", kind, _codec(now, remote), reported, lost, remote.get("jitter"), rtt,
                                      fraction=remote.get("fractionLost"))
    return result


def _codec(stats: dict[str, Mapping[str, Any]], stream: Mapping[str, Any]) -> str:
    codec = stats.get(str(stream.get("codecId")))
    return str(codec["mimeType"]) if codec is not None else "audio/PCMU"


def _quality(direction: str, kind: str, codec: str, received: int | None, lost: int, jitter_s: Any,
             rtt_s: Any, fraction: Any = None) -> StreamQuality:
    if received is None:
        packets, loss = 0, 100.0 * float(fraction or 0.0)
    else:
        packets = max(0, received) + lost
        loss = 100.0 * lost / packets if packets else 0.0
    delay = mouth_to_ear_ms(rtt_s, jitter_s)
    r = r_factor(delay, loss, codec)
    return StreamQuality(direction=direction, kind=kind, codec=codec, packets=packets, lost=lost, loss=loss,
                         jitter_ms=None if jitter_s is None else 1000.0 * float(jitter_s),
                         rtt_ms=None if rtt_s is None else 1000.0 * float(rtt_s), delay_ms=delay, r=r, mos=mos(r))


# -- playout -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlayedFrame:
    """An audio frame as it was played: media time (s), duration (s), and whether it was audible."""

    pts: float
    duration: float
    audible: bool


def audio_gaps(frames: Sequence[PlayedFrame]) -> float:
    """The share (0..1) of the media time the frames span that was not heard: frames that never
    came (a jump in media time) and silent ones."""
    if not frames:
        return 1.0
    ordered = sorted(frames, key=lambda f: f.pts)
    span = ordered[-1].pts + ordered[-1].duration - ordered[0].pts
    heard = sum(f.duration for f in ordered if f.audible)
    return 0.0 if span <= 0 else min(1.0, max(0.0, 1.0 - heard / span))


def video_freezes(arrivals: Sequence[float]) -> tuple[int, float]:
    """``(count, seconds frozen)`` of a video track shown at ``arrivals`` (seconds, ascending)."""
    count, frozen = 0, 0.0
    durations: list[float] = []
    for earlier, later in itertools.pairwise(arrivals):
        interval = later - earlier
        if len(durations) >= 3:
            average = sum(durations[-FREEZE_AVERAGE_OF:]) / len(durations[-FREEZE_AVERAGE_OF:])
            if interval >= max(3 * average, average + FREEZE_MIN_EXTRA):
                count += 1
                frozen += interval
                continue
        durations.append(interval)
    return count, frozen
