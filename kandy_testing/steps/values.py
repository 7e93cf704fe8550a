"""Placeholders whose values form a closed set, as typed parsers.

A step declares ``converters={"state": CALL_STATE}``; pytest-bdd converts the placeholder before
the step runs, so a misspelt value fails at once, naming the placeholder and listing the values
it takes (``'Conected' is not a call state; use one of: Connected, Ringing, ...``). The step
documentation (``python -m kandy_testing.stepdocs``) lists the values of every such placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Generic, TypeVar

from pytest_bdd import parsers
from pytest_bdd.steps import step_function_context_registry

from fake_platform.calls.endpoints import Endpoints
from fake_platform.core.hub import Product
from sdk.cpaas.conversation import chatTypes
from sdk.cpaas.presence import activities, statuses

from ..scenario import PushSystem

E = TypeVar("E", bound=Enum)


class UnknownValue(ValueError):
    """A closed-set placeholder got a value outside its set."""


@dataclass(frozen=True)
class Choice(Generic[E]):
    """The parser of a placeholder that takes one of ``enum``'s values (case does not matter)."""

    enum: type[E]
    label: str  # what the placeholder is, in the scenario's words ("call state")
    aliases: Mapping[str, E] = field(default_factory=dict)  # other spellings the scenarios use

    def __call__(self, text: str | None) -> E | None:  # None: an optional part left out
        if text is None:
            return None
        wanted = text.strip().lower()
        for member in self.enum:
            if str(member.value).lower() == wanted or member.name.lower() == wanted:
                return member
        if wanted in self.aliases:
            return self.aliases[wanted]
        raise UnknownValue(f"{text!r} is not a {self.label}; use one of: {', '.join(self.values)}")

    @property
    def values(self) -> list[str]:
        return [str(m.value) for m in self.enum]


@dataclass(frozen=True)
class Words:
    """The parser of a placeholder that takes one of a fixed list of words, mapped to values
    (``"out of band"`` -> ``"rfc4733"``); what the documentation lists is the words."""

    mapping: Mapping[str, str]
    label: str

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        if text in self.mapping:
            return self.mapping[text]
        raise UnknownValue(f"{text!r} is not a {self.label}; use one of: {', '.join(self.values)}")

    @property
    def values(self) -> list[str]:
        return list(self.mapping)


def regex_choices(pattern: str) -> dict[str, list[str]]:
    """Named groups of a step regex whose content is a plain alternation: ``(?P<state>on|off)``."""
    return {m.group(1): m.group(2).split("|")
            for m in re.finditer(r"\(\?P<(\w+)>([\w ]+(?:\|[\w ]+)+)\)", pattern)}


def near_miss(text: str) -> str | None:
    """Why no step matched ``text`` when a step would, but for a closed-set value outside its set."""
    for context in list(step_function_context_registry.values()):
        pattern = context.parser.name
        choices = regex_choices(pattern) if isinstance(context.parser, parsers.re) else {}
        if not choices:
            continue
        loose = pattern
        for name, allowed in choices.items():
            loose = loose.replace(f"(?P<{name}>{'|'.join(allowed)})", f"(?P<{name}>.+?)")
        found = re.fullmatch(loose, text)
        if found is None:
            continue
        for name, allowed in choices.items():
            value = found.group(name)
            if value is not None and value not in allowed:
                return f"{value!r} is not a value of {{{name}}} in this step; use one of: {', '.join(allowed)}"
    return None


def values_of(parser: object) -> list[str] | None:
    """The values a placeholder's parser accepts (None: not a closed set)."""
    return list(parser.values) if isinstance(parser, Choice | Words) else None


def label_of(parser: object) -> str:
    return parser.label if isinstance(parser, Choice | Words) else ""


class CallState(StrEnum):
    INITIATING = "Initiating"
    INITIATED = "Initiated"
    RINGING = "Ringing"
    EARLY_MEDIA = "Early Media"
    CONNECTED = "Connected"
    ON_HOLD = "On Hold"
    CANCELLED = "Cancelled"
    ENDED = "Ended"


class HoldFlag(StrEnum):
    LOCAL = "local"
    REMOTE = "remote"

    @property
    def key(self) -> str:
        """The CallObject field that shows it."""
        return "localHold" if self is HoldFlag.LOCAL else "remoteHold"


class PushStatus(StrEnum):
    DELIVERED = "delivered"
    EXPIRED = "expired"
    FAILED = "failed"


class PushProvider(StrEnum):
    APNS = "apns"
    FCM = "fcm"


class PushEnvironment(StrEnum):
    PRODUCTION = "production"
    SANDBOX = "sandbox"


class MediaKind(StrEnum):
    AUDIO = "audio"
    VIDEO = "video"


class AddedMedia(StrEnum):
    """What addMedia / removeMedia take (the screen is a video track)."""

    AUDIO = "audio"
    VIDEO = "video"
    SCREEN = "screen"


class Credentials(StrEnum):
    BASIC = "basic"
    BEARER = "bearer"


class StatsKind(StrEnum):
    SENT = "sent"
    RECEIVED = "received"

    @property
    def stat_type(self) -> str:
        return "outbound-rtp" if self is StatsKind.SENT else "inbound-rtp"


class ScriptedEndpoint(StrEnum):
    """The platform's scripted call endpoints (``<name>@<domain>``; see fake_platform/calls/endpoints.py)."""

    ECHO = "echo"
    BUSY = "busy"
    NOANSWER = "noanswer"
    REJECT = "reject"
    IVR = "ivr"
    IVR_INBAND = "ivr-inband"
    HEADERS = "headers"


class ChatType(StrEnum):
    """``conversation.chatTypes``, by the names the documents give them."""

    ONETOONE = "ONETOONE"
    GROUP = "GROUP"
    SMS = "SMS"

    @property
    def sdk_value(self) -> str:
        return str(getattr(chatTypes, self.value))


class PresenceStatus(StrEnum):
    """``presence.statuses``, by name."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"

    @property
    def sdk_value(self) -> str:
        return str(getattr(statuses, self.value))


class PresenceActivity(StrEnum):
    """``presence.activities``, by name."""

    AVAILABLE = "AVAILABLE"
    BUSY = "BUSY"
    LUNCH = "LUNCH"
    VACATION = "VACATION"
    ON_THE_PHONE = "ON_THE_PHONE"
    ACTIVITIES_UNKNOWN = "ACTIVITIES_UNKNOWN"
    ACTIVITIES_OTHER = "ACTIVITIES_OTHER"

    @property
    def sdk_value(self) -> str:
        return str(getattr(activities, self.value))


CALL_STATE = Choice(CallState, "call state")
HOLD_FLAG = Choice(HoldFlag, "hold flag")
DTMF_MODE = Words({"out of band": "rfc4733", "in band": "inband"}, "DTMF mode")
PUSH_STATUS = Choice(PushStatus, "push status")
PUSH_PROVIDER = Choice(PushProvider, "push provider")
PUSH_ENVIRONMENT = Choice(PushEnvironment, "push environment")
PUSH_SYSTEM = Choice(PushSystem, "push system")
PRODUCT = Choice(Product, "product")
MEDIA_KIND = Choice(MediaKind, "media kind")
ADDED_MEDIA = Choice(AddedMedia, "kind of media to add or remove")
CREDENTIALS = Choice(Credentials, "kind of credentials")
STATS_KIND = Choice(StatsKind, "kind of statistics")
CHAT_TYPE = Choice(ChatType, "chat type")
PRESENCE_STATUS = Choice(PresenceStatus, "presence status")
PRESENCE_ACTIVITY = Choice(PresenceActivity, "presence activity")
ENDPOINT = Choice(ScriptedEndpoint, "scripted endpoint")
CALL_MEDIA = Words({"audio": "audio", "video": "video", "audio and video": "audio and video"}, "kind of call media")
# call.<operation>(callId) for the "tries to ... the call" step
CALL_OPERATION = Words({op: op for op in ("answer", "reject", "ignore", "hold", "unhold", "end", "startVideo",
                                          "stopVideo")}, "call operation")


# The SDK's and the platform's lists are the truth; the enums above name them for the documentation.
assert {e.value for e in ScriptedEndpoint} == set(Endpoints.NAMES), "ScriptedEndpoint is out of date"
assert {e.value for e in ChatType} == {k for k in vars(chatTypes) if k.isupper()}, "ChatType is out of date"
assert {e.value for e in PresenceStatus} == {k for k in vars(statuses) if k.isupper()}, "PresenceStatus is out of date"
assert {e.value for e in PresenceActivity} == {k for k in vars(activities) if k.isupper()}, \
    "PresenceActivity is out of date"
