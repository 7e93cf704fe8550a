"""Steps about the media namespace: devices, media and track objects, containers, muting."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from ..clients import Product
from ..waiting import WaitTimeout
from ..world import World, sets_up
from .calls import _call_of, cpaas_ready, link_ready
from .values import PRODUCT

DEVICE_FIELDS = {"deviceId", "groupId", "kind", "label"}
TRACK_FIELDS = {"containers", "disabled", "id", "kind", "label", "muted", "state", "streamId"}


@given(parsers.parse("{name} is ready for calls on {product}"), converters={"product": PRODUCT})
@sets_up
def ready_on(world: World, name: str, product: str) -> None:
    """cpaas: as 'is signed in to cpaas and subscribed to calls'; link: as 'is connected to link'."""
    (cpaas_ready if product == Product.CPAAS else link_ready)(world, name)


@given(parsers.parse("{name} has a link client denied media permissions"))
@sets_up
def denied_client(world: World, name: str) -> None:
    """A Link client (not connected) whose media permissions are refused."""
    world.create_client(name, Product.LINK, config={"runtime": {"grantMediaPermissions": False}})


@then(parsers.parse("{name}'s devices are a camera, a microphone and a speaker with documented fields"))
def devices_listed(world: World, name: str) -> None:
    devices = world.call(world.actor(name).client.media.getDevices)
    assert set(devices) == {"camera", "microphone", "speaker"}
    kinds = {"camera": "videoinput", "microphone": "audioinput", "speaker": "audiooutput"}
    for group, entries in devices.items():
        assert entries and all(set(e) == DEVICE_FIELDS and e["kind"] == kinds[group] and e["label"] for e in entries)


def _audio_track(world: World, name: str) -> str:
    client = world.actor(name).client
    call = world.call(client.call.getById, _call_of(world, name))
    return next(t for t in call["localTracks"] if world.call(client.media.getTrackById, t)["kind"] == "audio")


@then(parsers.parse("{name}'s local media object lists her audio track"))
def media_object(world: World, name: str) -> None:
    client = world.actor(name).client
    track = world.call(client.media.getTrackById, _audio_track(world, name))
    media = world.call(client.media.getById, track["streamId"])
    assert media["local"] is True and media["id"] == track["streamId"]
    assert [t["id"] for t in media["tracks"]] == [track["id"]]


@then(parsers.parse("{name}'s local audio track object has every documented field for {product}"),
      converters={"product": PRODUCT})
def track_fields(world: World, name: str, product: str) -> None:
    track = world.call(world.actor(name).client.media.getTrackById, _audio_track(world, name))
    expected = TRACK_FIELDS | ({"sourceMuted"} if product == Product.LINK else set())
    assert set(track) == expected, set(track) ^ expected
    assert track["kind"] == "audio" and track["state"] == "live" and track["muted"] is False


def _remote_audio(world: World, name: str) -> str:
    client = world.actor(name).client
    call = world.call(client.call.getById, _call_of(world, name))
    return next(t for t in call["remoteTracks"] if world.call(client.media.getTrackById, t)["kind"] == "audio")


@when(parsers.parse('{name} renders the remote audio in "{selector}" on the speaker "{speaker}"'))
def render_on_speaker(world: World, name: str, selector: str, speaker: str) -> None:
    world.call(world.actor(name).client.media.renderTracks, [_remote_audio(world, name)], selector,
               {"speakerId": speaker})


@then(parsers.parse('the container "{selector}" of {name} plays on the speaker "{speaker}" and hears her own tone'))
def container_speaker(world: World, selector: str, name: str, speaker: str) -> None:
    client = world.actor(name).client
    container = world.call(client.media.getContainer, selector)
    tone = world.actor(name).tone
    try:
        world.run(container.wait_until(lambda c: any(abs(r.dominant_frequency() - tone) < 15 for r in c.audio()), 20),
                  25)
    except TimeoutError as exc:
        raise WaitTimeout(f"expected {name} to hear her own {tone:g} Hz tone in {selector!r} within 20 s; {exc}") \
            from None
    assert [r.speaker_id for r in container.audio()] == [speaker]
    assert selector in world.call(client.media.getTrackById, _remote_audio(world, name))["containers"]


@when(parsers.parse('{name} removes the remote audio from "{selector}"'))
def remove_from_container(world: World, name: str, selector: str) -> None:
    world.call(world.actor(name).client.media.removeTracks, [_remote_audio(world, name)], selector)


@then(parsers.parse('the remote audio track of {name} is no longer in "{selector}"'))
def not_in_container(world: World, name: str, selector: str) -> None:
    client = world.actor(name).client
    track_id = _remote_audio(world, name)
    assert selector not in world.call(client.media.getTrackById, track_id)["containers"]
    assert track_id not in world.call(client.media.getContainer, selector).renders


@when(parsers.parse("{name} initializes her devices"))
def initialize_devices(world: World, name: str) -> None:
    world.call(world.actor(name).client.media.initializeDevices, {"audio": True, "video": True})


@when(parsers.parse('a microphone "{device}" playing {frequency:d} Hz is plugged into {name}\'s machine'))
def plug_microphone(world: World, device: str, frequency: int, name: str) -> None:
    client = world.actor(name).client
    current = world.call(client.media.getDevices)["microphone"]
    entries = [{"deviceId": d["deviceId"], "label": d["label"], "frequency": world.actor(name).tone} for d in current]
    entries.append({"deviceId": device, "label": device, "frequency": frequency})
    world.call(client.media.setEmulatedDevices, {"microphone": entries})


@when(parsers.parse('{name} calls {callee} with audio from the microphone "{device}"'))
def call_with_device(world: World, name: str, callee: str, device: str) -> None:
    actor = world.actor(name)
    actor.call_id = world.call(actor.client.call.make, callee,
                               {"audio": True, "audioOptions": {"deviceId": {"exact": device}}})
