"""The sync bridge: one asyncio loop in a background thread, used from synchronous code.

pytest-bdd steps, Locust users and scripts call the async SDK through it::

    bridge = get_bridge()
    client = bridge.call(create, config)         # built on the loop thread
    sync_client = bridge.wrap(client)            # every call runs on the loop thread
    call_id = sync_client.call.make(bob, {"audio": True})
    bridge.run(client.wait_for("call:stateChange", timeout=5))

The loop thread itself (gevent-aware, with a stepped mode for virtual time) is
:class:`kandy_media.loop_thread.SyncBridge`, which the platform's threaded front door uses too.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from kandy_media.loop_thread import DEFAULT_TIMEOUT
from kandy_media.loop_thread import SyncBridge as _LoopThread

T = TypeVar("T")


class SyncBridge(_LoopThread):
    """Runs coroutines and SDK calls on a private event loop thread; ``wrap`` gives sync views."""

    def wrap(self, obj: Any) -> SyncProxy:
        return SyncProxy(self, obj)


class SyncProxy:
    """Synchronous view of an SDK object: attribute calls run on the bridge's loop thread.

    Coroutines and tasks returned by a call are awaited, so ``sync.services.subscribe([...])``
    returns once the subscription flow has finished.
    """

    __slots__ = ("_bridge", "_target")

    def __init__(self, bridge: SyncBridge, target: Any) -> None:
        object.__setattr__(self, "_bridge", bridge)
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if inspect.isclass(value):
            return value
        if callable(value):
            return functools.partial(self._bridge.call, value)
        if _is_sdk_object(value):
            return SyncProxy(self._bridge, value)
        return value

    def __repr__(self) -> str:
        return f"SyncProxy({self._target!r})"

    @property
    def target(self) -> Any:
        return self._target


def _is_sdk_object(value: Any) -> bool:
    module = type(value).__module__ or ""
    return module.startswith("sdk.") and not isinstance(value, str | int | float | bool | dict | list)


_default: SyncBridge | None = None
_default_lock = threading.Lock()


def get_bridge() -> SyncBridge:
    """The process-wide shared bridge (started on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = SyncBridge()
        return _default


def run_sync(coro: Coroutine[Any, Any, T], timeout: float | None = DEFAULT_TIMEOUT) -> T:
    return get_bridge().run(coro, timeout)
