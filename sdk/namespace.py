"""Base class of the documented namespaces, and the ``api`` decorator every public call wears.

``api`` is the one place that refuses calls on a destroyed client and writes the debug line
naming the call; with :func:`documented` (for module-level functions such as ``create``) it is also
the one place every documented call passes through for the conformance tools: the trace
(:mod:`sdk.trace`) and the knockout gate (:mod:`sdk.knockout`). :class:`Namespace` is the one
place snake_case aliases are made: ``client.call.get_by_id`` resolves to ``client.call.getById``.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from . import knockout, trace

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
        if client._destroyed or client._log_manager.debug or trace.enabled or knockout.target is not None:
            path = api_path(self, name)
            client._ensure_alive(path)
            return run_documented(client.product, path, fn, (self, *args), kwargs)
        return fn(self, *args, **kwargs)

    wrapper.__kandy_api__ = True  # type: ignore[attr-defined]  # marks documented APIs for introspection
    return cast(F, wrapper)


def documented(product: str | Callable[[Any], str], path: str) -> Callable[[F], F]:
    """Mark a documented function that is not a namespace method (``create``, ``sdpHandlers.*``).

    ``product`` is the product's name, or for a method a function of ``self`` giving it.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            name = product if isinstance(product, str) else product(args[0])
            return run_documented(name, path, fn, args, kwargs)

        setattr(wrapper, "__kandy_api__", True)  # noqa: B010  (as api: marks documented functions)
        return cast(F, wrapper)

    return decorate


def run_documented(product: str, path: str, fn: Callable[..., Any], args: tuple[Any, ...],
                   kwargs: Mapping[str, Any]) -> Any:
    """Run one documented call, unless the knockout gate switched it off; trace it if asked.

    A call whose caller is the SDK itself (``sdk.*`` outside the sync bridge) is traced as
    ``internal``: ``aclose()`` calling ``destroy`` is not an app using ``destroy``.
    """
    if knockout.hits_api(product, path):
        return knockout.stub_result(fn)
    if not trace.enabled:
        return fn(*args, **kwargs)
    caller = sys._getframe(2).f_globals.get("__name__", "")  # 0: here, 1: the wrapper, 2: its caller
    internal = caller.startswith("sdk.") and caller != "sdk.bridge"
    return trace.observe_call(product, path, internal, lambda: fn(*args, **kwargs))


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
