"""The service registry: every emulated service declares itself; nothing lists them by hand.

A service package (``fake_platform/<name>/``) exports, from its ``__init__``:

* ``SERVICES``: the :class:`Service` objects it builds (each becomes an attribute of
  :class:`~fake_platform.state.PlatformState` under its name), with the services it needs, what
  it contributes to the state dump and how it closes;
* ``ROUTES``: its :class:`~fake_platform.routing.Route` table.

:func:`discover` imports every subpackage of ``fake_platform`` that has either; :func:`build_order`
sorts the services so each is built after what it needs (and fails on a cycle or an unknown
need). Adding a service is its package plus one typed attribute line on ``PlatformState``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .routing import Route

if TYPE_CHECKING:
    from .core.clock import PlatformClock
    from .core.faults import FaultRegistry
    from .core.housekeeping import Housekeeping
    from .core.hub import NotificationHub
    from .core.ids import SeededRandom
    from .core.journal import Journal
    from .core.progress import Progress
    from .state import PlatformConfig


@dataclass(frozen=True)
class Core:
    """What every service may depend on without declaring it."""

    config: PlatformConfig
    ids: SeededRandom
    clock: PlatformClock
    journal: Journal
    faults: FaultRegistry
    hub: NotificationHub
    progress: Progress
    base_url: Callable[[], str]
    housekeeping: Housekeeping  # periodic sweeps: a service adds what it expires (core/housekeeping.py)


@dataclass(frozen=True)
class Service:
    name: str  # its attribute on PlatformState
    build: Callable[..., Any]  # build(core, **needs) -> the service object
    needs: tuple[str, ...] = ()
    dump: Callable[[Any], dict[str, Any]] | None = None  # its part of GET /_platform/state
    close: Callable[[Any], Awaitable[None]] | None = None  # on reset and shutdown


@dataclass(frozen=True)
class Package:
    name: str
    services: tuple[Service, ...]
    routes: tuple[Route, ...]


def discover() -> list[Package]:
    """Every service package under ``fake_platform``, by name."""
    import fake_platform

    found = []
    for info in sorted(pkgutil.iter_modules(fake_platform.__path__), key=lambda i: i.name):
        if not info.ispkg or info.name == "core":
            continue
        module = importlib.import_module(f"fake_platform.{info.name}")
        services, routes = getattr(module, "SERVICES", ()), getattr(module, "ROUTES", ())
        if services or routes:
            found.append(Package(info.name, tuple(services), tuple(routes)))
    return found


def build_order(services: Iterable[Service]) -> list[Service]:
    """``services`` sorted so that each comes after the services it needs (stable by name)."""
    by_name = {s.name: s for s in services}
    ordered: list[Service] = []
    state: dict[str, str] = {}  # name -> "visiting" | "done"

    def visit(service: Service, path: tuple[str, ...]) -> None:
        if state.get(service.name) == "done":
            return
        if state.get(service.name) == "visiting":
            raise ValueError(f"services need each other in a cycle: {' -> '.join((*path, service.name))}")
        state[service.name] = "visiting"
        for need in service.needs:
            if need not in by_name:
                raise ValueError(f"service {service.name!r} needs {need!r}, which no package provides")
            visit(by_name[need], (*path, service.name))
        state[service.name] = "done"
        ordered.append(service)

    for name in sorted(by_name):
        visit(by_name[name], ())
    return ordered


def all_services() -> list[Service]:
    return build_order(s for p in discover() for s in p.services)


def all_routes() -> list[Route]:
    return [r for p in discover() for r in p.routes]
