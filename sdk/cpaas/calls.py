"""The CPaaS ``call`` namespace (document section "Calls")."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..call import model
from ..call.model import Call, cpaas_states, states
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
        self._signalling = CpaasSignalling(client)
        self.engine.signalling = self._signalling
        self._signalling.install(self.engine)

    def _before_make(self, options: Any) -> None:
        if not self._client.auth.access_token:
            raise BasicError(Codes.AUTH_NOT_CONNECTED, "Cannot make a call before setTokens()")

    # -- transfer and join ---------------------------------------------------------------------
    def _both_held(self, callId: str, otherCallId: str, what: str) -> tuple[Call, Call]:
        call, other = self._call(callId), self._call(otherCallId)
        if call is other:
            raise BasicError(Codes.CALL_INVALID_PARAM, f"{what} needs two different calls")
        for item in (call, other):
            if not item.local_hold or item.state != states.ON_HOLD:
                raise BasicError(Codes.CALL_INVALID_STATE, f"Cannot {what}: call {item.id} must be held locally "
                                 f"(it is '{item.state}', localHold={item.local_hold})")
            self._require_idle(item)
        return call, other

    @api
    def consultativeTransfer(self, callId: str, otherCallId: str) -> asyncio.Task[Any]:
        """Connect the remote parties of two locally held calls to each other; both calls end."""
        call, other = self._both_held(callId, otherCallId, "transfer")
        self.engine.operation(call, model.CONSULTATIVE_TRANSFER, model.START)
        return self._spawn(self._transfer(call, other), "call-transfer")

    async def _transfer(self, call: Call, other: Call) -> None:
        try:
            await self._signalling.transfer(call, other)
        except BasicError as error:
            self.engine.operation(call, model.CONSULTATIVE_TRANSFER, model.FINISH, error=error)
            return
        self.engine.operation(call, model.CONSULTATIVE_TRANSFER, model.FINISH)

    @api
    def join(self, callId: str, otherCallId: str) -> asyncio.Task[Any]:
        """Join two locally held calls into one audio call with both remote parties; both calls end."""
        call, other = self._both_held(callId, otherCallId, "join")
        self.engine.operation(call, model.JOIN, model.START)
        joined = self.engine.new_call("outgoing")
        joined.remote_number = "conference"
        return self._spawn(self._join(call, other, joined), "call-join")

    async def _join(self, call: Call, other: Call, joined: Call) -> None:
        engine = self.engine
        engine.operation(joined, model.MAKE, model.START)
        try:
            engine.add_local_media(joined, {"audio": True})
            offer = await engine.local_offer(joined)
            session = await self._signalling.join(call, other, offer)
        except Exception as exc:
            error = exc if isinstance(exc, BasicError) else BasicError(Codes.CALL_SIGNALLING, str(exc))
            engine.operation(call, model.JOIN, model.FINISH, error=error)
            engine.operation(joined, model.MAKE, model.FINISH, error=error)
            await engine.finish_end(joined, error=error)
            return
        engine.bind_session(joined, session)
        if joined.state == states.INITIATING:
            engine.set_state(joined, states.INITIATED)
        self._client.emit("call:join", {"callId": joined.id, "joinedCallIds": [call.id, other.id]})
        engine.operation(call, model.JOIN, model.FINISH)
