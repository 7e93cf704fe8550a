"""HTTP side of TURN: ``POST /cpaas/webrtcsignaling/{ver}/{user}/turn`` (cpaas-wire §4.2.7)."""

from __future__ import annotations

from aiohttp import web

from ..http import cpaas_user, json_response, read_json, state_of, wrapped


async def cpaas_turn(request: web.Request) -> web.Response:
    user = cpaas_user(request)
    wrapped(await read_json(request), "wrtcsTurnCredentials")
    creds = state_of(request).turn.credentials(user)
    return json_response({"wrtcsTurnCredentials": {"username": creds["username"], "password": creds["password"],
                                                   "ttl": creds["ttl"], "urls": creds["urls"]}}, status=201)
