"""Route table of push registration (with and without the trailing slash the SDK sends)."""

from aiohttp import web

from . import handlers

_DEVICES = "/rest/version/{ver}/user/{account}/push/{provider:apple|google}/devices"

ROUTES = [
    web.post(_DEVICES + "/", handlers.register),
    web.post(_DEVICES, handlers.register),
    web.delete(_DEVICES + "/{registration}", handlers.unregister),
]
