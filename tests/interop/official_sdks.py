"""The official Kandy.js SDK builds, fetched from the npm registry at test time.

Their licence forbids committing or copying them into this repository, so each build is fetched with
``npm pack`` into a cache outside git (``$KANDY_INTEROP_CACHE``, default
``~/.cache/kandy-testing/official-sdks``) and served to the browser from there. Versions are pinned
here; ``latest`` is resolved against the registry, falling back to the newest cached build when the
registry cannot be reached. When neither works the caller skips, printing why.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

CPAAS = "@kandy-io/cpaas-sdk"
CALLME = "@kandy-io/callme-sdk"
PINNED = {CPAAS: "4.9.0", CALLME: "latest"}
NPM_TIMEOUT = 45.0
# Fail fast when the registry is unreachable (npm's defaults retry for minutes).
NPM_NETWORK_FLAGS = ["--fetch-retries=1", "--fetch-timeout=15000", "--fetch-retry-mintimeout=1000",
                     "--fetch-retry-maxtimeout=5000"]


class Unavailable(RuntimeError):
    """The build cannot be had here (no npm, registry unreachable, nothing cached)."""


@dataclass(frozen=True)
class OfficialSdk:
    package: str
    version: str
    bundle: Path  # dist/kandy.js of the unpacked package


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "kandy-testing" / "official-sdks"
    return Path(os.environ.get("KANDY_INTEROP_CACHE", default))


def _slug(package: str) -> str:
    return package.lstrip("@").replace("/", "-")


def _npm(*args: str, cwd: Path) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is not installed")
    try:
        done = subprocess.run([npm, *args, *NPM_NETWORK_FLAGS], cwd=cwd, capture_output=True, text=True,
                              timeout=NPM_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise Unavailable(f"npm {' '.join(args)} took over {NPM_TIMEOUT:.0f} s") from exc
    if done.returncode != 0:
        raise Unavailable(f"npm {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def _resolve(package: str, wanted: str, root: Path) -> str:
    if wanted != "latest":
        return wanted
    try:
        return json.loads(_npm("view", package, "version", "--json", cwd=root))
    except (Unavailable, json.JSONDecodeError) as exc:
        cached = sorted((p.name.rsplit("-", 1)[1] for p in root.glob(f"{_slug(package)}-*") if p.is_dir()),
                        key=lambda v: tuple(int(x) for x in v.split(".") if x.isdigit()))
        if not cached:
            raise Unavailable(f"cannot resolve {package}@latest and nothing is cached: {exc}") from exc
        return cached[-1]


def fetch(package: str, wanted: str | None = None, *, entry: str = "dist/kandy.js") -> OfficialSdk:
    """The unpacked build of ``package`` at its pinned version, fetched once and cached; ``bundle``
    is its file ``entry`` (the dashboard tests fetch axe-core's ``axe.min.js`` the same way)."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:  # xdist workers fetch one at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        version = _resolve(package, wanted or PINNED[package], root)
        target = root / f"{_slug(package)}-{version}"
        bundle = target / entry
        if not bundle.is_file():
            out = json.loads(_npm("pack", f"{package}@{version}", "--json", "--pack-destination", str(root), cwd=root))
            archive = root / out[0]["filename"]
            unpacked = root / f".unpack-{target.name}"
            shutil.rmtree(unpacked, ignore_errors=True)
            with tarfile.open(archive) as tar:
                tar.extractall(unpacked, filter="data")
            shutil.rmtree(target, ignore_errors=True)
            (unpacked / "package").rename(target)  # npm tarballs hold everything under package/
            unpacked.rmdir()
            archive.unlink()
            if not bundle.is_file():
                raise Unavailable(f"{package}@{version} has no {entry}")
    return OfficialSdk(package, version, bundle)
