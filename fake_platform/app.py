"""The aiohttp application: the front doors (doors.py) with every registered service's routes."""

from __future__ import annotations

from aiohttp import web

from .doors import build_root
from .registry import all_routes
from .state import PlatformState


def build_app(state: PlatformState) -> web.Application:
    app = build_root(state, all_routes())

    async def close(_app: web.Application) -> None:
        await state.close(1001)

    app.on_shutdown.append(close)
    return app
