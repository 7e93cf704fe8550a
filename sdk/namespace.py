"""Base class of the documented namespaces, and the ``api`` decorator every public call wears.

``api`` is the one place that refuses calls on a destroyed client and writes the debug line
naming the call. :class:`Namespace` is the one place snake_case aliases are made:
``client.call.get_by_id`` resolves to the documented ``client.call.getById``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from . import trace

if TYPE_CHECKING:
    from .client import Client

F = TypeVar("F", bound=Callable[..., Any])
_SNAKE = re.compile(r"_([a-z0-9])")


def camel_case(name: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


def api(fn: F) -> F:
    """Mark a documented API: refuse it after ``destroy()``, log the call at debug."""

    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        client: Client = getattr(self, "_client", self)
        # The path is only built when something reads it: getters run once per received message.
        if client._destroyed or client._api_debug or trace.enabled:
            path = api_path(self, name)
            client._ensure_alive(path)
            if trace.enabled:
                trace.record(client.product, "api", path)
        return fn(self, *args, **kwargs)

    wrapper.__kandy_api__ = True  # type: ignore[attr-defined]  # marks documented APIs for introspection
    return cast(F, wrapper)


def api_path(owner: Any, name: str) -> str:
    """The documented path of a method: ``call.make``, ``Conversation.send``, ``getConfig``."""
    prefix = getattr(owner, "api_path", "")
    return f"{prefix}.{name}" if prefix else name


class SnakeCaseAliases:
    """Resolve ``snake_case`` attribute names to their documented camelCase spelling."""

    def __getattr__(self, name: str) -> Any:
        if "_" in name.strip("_") and not name.startswith("_"):
            documented = camel_case(name)
            if documented != name:
                return getattr(self, documented)
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")


class Namespace(SnakeCaseAliases):
    """A documented namespace (``client.call``, ``client.media``, ...).

    ``api_path`` is the namespace as the documents call it (``call``, ``services``).
    """

    api_path = ""

    def __init__(self, client: Client) -> None:
        self._client = client

    @property
    def _log(self) -> Any:
        return self._client.log_for(type(self).__name__)

    def snapshot(self) -> Any:
        """This namespace's part of the client state (action logs, state dumps)."""
        return None

    async def aclose(self) -> None:
        """Release what this namespace holds (called by ``destroy``)."""
