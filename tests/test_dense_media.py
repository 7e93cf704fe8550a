"""Dense media: a tone encoded once and shared by every call, 1 call in N decoded, the others counted."""

from __future__ import annotations

import fractions
from typing import Any

import aiortc.rtcrtpreceiver
import av
import numpy as np
import pytest

import sdk.cpaas
from kandy_media import dense


def _decoded(payloads: tuple[bytes, ...], codec: str) -> np.ndarray:
    decoder = av.CodecContext.create(codec, "r")
    decoder.format, decoder.layout, decoder.sample_rate = "s16", "mono", 8000
    samples = []
    for n, payload in enumerate(payloads):
        packet = av.Packet(payload)
        packet.pts, packet.time_base = n * 160, fractions.Fraction(1, 8000)
        samples += [frame.to_ndarray().reshape(-1) for frame in decoder.decode(packet)]
    return np.concatenate(samples).astype(np.float32) / 32768


@pytest.mark.parametrize(("mime", "codec"), [("audio/PCMU", "pcm_mulaw"), ("audio/PCMA", "pcm_alaw")])
def test_the_shared_encoding_is_one_second_of_the_tone_made_once(mime: str, codec: str) -> None:
    payloads = dense.encoded_tone(660, mime)
    assert dense.encoded_tone(660, mime) is payloads  # encoded once per process
    assert len(payloads) == 50 and {len(p) for p in payloads} == {160}
    samples = _decoded(payloads, codec)
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.argmax(spectrum) * 8000 / samples.size == pytest.approx(660, abs=2)
    assert float(np.sqrt(np.mean(samples ** 2))) == pytest.approx(0.3 / np.sqrt(2), rel=0.05)
    assert np.abs(_decoded((dense.encoded_silence(mime),), codec)).max() < 1e-3  # A-law has no exact zero


def test_sampling_verifies_the_first_call_then_every_nth_counting_each_direction_apart() -> None:
    sampling = dense.Sampling(3)
    outgoing = [sampling.verify_next("outgoing") for _ in range(7)]
    incoming = [sampling.verify_next("incoming") for _ in range(4)]
    assert outgoing == [True, False, False, True, False, False, True]
    assert incoming == [True, False, False, True]
    with pytest.raises(ValueError):
        dense.Sampling(0)


def test_a_bad_dense_media_setting_is_refused_with_a_warning() -> None:
    logs: list[Any] = []
    client = sdk.cpaas.create({"runtime": {"denseMedia": {"verifyEvery": 0}}, "logs": {"handler": logs.append}})
    assert client.getConfig()["runtime"]["denseMedia"] is None
    assert any("runtime.denseMedia" in str(e.messages[0]) for e in logs if e.level == "warn")


async def _call(caller: Any, callee: Any) -> tuple[str, str]:
    mark = callee.recorder.mark
    call_id = caller.call.make(callee.account.user_id, {"audio": True})
    received = await callee.recorder.wait("call:receive", since=mark, timeout=10)
    await callee.recorder.wait("call:stateChange", lambda p: callee.call.getById(received["callId"])["state"]
                               == "Ringing", since=mark, timeout=10)
    await callee.call.answer(received["callId"], {"audio": True})
    await caller.recorder.wait("call:stateChange", lambda p: caller.call.getById(call_id)["state"] == "Connected",
                               timeout=10)
    for client, cid in ((caller, call_id), (callee, received["callId"])):
        client.media.renderTracks(client.call.getById(cid)["remoteTracks"], f"#far-{cid}")
    return call_id, received["callId"]


def _frames_decoded_in_threads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What aiortc's per-receiver decoder threads are given to decode, from now on."""
    given: list[Any] = []
    real = aiortc.rtcrtpreceiver.decoder_worker

    class Reading:
        def __init__(self, queue: Any) -> None:
            self._queue = queue

        def get(self) -> Any:
            task = self._queue.get()
            if task is not None:
                given.append(task)
            return task

    monkeypatch.setattr(aiortc.rtcrtpreceiver, "decoder_worker",
                        lambda loop, input_q, *rest: real(loop, Reading(input_q), *rest))
    return given


def _microphone(client: Any) -> dense.SharedToneSource:
    (track,) = [t for t in client.media.store.tracks.values() if t.local and t.kind == "audio"]
    assert isinstance(track.source, dense.SharedToneSource)
    return track.source


@pytest.mark.media
async def test_one_call_in_n_is_decoded_and_heard_the_others_are_counted(make_cpaas, monkeypatch) -> None:
    monkeypatch.setattr(dense, "_SAMPLINGS", {})  # this test's calls are the process's first
    threaded = _frames_decoded_in_threads(monkeypatch)
    runtime = {"codecs": ["PCMU"], "denseMedia": {"verifyEvery": 2}}
    alice = await make_cpaas(services=["call"], runtime={**runtime, "devices": {"microphone": [
        {"deviceId": "a", "label": "440", "frequency": 440}]}})
    bob = await make_cpaas(services=["call"], runtime={**runtime, "devices": {"microphone": [
        {"deviceId": "b", "label": "660", "frequency": 660}]}})

    # Call 1 is sampled: decoded at both ends, each hears the other's tone.
    first = await _call(alice, bob)
    heard_by_alice = alice.media.getContainer(f"#far-{first[0]}")
    heard_by_bob = bob.media.getContainer(f"#far-{first[1]}")
    for container, tone in ((heard_by_alice, 660), (heard_by_bob, 440)):
        await container.wait_until(lambda c, t=tone: c.frames >= 25 and c.audio()[0].level_at(t) > 0.5, timeout=10)
        assert container.verified
    assert _microphone(alice).packets_sent > 0 and _microphone(bob).packets_sent > 0  # the shared encoding went out
    assert threaded == []  # decoded on the loop, by aiortc's decoder, not in a thread per call
    await alice.call.end(first[0])
    await bob.recorder.wait("call:stateChange", lambda p: bob.call.getById(first[1])["state"] == "Ended", timeout=10)

    # Call 2 is not: its packets are counted where they arrive and never decoded.
    second = await _call(alice, bob)
    for client, cid in ((alice, second[0]), (bob, second[1])):
        container = client.media.getContainer(f"#far-{cid}")
        await container.wait_until(lambda c: c.frames >= 25, timeout=10)
        (render,) = container.audio()
        assert not container.verified and render.packets == render.frames
        assert render.rms() == 0.0  # nothing was decoded
        assert container.summary()["tracks"][0]["verified"] is False
    await alice.call.end(second[0])
