"""CPaaS message parts: JSON parts, file parts and their image links."""

from __future__ import annotations

import io
import os

from pytest_bdd import parsers, then, when

from sdk.cpaas.conversation import chatTypes
from sdk.cpaas.messages import MessageSender

from ...world import World
from ..common import parse_value
from .support import client_of, conversation_of, message_of, uid


def _draft(world: World) -> MessageSender:
    assert world.scenario.draft is not None, "no message is being created in this scenario"
    return world.scenario.draft


# -- message parts and files -------------------------------------------------------------------
@when(parsers.re(r'(?P<name>\w+) creates a message "(?P<text>[^"]+)" for (?P<other>\w+)$'))
def create_message(world: World, name: str, text: str, other: str) -> None:
    conversation = conversation_of(world, name, uid(world, other), chatTypes.ONETOONE)
    world.scenario.draft = world.call(conversation.createMessage, {"type": "text", "text": text})


@when(parsers.re(r"(?P<name>\w+) adds a JSON part (?P<value>\{.*\}) to the message"))
def add_json(world: World, name: str, value: str) -> None:
    world.call(_draft(world).addPart, {"type": "json", "json": parse_value(value)})


@when(parsers.re(r'(?P<name>\w+) adds a file part "(?P<file>[^"]+)" of (?P<size>\d+) random bytes to the message'))
def add_file(world: World, name: str, file: str, size: str) -> None:
    content = os.urandom(int(size))
    world.scenario.files[file] = content
    world.call(_draft(world).addPart, {"type": "file", "file": io.BytesIO(content), "name": file})


@when(parsers.re(r"(?P<name>\w+) sends the message$"))
def send_draft(world: World, name: str) -> None:
    sent = world.call(_draft(world).send)
    assert sent.deliveryStatus == "Delivered", sent.to_dict()


@then(parsers.re(r'(?P<name>\w+)\'s message "(?P<text>[^"]+)" has a JSON part (?P<value>\{.*\})'))
def has_json_part(world: World, name: str, text: str, value: str) -> None:
    parts = [p for p in message_of(world, name, text).parts if p["type"] == "json"]
    assert [p["json"] for p in parts] == [parse_value(value)], parts


@when(parsers.re(r'(?P<name>\w+) creates the image links of the message "(?P<text>[^"]+)"'))
def image_links(world: World, name: str, text: str) -> None:
    world.call(message_of(world, name, text).createImageLinks)


@then(parsers.re(r'(?P<name>\w+)\'s file "(?P<file>[^"]+)" has the content (?P<other>\w+) sent'))
def file_intact(world: World, name: str, file: str, other: str) -> None:
    part = next(p for c in client_of(world, name).conversation.getAll() for m in c.getMessages() for p in m.parts
                if p.get("type") == "file" and p.get("name") == file)
    assert part["content"] == world.scenario.files[file], "file content differs"
    assert part["url"].startswith("data:") and part["link"].startswith("http")
