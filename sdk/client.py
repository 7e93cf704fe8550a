"""The SDK instance returned by ``create()``: the skeleton both products share.

A client holds its configuration, event emitter, loggers, REST transport, notification router and
the background tasks it owns. Products (``sdk.cpaas``, ``sdk.link``) subclass it to declare their
config schema and event types and to attach their namespaces; see their ``__init__`` modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import platform as py_platform
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, ClassVar, TypeVar

from kandy_media.clock import SYSTEM_CLOCK, Clock

from . import config as config_module
from . import knockout, trace
from .errors import BasicError, Codes
from .events import EventEmitter, Listener, Predicate
from .logger import LoggerNamespace, LogManager
from .namespace import Namespace, SnakeCaseAliases, api
from .notifications import NotificationRouter
from .transport.channel import NotificationChannel
from .transport.http import RestClient
from .version import __version__

N = TypeVar("N", bound=Namespace)


class Client(SnakeCaseAliases):
    """Shared behaviour of a CPaaS or Link SDK instance."""

    product: ClassVar[str] = "sdk"
    CONFIG_SCHEMA: ClassVar[Mapping[str, Any]] = {}
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset()
    EVENT_ALIASES: ClassVar[Mapping[str, str]] = {}
    ROUTER_CLASS: ClassVar[type[NotificationRouter]] = NotificationRouter

    def __init__(self, config: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> None:
        if config is not None and not isinstance(config, Mapping):
            raise BasicError(Codes.CALL_INVALID_PARAM, "create() expects a configuration object")
        given = dict(config or {})
        self.clock = clock or SYSTEM_CLOCK
        self._log_manager = LogManager(clock=self.clock)
        # Logs first, so that warnings about the rest of the configuration reach the chosen handler.
        logs_schema = {"logs": self.CONFIG_SCHEMA["logs"]}
        logs_only = self._merge_config(config_module.defaults(logs_schema),
                                       {"logs": given.get("logs", {})} if "logs" in given else {}, logs_schema)
        self._log_manager.configure(logs_only["logs"])
        self._log = self._log_manager.get("SDK", self.product)
        self._config = self._merge_config(config_module.defaults(self.CONFIG_SCHEMA), given)
        self._log_manager.configure(self._config["logs"])
        self._emitter = EventEmitter(self.EVENT_TYPES, self._log_manager.get("Events"), product=self.product)
        # Emit an event of this product: the emitter's own method, with no call in between (every
        # received message emits one).
        self.emit: Callable[[str, dict[str, Any] | None], None] = self._emitter.emit
        runtime = self._config.get("runtime", {})
        self.http = RestClient(self._log_manager.get("Request"), ssl=runtime.get("ssl"),
                               timeout=runtime.get("requestTimeout", 30))
        self.notifications = self.ROUTER_CLASS(
            self._identify_notification, self._log_manager.get("Notifications"),
            id_cache_length=self._config["notifications"]["idCacheLength"],
            emit=self.emit,
            received_event="notification:received" if "notification:received" in self.EVENT_TYPES else None,
            heard=self._emitter.heard,
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._destroyed = False
        self._closed: asyncio.Future[None] | None = None
        self._namespaces: list[Namespace] = []
        self.logger = LoggerNamespace()
        # The notification channel (set by the product's subscription flow) and what it reported.
        self.channel: NotificationChannel | None = None
        self.connectivity_checking = bool(self._config["connectivity"].get("checkConnectivity", True))
        self.connection_events: deque[Any] = deque(maxlen=1000)
        self._connection_observers: list[Callable[[Any], None]] = []
        self._action("SDK_CREATED", {"product": self.product})

    # -- products override ---------------------------------------------------------------------
    def _identify_notification(self, frame: dict[str, Any]) -> tuple[str | None, str | None]:
        raise NotImplementedError

    def _user_info(self) -> dict[str, Any]:
        raise NotImplementedError

    def _merge_config(self, base: Mapping[str, Any], given: Mapping[str, Any],
                      schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``given`` merged over ``base`` (validated); the conformance tools see every key set."""
        schema = schema or self.CONFIG_SCHEMA
        merged = config_module.merge(schema, base, given, getattr(self, "_log", None))
        knockout.ignore_config_key(self.product, schema, merged)
        if trace.enabled:
            for key in config_module.changed_keys(schema, merged):
                trace.record(self.product, "config", key, trace.SET)
        return merged

    # -- namespaces ----------------------------------------------------------------------------
    def _attach(self, name: str, namespace: N) -> N:
        setattr(self, name, namespace)
        self._namespaces.append(namespace)
        return namespace

    def log_for(self, target_type: str, target_id: str | None = None) -> Any:
        return self._log_manager.get(target_type, target_id)

    # -- documented instance API ---------------------------------------------------------------
    @api
    def getConfig(self) -> dict[str, Any]:
        """Gets the current configuration Object."""
        return copy.deepcopy(self._config)

    @api
    def updateConfig(self, newConfigValues: Mapping[str, Any]) -> None:
        """Update values in the configuration (validated as on ``create``)."""
        if not isinstance(newConfigValues, Mapping):
            self._log.warn("updateConfig expects an object; nothing changed.")
            return
        self._config = self._merge_config(self._config, newConfigValues)
        self._log_manager.configure(self._config["logs"])
        self.notifications.ids.resize(self._config["notifications"]["idCacheLength"])
        self._action("CONFIG_UPDATE", dict(newConfigValues))

    @api
    def on(self, type: str, listener: Listener) -> None:
        """Add an event listener for the specified event type."""
        self._emitter.on(self.EVENT_ALIASES.get(type, type), listener)

    @api
    def off(self, type: str, listener: Listener) -> None:
        """Removes an event listener for the specified event type."""
        self._emitter.off(self.EVENT_ALIASES.get(type, type), listener)

    @api
    def subscribe(self, listener: Listener) -> None:
        """Adds a global event listener: ``listener(type, params)``."""
        self._emitter.subscribe(listener)

    @api
    def unsubscribe(self, listener: Listener) -> None:
        """Removes a global event listener."""
        self._emitter.unsubscribe(listener)

    @api
    def getBrowserDetails(self) -> dict[str, Any]:
        """Information about the WebRTC runtime in use (here: aiortc on CPython)."""
        import aiortc

        return {
            "browser": "aiortc",
            "version": aiortc.__version__,
            "runtime": f"{py_platform.python_implementation()} {py_platform.python_version()}",
            "sdk": __version__,
        }

    @api
    def getUserInfo(self) -> dict[str, Any]:
        """Retrieves information about the current user: ``{username, token}``."""
        return self._user_info()

    @api
    def destroy(self) -> None:
        """Destroys the SDK: closes sockets, cancels tasks; every later call raises BasicError."""
        if self._destroyed:
            return
        self._destroyed = True
        self._log.info("destroying the SDK instance")
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # nothing was ever started: no loop, no sockets, no tasks
        self._closed = loop.create_future()
        self._teardown_task = loop.create_task(self._teardown(), name="sdk-destroy")

    # -- Pythonic additions --------------------------------------------------------------------
    async def wait_for(self, type: str, predicate: Predicate | None = None,
                       timeout: float = 10.0) -> dict[str, Any]:
        """Wait for the next ``type`` event matching ``predicate`` and return its params."""
        self._ensure_alive("wait_for")
        return await self._emitter.wait_for(self.EVENT_ALIASES.get(type, type), predicate, timeout)

    async def aclose(self) -> None:
        """``destroy()`` and wait until every socket and task is closed."""
        if not self._destroyed:
            self.destroy()
        if self._closed is not None:
            await asyncio.shield(self._closed)

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def destroyed(self) -> bool:
        return self._destroyed

    @property
    def event_history(self) -> list[tuple[str, dict[str, Any]]]:
        return list(self._emitter.history)

    # -- internals used by namespaces ----------------------------------------------------------
    @property
    def config(self) -> Mapping[str, Any]:
        return self._config

    def observe_connection(self, observer: Callable[[Any], None]) -> None:
        """Receive every ChannelEvent (connect, loss, keepalive RTT, ...): load-test metrics."""
        self._connection_observers.append(observer)

    def record_connection_event(self, event: Any) -> None:
        self.connection_events.append(event)
        for observer in list(self._connection_observers):
            try:
                observer(event)
            except Exception as exc:
                self._log.error(f"connection observer raised {type(exc).__name__}: {exc}")

    def emit_if(self, type: str, params: dict[str, Any] | None = None) -> None:
        """Emit an event only some products have (code paths both products share)."""
        if type in self.EVENT_TYPES:
            self._emitter.emit(type, params)

    def spawn(self, coro: Coroutine[Any, Any, Any] | Awaitable[Any], name: str = "sdk-task") -> asyncio.Task[Any]:
        """Run ``coro`` as a task the client owns (cancelled by destroy, errors logged)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            if asyncio.iscoroutine(coro):
                coro.close()
            raise BasicError(Codes.NO_LOOP, "The SDK needs a running asyncio loop for network operations; "
                             "call it from async code or through sdk.bridge.SyncBridge") from None
        task = loop.create_task(_as_coroutine(coro), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and not isinstance(exc, BasicError):
            self._log.error(f"task {task.get_name()} failed: {type(exc).__name__}: {exc}")

    def _ensure_alive(self, what: str) -> None:
        if self._destroyed:
            raise BasicError(Codes.DESTROYED, f"The SDK instance was destroyed; cannot call {what}. "
                             "Create a new instance.")
        if self._log_manager.debug:
            self._log.debug(f"API {what}")

    def _action(self, action_type: str, payload: Any) -> None:
        self._log_manager.action(action_type, payload, self.snapshot)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able view of the client state (action logs, test attachments)."""
        state: dict[str, Any] = {"destroyed": self._destroyed}
        for namespace in self._namespaces:
            part = namespace.snapshot()
            if part is not None:
                state[type(namespace).__name__] = part
        return state

    async def _teardown(self) -> None:
        try:
            for namespace in reversed(self._namespaces):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(namespace.aclose(), 5)
            await self.notifications.aclose()
            current = asyncio.current_task()
            tasks = [t for t in self._tasks if t is not current]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=5)
            await self._emitter.close()
            await self.http.close()
        finally:
            if self._closed is not None and not self._closed.done():
                self._closed.set_result(None)


async def _as_coroutine(awaitable: Awaitable[Any]) -> Any:
    return await awaitable
