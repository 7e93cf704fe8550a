"""The standalone server's heap freezer: level heaps are never walked, cycles that died frozen are freed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from fake_platform.core.heap import HeapFreezer
from kandy_media.peer import Peer, open_peer_connections


class Cycle:
    def __init__(self) -> None:
        self.me = self  # reference counting alone never frees it


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    yield Clock()
    gc.unfreeze()  # the test process's heap goes back to the collector


def test_a_cycle_that_died_frozen_is_freed_once_the_frozen_heap_has_grown(clock: Clock) -> None:
    freezer = HeapFreezer(growth=0.25, min_interval=60, clock=clock)
    freezer.tick()
    cycles = [Cycle() for _ in range(1000)]
    alive = [weakref.ref(cycle) for cycle in cycles]
    freezer.tick()  # the cycles are frozen while alive (a call in progress at a freeze)
    del cycles
    gc.collect()
    assert all(ref() is not None for ref in alive), "a frozen cycle is skipped by collections"

    grown = [[] for _ in range(gc.get_freeze_count() // 3)]  # the frozen population grows by a third
    freezer.tick()
    clock.now = 30.0
    freezer.tick()
    assert freezer.full_collections == 0, "no full collection before the minimum interval"
    assert all(ref() is not None for ref in alive)

    clock.now = 60.0
    freezer.tick()
    assert freezer.full_collections == 1
    assert all(ref() is None for ref in alive), "the full collection frees the cycles that died frozen"
    assert gc.get_freeze_count() > len(grown), "what is alive is frozen again"


def test_a_level_heap_is_never_collected_in_full(clock: Clock) -> None:
    freezer = HeapFreezer(growth=0.25, min_interval=60, clock=clock)
    for second in range(0, 600, 5):
        clock.now = float(second)
        churn = [Cycle() for _ in range(100)]  # garbage made and dropped between freezes
        del churn
        freezer.tick()
    assert freezer.full_collections == 0


def test_the_frozen_objects_are_counted_at_most_once_a_minimum_interval(clock: Clock,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting them walks them all (CPython 3.11): a tick every 5 s must not pay for it each time."""
    counts = []
    count = gc.get_freeze_count
    monkeypatch.setattr(gc, "get_freeze_count", lambda: counts.append(clock.now) or count())
    freezer = HeapFreezer(growth=0.25, min_interval=60, clock=clock)
    for second in range(0, 600, 5):
        clock.now = float(second)
        freezer.tick()
    assert freezer.full_collections == 0
    assert counts == [0.0, *(float(s) for s in range(60, 600, 60))], counts


async def test_an_open_peer_connection_is_counted_even_when_frozen(clock: Clock) -> None:
    peer = Peer(servers=[], host_addresses=["127.0.0.1"], preferred_codecs=None, on_track=lambda *_: None)
    before = open_peer_connections()
    gc.freeze()  # as the standalone server does every few seconds: a heap scan no longer sees it
    assert open_peer_connections() == before >= 1
    await peer.close()
    assert open_peer_connections() == before - 1
