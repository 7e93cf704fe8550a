"""In-band DTMF from the official SDKs: what a real IVR hears when telephone-event is not negotiated
(the media oracle's captures, tests/contract/test_media_oracle.py).

``ivr-inband@`` answers without telephone-event, so CPaaS 4.9.0 and CallMe 5.5.0 mix two WebAudio
oscillators into the microphone's audio for each digit (the documented fallback of
``call.sendDTMF``), and Chromium encodes the mix in Opus. The platform's IVR decodes it and runs its
Goertzel detector.

Two facts of the official builds shape the tests (docs/decisions.md, "In-band DTMF from the
official SDKs"):

* CPaaS 4.9.0's tone table swaps ``0`` and ``*`` against ITU-T Q.23 (it plays 941 + 1209 Hz for
  ``0`` and 941 + 1336 Hz for ``*``), so a real IVR hears ``*`` for ``0`` and ``0`` for ``*``: so
  does ours. CallMe 5.5.0's table is Q.23's: its keys are heard as sent.
* The oscillators play at a tenth of full scale over the live microphone. The suite's usual
  microphone, a 660 Hz whistle at half scale, sits 37 Hz from the 697 Hz row tone and beats with it
  (measured: row-1 and row-2 digits dropped out for 40 ms and were reported twice), which no 20 ms
  detector separates. Here the caller's microphone carries the same whistle twenty times quieter,
  a background under the keys rather than a competing signal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_platform import Platform

from .browser import Browser, BrowserApp, write_tone
from .official_callme import call_endpoint, open_callme, wait_state
from .official_cpaas import open_cpaas
from .python_side import CALL_TIMEOUT

SENT = "159*0#"  # every row and column of the keypad's twelve keys
CPAAS_4_9_HEARS = SENT.translate(str.maketrans("0*", "*0"))  # its table swaps 0 and * (docstring)
BACKGROUND_AMPLITUDE = 0.025


@pytest.fixture
def tone_file(tmp_path: Path) -> Path:
    return write_tone(tmp_path / "quiet-tone.wav", amplitude=BACKGROUND_AMPLITUDE)


async def _ivr_hears(platform: Platform, app: BrowserApp, call_id: str, session: str) -> str:
    """The app keys SENT (150 ms tones, 70 ms gaps) after half a second of media both ways (the
    capture's lead-in); the digits the IVR heard, which must have come in band."""
    await app.wait_inbound(25)
    await app.js("([id, tones]) => client.call.sendDTMF(id, tones, 150, 70)", [call_id, SENT])
    heard = await platform.wait_endpoint_digits(session, len(SENT), timeout=CALL_TIMEOUT)
    assert platform.endpoint_calls(session)[0]["dtmfMode"] == "inband"
    return heard


async def test_the_official_cpaas_sdk_sends_dtmf_in_band_to_an_ivr_without_telephone_event(
        platform: Platform, browser: Browser) -> None:
    platform.timings.ivr_answer_delay = 0.2  # the early media is not what these tests are about
    alice = await open_cpaas(browser, platform, await platform.users.create(), ["call"])
    call_id = await alice.js("to => client.call.make(to, {audio: true, video: false})",
                             f"ivr-inband@{platform.domain}")
    call = await alice.wait_call(call_id, "Connected")
    assert await _ivr_hears(platform, alice, call_id, call["wrtcsSessionId"]) == CPAAS_4_9_HEARS
    await alice.js("id => client.call.end(id)", call_id)
    await alice.wait_call(call_id, "Ended")


async def test_the_official_callme_sdk_sends_dtmf_in_band_to_an_ivr_without_telephone_event(
        platform: Platform, browser: Browser) -> None:
    platform.timings.ivr_answer_delay = 0.2
    app = await open_callme(browser, platform, "carol")
    call_id, session = await call_endpoint(app, platform, "ivr-inband", "carol")
    assert await _ivr_hears(platform, app, call_id, session) == SENT
    # CallMe reports the operation's end (after its last gap), CPaaS 4.9.0 does not: end after it.
    await app.wait_event("call:operation", lambda p: p["operation"] == "SEND_DTMF" and p["transition"] == "FINISH")
    await app.js("id => client.call.end(id)", call_id)
    await wait_state(app, call_id, "Ended")
