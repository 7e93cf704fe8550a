"""The platform's emulated network: impairment rules and the paths media takes through the platform.

Media reaches the platform in two places, and both apply the same rules:

* the TURN relay, for calls whose clients relay their media (``iceTransportPolicy: 'relay'``):
  each allocation has a path per direction, for the user its credentials name, in the calls
  whose SDP carries its relayed address;
* the media edge of the scripted endpoints (echo, IVR, PSTN numbers): each endpoint peer's ICE
  sockets are filtered (:func:`kandy_media.compat.filter_datagrams`), for the calling user.

Directions are the user's: ``send`` is what the user's client sends, ``receive`` what it gets.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Any

from kandy_media import compat

from ..core.faults import FaultRegistry
from .calls import relayed_call_ids
from .paths import Path
from .rules import Impairments

CallIds = Callable[[], frozenset[str]]


def _no_calls() -> frozenset[str]:
    return frozenset()


class NetworkConditions:
    def __init__(self, faults: FaultRegistry, clock: Any, ids: Any) -> None:
        self.rules = Impairments(faults, clock)
        self._random = ids.random
        # The call ids whose SDP offers a relayed address (for rules that name a call).
        self.relayed_calls: Callable[[tuple[str, int]], frozenset[str]] = lambda address: frozenset()
        self._paths: weakref.WeakSet[Path] = weakref.WeakSet()

    @classmethod
    def of_platform(cls, core: Any, calls: Any) -> NetworkConditions:
        """The platform's network service: it knows the calls (their SDP) and filters the media of
        the scripted endpoints."""
        conditions = cls(core.faults, core.clock, core.ids)
        conditions.relayed_calls = lambda address: relayed_call_ids(calls.router, address)
        calls.endpoints.network = conditions
        return conditions

    def path(self, *, user: str | None, direction: str, send: Callable[..., None],
             relayed: tuple[str, int] | None = None, calls: CallIds | None = None) -> Path:
        """A path for one direction of a stream of ``user``: in the calls ``calls()`` names, or
        those whose SDP offers the ``relayed`` address."""
        if calls is None:
            calls = (lambda: self.relayed_calls(relayed)) if relayed is not None else _no_calls
        path = Path(self.rules, user=user, direction=direction, calls=calls, send=send,
                    seed=self._random.getrandbits(32))
        self._paths.add(path)
        return path

    def attach_endpoint(self, pc: Any, *, user: str | None, calls: Iterable[str]) -> list[Path]:
        """Filter a scripted endpoint's peer connection: what it receives is the caller's ``send``
        direction, what it sends the caller's ``receive`` direction."""
        ids = frozenset(calls)
        paths: list[Path] = []

        def filters(incoming: Callable[..., None], outgoing: Callable[..., None]) -> tuple[Path, Path]:
            pair = (self.path(user=user, direction="send", send=incoming, calls=lambda: ids),
                    self.path(user=user, direction="receive", send=outgoing, calls=lambda: ids))
            paths.extend(pair)
            return pair

        compat.filter_datagrams(pc, filters)
        return paths

    def dump(self) -> dict[str, Any]:
        """The paths that an impairment rule acts on now (the rules are in the faults list)."""
        return {"impairedPaths": [p.to_dict() for p in self._paths if not p.closed and p.rule_id is not None]}
