"""The IVR's capture of received audio RTP (fake_platform/calls/capture.py, the media oracle's input)."""

from __future__ import annotations

from fake_platform.calls import capture
from fake_platform.calls.capture import AudioCapture
from kandy_media.sdp import Codec

OPUS = Codec(111, "opus", 48000, 2)


class Transport:
    """Stands where aiortc's DTLS transport stands: the capture taps its RTP handler."""

    def __init__(self) -> None:
        self.passed_on: list[bytes] = []

    async def _handle_rtp_data(self, data: bytes, arrival_time_ms: int) -> None:
        self.passed_on.append(data)


def _packet(sequence: int, payload_type: int = 111) -> bytes:
    return bytes([0x80, payload_type]) + sequence.to_bytes(2, "big") + bytes(8) + b"opus"


async def test_every_packet_goes_on_and_only_the_negotiated_audio_is_kept() -> None:
    transport, digits = Transport(), ["1"]
    kept = AudioCapture(transport, [OPUS], lambda: len(digits))
    sent = [_packet(1), _packet(2, payload_type=126), _packet(3, payload_type=96), _packet(4)]
    for packet in sent:
        await transport._handle_rtp_data(packet, 0)
    assert transport.passed_on == sent
    assert kept.around_digits() == [_packet(1), _packet(4)]


async def test_only_the_window_around_the_digits_is_kept() -> None:
    transport, digits = Transport(), []
    kept = AudioCapture(transport, [OPUS], lambda: len(digits))
    for sequence in range(200):
        if sequence in (100, 120):  # the IVR hears a digit just before these packets arrive
            digits.append("5")
        await transport._handle_rtp_data(_packet(sequence), 0)
    window = kept.around_digits()
    first, last = 100 - capture.BEFORE_FIRST_DIGIT, 120 + capture.AFTER_LAST_DIGIT
    assert window == [_packet(s) for s in range(first, last)]


async def test_no_digit_keeps_nothing_and_the_capture_is_bounded() -> None:
    transport, digits = Transport(), []
    kept = AudioCapture(transport, [OPUS], lambda: len(digits))
    for sequence in range(capture.KEPT_PACKETS + 10):
        await transport._handle_rtp_data(_packet(sequence % 65536), 0)
    assert kept.around_digits() == []
    digits.append("1")
    await transport._handle_rtp_data(_packet(7), 0)
    assert len(kept.around_digits()) == capture.BEFORE_FIRST_DIGIT + 1
