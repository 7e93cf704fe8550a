"""In-band DTMF from the official CPaaS SDK: what a real IVR hears when telephone-event is not
negotiated (the media oracle's capture, tests/contract/test_media_oracle.py).

``ivr-inband@`` answers without telephone-event, so CPaaS 4.9.0 mixes two WebAudio oscillators into
the microphone's audio for each digit (the documented fallback of ``call.sendDTMF``), and Chromium
encodes the mix in Opus. The platform's IVR decodes it and runs its Goertzel detector.

Two facts of the official build shape the test (docs/decisions.md, "In-band DTMF from the official
CPaaS SDK"):

* its tone table swaps ``0`` and ``*`` against ITU-T Q.23 (it plays 941 + 1209 Hz for ``0`` and
  941 + 1336 Hz for ``*``), so a real IVR hears ``*`` for ``0`` and ``0`` for ``*``: so does ours;
* its oscillators play at a tenth of full scale over the live microphone. The suite's usual
  microphone, a 660 Hz whistle at half scale, sits 37 Hz from the 697 Hz row tone and beats with it
  (measured: row-1 and row-2 digits dropped out for 40 ms and were reported twice), which no 20 ms
  detector separates. Here the caller's microphone carries the same whistle twenty times quieter,
  a background under the keys rather than a competing signal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_platform import Platform

from .browser import Browser, write_tone
from .official_cpaas import open_cpaas
from .python_side import CALL_TIMEOUT

SENT = "159*0#"  # every row and column of the keypad's twelve keys
# What the official build's tones are by ITU-T Q.23: its table swaps 0 and * (docstring).
HEARD = SENT.translate(str.maketrans("0*", "*0"))
BACKGROUND_AMPLITUDE = 0.025


@pytest.fixture
def tone_file(tmp_path: Path) -> Path:
    return write_tone(tmp_path / "quiet-tone.wav", amplitude=BACKGROUND_AMPLITUDE)


async def test_the_official_sdk_sends_dtmf_in_band_to_an_ivr_without_telephone_event(
        platform: Platform, browser: Browser) -> None:
    platform.timings.ivr_answer_delay = 0.2  # the early media is not what this test is about
    alice = await open_cpaas(browser, platform, await platform.users.create(), ["call"])
    call_id = await alice.js("to => client.call.make(to, {audio: true, video: false})",
                             f"ivr-inband@{platform.domain}")
    call = await alice.wait_call(call_id, "Connected")
    await alice.wait_inbound(25)  # half a second of media both ways before the keys (the capture's lead-in)

    await alice.js("([id, tones]) => client.call.sendDTMF(id, tones, 150, 70)", [call_id, SENT])
    heard = await platform.wait_endpoint_digits(call["wrtcsSessionId"], len(SENT), timeout=CALL_TIMEOUT)
    assert heard == HEARD
    assert platform.endpoint_calls(call["wrtcsSessionId"])[0]["dtmfMode"] == "inband"
    await alice.js("id => client.call.end(id)", call_id)
    await alice.wait_call(call_id, "Ended")
