"""Route table of the call service."""

from aiohttp import web

from . import handlers

_S = "/cpaas/webrtcsignaling/{ver}/{user}/sessions"
_L = "/rest/version/{ver}/{mode:user|anonymous}/{account}"

ROUTES = [
    web.post(_S, handlers.cpaas_create_session),
    web.get(_S, handlers.cpaas_list_sessions),
    web.get(_S + "/{session}", handlers.cpaas_get_session),
    web.delete(_S + "/{session}", handlers.cpaas_end),
    web.put(_S + "/{session}/status", handlers.cpaas_status),
    web.get(_S + "/{session}/status", handlers.cpaas_status),
    web.put(_S + "/{session}/answer", handlers.cpaas_answer),
    web.put(_S + "/{session}/update", handlers.cpaas_update),
    web.put(_S + "/{session}/transfer", handlers.cpaas_transfer),
    web.post(_L + "/{kind:callControl|callMe}", handlers.link_call_start),
    web.put(_L + "/{kind:callControl|callMe}/callSessions/{session}", handlers.link_session_update),
    web.delete(_L + "/{kind:callControl|callMe}/callSessions/{session}", handlers.link_session_end),
    web.get(_L + "/{kind:callControl|callMe}/callSessions/{session}", handlers.link_session_get),
    web.post("/rest/version/{ver}/user/{account}/calldisposition", handlers.link_disposition),
]
