"""An audio jitter buffer that gives a lost packet up and plays on, as a browser's does.

aiortc's audio jitter buffer (16 packets, prefetch 4) returns a frame only when the four after it
are there too, so a lost packet blocks it until the buffer overflows; it then drops the oldest
packets one by one, good ones included, until the hole is gone. Measured on loopback with 5 %
random loss: only 62 % of the audio frames were played (10 %: 33 %; 20 %: 19 %). A browser's
jitter buffer conceals the lost frame and goes on with the next one.

:class:`PlayOnJitterBuffer` keeps aiortc's depth (it waits until more than ``prefetch`` packets are
queued, about 100 ms at 20 ms packets), then plays the oldest packet it has: missing sequence
numbers before it are counted as lost and skipped. Audio RTP packets are one frame each (Opus,
G.711), so a packet is a frame. Video keeps aiortc's buffer (frames span packets; NACK repairs
them). :func:`kandy_media.compat.install` makes aiortc's receivers use it.
"""

from __future__ import annotations

from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.utils import uint16_add


class PlayOnJitterBuffer(JitterBuffer):
    def __init__(self, capacity: int, prefetch: int = 0, is_video: bool = False) -> None:
        super().__init__(capacity, prefetch=prefetch, is_video=is_video)
        self.skipped = 0  # sequence numbers given up for lost

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        if self._is_video or self._origin is None:
            return super()._remove_frame(sequence_number)
        if sum(1 for packet in self._packets if packet is not None) <= self._prefetch:
            return None
        while self._packets[self._origin % self._capacity] is None:
            self._origin = uint16_add(self._origin, 1)
            self.skipped += 1
        packet = self._packets[self._origin % self._capacity]
        assert packet is not None
        self.remove(1)
        return JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]


def jitter_buffer(capacity: int, prefetch: int = 0, is_video: bool = False) -> JitterBuffer:
    """What aiortc's receiver builds its jitter buffers with (audio: ours, video: aiortc's)."""
    if is_video:
        return JitterBuffer(capacity, prefetch=prefetch, is_video=True)
    return PlayOnJitterBuffer(capacity, prefetch=prefetch)
