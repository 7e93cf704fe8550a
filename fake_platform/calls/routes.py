"""Route table of the call service."""

from ..routing import cpaas, link
from . import handlers

_S = "/cpaas/webrtcsignaling/{ver}/{user}/sessions"
_L = "/rest/version/{ver}/{mode:user|anonymous}/{account}/{kind:callControl|callMe}"
_WRAPPER = "callControlResponse"

ROUTES = [
    cpaas.post(_S, handlers.cpaas_create_session),
    cpaas.get(_S, handlers.cpaas_list_sessions),
    cpaas.get(_S + "/{session}", handlers.cpaas_get_session),
    cpaas.delete(_S + "/{session}", handlers.cpaas_end),
    cpaas.put(_S + "/{session}/status", handlers.cpaas_status),
    cpaas.get(_S + "/{session}/status", handlers.cpaas_status),
    cpaas.put(_S + "/{session}/answer", handlers.cpaas_answer),
    cpaas.put(_S + "/{session}/update", handlers.cpaas_update),
    cpaas.put(_S + "/{session}/transfer", handlers.cpaas_transfer),
    link.post(_L, handlers.link_call_start, error_wrapper=_WRAPPER),
    link.put(_L + "/callSessions/{session}", handlers.link_session_update, error_wrapper=_WRAPPER),
    link.delete(_L + "/callSessions/{session}", handlers.link_session_end, error_wrapper=_WRAPPER),
    link.get(_L + "/callSessions/{session}", handlers.link_session_get, error_wrapper=_WRAPPER),
    link.post("/rest/version/{ver}/user/{account}/calldisposition", handlers.link_disposition,
              error_wrapper=_WRAPPER),
]
