"""The AsyncAPI 3.0.0 JSON schema, from the AsyncAPI initiative's npm package ``@asyncapi/specs``.

Fetched with ``npm pack`` into a cache outside git (``~/.cache/kandy-testing/asyncapi-specs``),
like the official SDK builds: it is the specification's own schema, not ours to copy.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

PACKAGE, VERSION = "@asyncapi/specs", "6.11.1"
SCHEMA = "schemas/3.0.0-without-$id.json"
NPM_TIMEOUT = 60


class Unavailable(RuntimeError):
    """npm is missing or the registry cannot be reached, and nothing is cached."""


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "kandy-testing" / "asyncapi-specs"
    return Path(os.environ.get("KANDY_ASYNCAPI_CACHE", default))


def schema() -> dict[str, Any]:
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"specs-{VERSION}" / SCHEMA
    with open(root / ".lock", "w") as lock:  # xdist workers fetch one at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            _fetch(root)
    return json.loads(target.read_text())


def _fetch(root: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is not installed")
    try:
        done = subprocess.run([npm, "pack", f"{PACKAGE}@{VERSION}", "--json", "--pack-destination", str(root),
                               "--fetch-retries=1", "--fetch-timeout=15000"],
                              cwd=root, capture_output=True, text=True, timeout=NPM_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise Unavailable(f"npm pack took over {NPM_TIMEOUT} s") from exc
    if done.returncode != 0:
        raise Unavailable(f"npm pack {PACKAGE}@{VERSION} failed: {done.stderr.strip()[-300:]}")
    archive = root / json.loads(done.stdout)[0]["filename"]
    unpacked = root / f".unpack-{VERSION}"
    shutil.rmtree(unpacked, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    shutil.rmtree(root / f"specs-{VERSION}", ignore_errors=True)
    (unpacked / "package").rename(root / f"specs-{VERSION}")
    unpacked.rmdir()
    archive.unlink()
