"""The CPaaS ``call`` namespace (document section "Calls")."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..call.model import cpaas_states
from ..call.namespace import CallNamespace
from ..errors import BasicError, Codes
from ..namespace import api
from .protocol.calls import CpaasSignalling

if TYPE_CHECKING:
    from ..media.namespace import Media
    from . import CpaasClient


class CpaasCall(CallNamespace):
    states = cpaas_states

    def __init__(self, client: CpaasClient, media: Media) -> None:
        super().__init__(client, media)
        signalling = CpaasSignalling(client)
        self.engine.signalling = signalling
        signalling.install(self.engine)

    def _before_make(self, options: Any) -> None:
        if not self._client.auth.access_token:
            raise BasicError(Codes.AUTH_NOT_CONNECTED, "Cannot make a call before setTokens()")

    @api
    def make(self, destination: str, media: Mapping[str, Any] | None = None,
             options: Mapping[str, Any] | None = None) -> str:
        """Starts an outgoing call to a UserID or a PhoneNumber; returns the call's ID."""
        return self._make(destination, media, options)

    @api
    def answer(self, callId: str, media: Mapping[str, Any] | None = None,
               options: Mapping[str, Any] | None = None) -> asyncio.Task[Any]:
        """Answers an incoming call in the Ringing state."""
        return self._answer(callId, media, options)

    @api
    def reject(self, callId: str) -> asyncio.Task[Any]:
        """Rejects an incoming call in the Ringing state; the caller is told."""
        return self._reject(callId)

    @api
    def ignore(self, callId: str) -> asyncio.Task[Any]:
        """Ignores an incoming call in the Ringing state; the caller is not told."""
        return self._ignore(callId)
