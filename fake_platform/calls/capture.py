"""The audio RTP an IVR received, kept as it arrived, for ``make record-interop``'s media oracle.

tests/contract/test_media_oracle.py decodes Chromium's packets with a decoder that is not ours and
runs the IVR's Goertzel detector over them, so a bug shared by our in-band encoder and our detector
cannot pass. Off unless :attr:`Endpoints.keep_audio <fake_platform.calls.endpoints.Endpoints>` is
set (the interop suite sets it when it records); bounded either way.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from kandy_media import compat
from kandy_media.sdp import Codec

KEPT_PACKETS = 1500  # 30 s of 20 ms packets: a whole interop call
BEFORE_FIRST_DIGIT = 50  # packets kept before the first digit was heard (1 s: the tone's start, jitter)
AFTER_LAST_DIGIT = 25  # and after the last one (its tone's tail)


class AudioCapture:
    """Received audio packets (the negotiated payload types only), each with how many digits the
    IVR had heard when it arrived, so that only the window around the digits is kept."""

    def __init__(self, transport: Any, codecs: list[Codec], heard: Callable[[], int]) -> None:
        self.codecs = {codec.payload: codec for codec in codecs}
        self._heard = heard
        self._packets: deque[tuple[bytes, int]] = deque(maxlen=KEPT_PACKETS)
        compat.tap_rtp(transport, self._packet)

    def _packet(self, data: bytes) -> None:
        if len(data) >= 12 and (data[1] & 0x7F) in self.codecs:
            self._packets.append((bytes(data), self._heard()))

    def around_digits(self) -> list[bytes]:
        """The packets from a second before the first digit was heard to half a second after the
        last (arrival order); none when no digit was heard."""
        marks = [heard for _, heard in self._packets]
        if not marks or marks[-1] == 0:
            return []
        first = next(i for i, heard in enumerate(marks) if heard > 0)
        last = marks.index(marks[-1])
        return [packet for packet, _ in list(self._packets)[max(0, first - BEFORE_FIRST_DIGIT):last + AFTER_LAST_DIGIT]]
