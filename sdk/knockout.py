"""Knockouts: one documented function or event switched off, the way a regression would.

The conformance knockout gate (``kandy_testing.knockout``) sets :data:`target` around each scenario it
runs; nothing else does, and with no target the SDK is untouched. A knocked-out function does nothing
but return its documented shape (a value of its return type: ``None``, ``""``, ``[]``, ``{}``, a
resolved task, a hollow instance of a documented class); a knocked-out event is not emitted
(``drop``) or is emitted with an empty payload (``empty``); a knocked-out configuration key is
ignored (it keeps its default whatever the app configures). The hooks sit where every documented
call, event and configuration passes: ``sdk.namespace.api``, ``EventEmitter.emit`` and
``Client._merge_config``.
"""

from __future__ import annotations

import asyncio
import collections.abc
import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

API, EVENT, CONFIG = "api", "event", "config"
DROP, EMPTY, NOOP = "drop", "empty", "noop"


@dataclass(frozen=True)
class Knockout:
    product: str
    kind: str  # API, EVENT or CONFIG
    name: str  # a documented path (``contacts.fetch``, ``call.removeH264Codecs``) or event type
    mode: str = NOOP  # DROP or EMPTY for an event; NOOP otherwise

    @property
    def id(self) -> str:
        return f"{self.product}:{self.kind}:{self.name}" + ("" if self.kind != EVENT else f":{self.mode}")

    @classmethod
    def parse(cls, text: str) -> Knockout:
        product, kind, rest = text.split(":", 2)
        if kind in (API, CONFIG):
            return cls(product, kind, rest)
        name, _, mode = rest.rpartition(":")
        if mode not in (DROP, EMPTY):
            raise ValueError(f"an event knockout ends with :{DROP} or :{EMPTY}, not {text!r}")
        return cls(product, kind, name, mode)


#: The knockout in force in this process, if any.
target: Knockout | None = None


def hits_api(product: str, path: str) -> bool:
    return target is not None and target.kind == API and target.product == product and target.name == path


def event_mode(product: str, type: str) -> str | None:
    """DROP or EMPTY when ``type`` is the knocked-out event of ``product``; None otherwise."""
    if target is not None and target.kind == EVENT and target.product == product and target.name == type:
        return target.mode
    return None


def ignore_config_key(product: str, schema: Mapping[str, Any], config: dict[str, Any]) -> None:
    """When a configuration key of ``product`` is knocked out, put it back to its default. A key
    whose documented value is an object of documented keys (``authentication.server``,
    ``connectivity.method``) is ignored whole: every key under it keeps its default."""
    if target is not None and target.kind == CONFIG and target.product == product:
        from .config import options, reset  # config imports the logger; keep this module import-light

        documented = options(schema)
        under = [key for key in documented if key.startswith(target.name + ".")]
        for key in [target.name] if target.name in documented else under:
            reset(config, key, schema)


def stub_result(fn: Callable[..., Any]) -> Any:
    """What a knocked-out ``fn`` returns: its documented shape, from its return annotation."""
    value = _shape(_return_annotation(fn), fn)
    if inspect.iscoroutinefunction(inspect.unwrap(fn)):
        return _resolved(value)
    return value


def _return_annotation(fn: Callable[..., Any]) -> str:
    annotation = inspect.unwrap(fn).__annotations__.get("return", "None")
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


def _shape(annotation: str, fn: Callable[..., Any]) -> Any:
    text = annotation.replace("typing.", "").strip()
    if text in ("None", "Any", "") or text.endswith("| None") or text.startswith("Optional["):
        return None
    if text.startswith(("asyncio.Task[", "Task[", "asyncio.Future[")):
        inner = text[text.index("[") + 1:-1]
        return _done_future(_shape(inner, fn))
    simple: dict[str, Any] = {"str": "", "bool": False, "int": 0, "float": 0.0}
    if text in simple:
        return simple[text]
    if text.startswith(("dict", "Mapping", "Dict")):
        return {}
    if text.startswith(("list", "List", "tuple", "Sequence")):
        return []
    named = inspect.unwrap(fn).__globals__.get(text)
    if text.startswith("Callable") or typing.get_origin(named) is collections.abc.Callable:
        return _does_nothing
    if inspect.isclass(named):
        return named.__new__(named)  # a hollow instance: the right type, none of the state
    return None


def _does_nothing(*args: Any, **kwargs: Any) -> Any:
    """A knocked-out function's returned function: hands its first argument back (an SDP handler
    that changes nothing), or returns None."""
    return args[0] if args else None


def _done_future(value: Any) -> Any:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    future = loop.create_future()
    future.set_result(value)
    return future


async def _resolved(value: Any) -> Any:
    return value
