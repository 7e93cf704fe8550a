"""HTTP side of auth: the OAuth token endpoint (cpaas-wire §1.5)."""

from __future__ import annotations

from aiohttp import web

from ..core.errors import OAuthError
from ..http import json_response, state_of
from .models import grant


async def token(request: web.Request) -> web.Response:
    """``POST /cpaas/auth/v1/token`` (form-encoded): password or client_credentials grant."""
    state = state_of(request)
    try:
        posted = await request.post()
    except ValueError as exc:  # e.g. multipart without a boundary (found by schemathesis)
        raise OAuthError("invalid_request", f"Unreadable form: {exc}") from None
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    return json_response(grant(state.users, state.projects, state.tokens, form))
