"""Waits on our Python SDK's side of an interop call: its call state, and what it hears."""

from __future__ import annotations

from typing import Any

from kandy_testing.steps.calls import FREQUENCY_TOLERANCE, SILENCE_RMS

CALL_TIMEOUT = 20.0


async def wait_our_call(client: Any, call_id: str, state: str, timeout: float = CALL_TIMEOUT, **flags: bool) -> None:
    """Wait until our client's call is in ``state`` with the flags given (``localHold=True``, ...),
    looking again at each call:stateChange (the client's recorder keeps the ones already seen)."""
    def reached(_: Any = None) -> bool:
        call = client.call.getById(call_id)
        return bool(call) and call["state"] == state and all(call[k] == v for k, v in flags.items())

    if not reached():
        await client.recorder.wait("call:stateChange", reached, timeout=timeout)


async def wait_we_hear(client: Any, call_id: str, frequency: float, timeout: float = CALL_TIMEOUT) -> None:
    """Render our call's remote audio in a container and wait until it carries ``frequency``."""
    selector = f"#remote-{call_id}"
    client.media.renderTracks(client.call.getById(call_id)["remoteTracks"], selector)
    container = client.media.getContainer(selector)

    def heard(c: Any) -> bool:
        return any(abs(r.dominant_frequency() - frequency) < FREQUENCY_TOLERANCE and r.rms() > SILENCE_RMS
                   for r in c.audio())

    await container.wait_until(heard, timeout)
