"""Samples: what load clients measure, handed from the SDK's loop thread to whoever reports them.

The asyncio side only appends to a :class:`SampleSink` (``deque.append`` is thread-safe); the
gevent side drains it and fires Locust events, because Locust's stats have no locks. Every sample
is also written as one JSON line, so the checks can see *when* each thing happened (Locust's CSV
only keeps aggregates).
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

# Locust request types and names: the report shows them as "WS connect", "REST <operation>", ...
WS = "WS"
REST = "REST"
CONNECT = "connect"
KEEPALIVE = "keepalive"
RECONNECT = "reconnect"
DETECTION = "missed-ping detection"
FINAL = "final"  # not a metric: a user's state when it stopped (checks only)
# Optional traffic (load.traffic): "CALL setup", "CALL media", "CALL end", "MESSAGE delivery".
CALL = "CALL"
MESSAGE = "MESSAGE"
CALL_SETUP = "setup"
CALL_MEDIA = "media"
CALL_END = "end"
MESSAGE_DELIVERY = "delivery"
# Call quality (load.traffic, calls with media): Locust keeps response times, so the figures are
# scaled to read as numbers: "QUALITY audio MOS x100" (441 = MOS 4.41), "QUALITY audio gaps %".
QUALITY = "QUALITY"
QUALITY_MOS = "audio MOS x100"
QUALITY_GAPS = "audio gaps %"
METRIC_TYPES = (WS, REST, CALL, MESSAGE, QUALITY)


@dataclass(frozen=True, slots=True)
class Sample:
    type: str  # WS | REST | CALL | MESSAGE | QUALITY | final
    name: str
    ms: float  # response time reported to Locust
    ok: bool
    user: str
    t: float  # wall-clock seconds when the measured thing ended
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def is_metric(self) -> bool:
        return self.type in METRIC_TYPES

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


class SampleSink:
    """A bounded, thread-safe hand-over point (oldest samples fall off if nobody drains)."""

    def __init__(self, maxlen: int = 1_000_000) -> None:
        self._samples: deque[Sample] = deque(maxlen=maxlen)

    def add(self, sample: Sample) -> None:
        self._samples.append(sample)

    def drain(self, limit: int = 100_000) -> list[Sample]:
        out: list[Sample] = []
        popleft = self._samples.popleft
        for _ in range(min(limit, len(self._samples))):
            out.append(popleft())
        return out

    def __len__(self) -> int:
        return len(self._samples)


class SampleLog:
    """Appends samples as JSON lines to ``<dir>/samples-<pid>.jsonl`` (one file per process)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.path = Path(directory) / f"samples-{os.getpid()}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = None

    def write(self, samples: list[Sample]) -> None:
        if not samples:
            return
        if self._file is None:
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write("".join(s.to_json() + "\n" for s in samples))
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_samples(directory: str | os.PathLike[str]) -> list[Sample]:
    """Every sample of a run (all processes), in time order."""
    samples = list(_iter_samples(Path(directory)))
    samples.sort(key=lambda s: s.t)
    return samples


def _iter_samples(directory: Path) -> Iterator[Sample]:
    for path in sorted(directory.glob("samples-*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield Sample(**json.loads(line))


def now() -> float:
    return time.time()
