"""CPaaS SMS: sending to the platform's outbox, inbound SMS, SMS conversations."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from sdk.cpaas.conversation import chatTypes

from ...world import World
from .support import send_message, uid, wait_message


# -- SMS ---------------------------------------------------------------------------------------
@when(parsers.re(r'(?P<name>\w+) sends the SMS "(?P<text>[^"]+)" to "(?P<number>[^"]+)"'))
def send_sms(world: World, name: str, text: str, number: str) -> None:
    send_message(world, name, number, chatTypes.SMS, text)


@then(parsers.re(r'the platform\'s SMS outbox (?P<verb>has|does not have) "(?P<text>[^"]+)" to "(?P<number>[^"]+)"'))
def sms_outbox(world: World, verb: str, text: str, number: str) -> None:
    assert world.platform is not None
    found = any(m["to"] == number and m["message"] == text for m in world.call(world.platform.sms_outbox))
    assert found == (verb == "has")


@when(parsers.re(r'the platform delivers the SMS "(?P<text>[^"]+)" from "(?P<number>[^"]+)" to (?P<name>\w+)'))
def deliver_sms(world: World, text: str, number: str, name: str) -> None:
    assert world.platform is not None
    world.call(world.platform.inject_sms, uid(world, name), number, text)


@then(parsers.re(r'(?P<name>\w+) receives the SMS "(?P<text>[^"]+)" from "(?P<number>[^"]+)"'))
def receives_sms(world: World, name: str, text: str, number: str) -> None:
    wait_message(world, name, text, number, chatTypes.SMS, number)

