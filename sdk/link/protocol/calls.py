"""Link / CallMe call signalling (link-callme-wire §5).

Anonymous (CallMe) calls use ``/rest/version/1/anonymous/{account}/callMe[/callSessions/{id}]``
with ``callMeRequest`` bodies; Link user calls use ``/rest/version/1/user/{username}/callControl``
with ``callControlRequest`` bodies. Notifications are ``notificationMessage`` envelopes whose
``eventType`` says what happened and whose ``sessionParams.sessionData`` names the session.
"""

from __future__ import annotations

import base64
import re
import zlib
from typing import TYPE_CHECKING, Any

from ...call.model import Call, states
from ...call.signalling import SignallingEvents
from ...errors import BasicError, Codes
from .rest import LinkRest

if TYPE_CHECKING:
    from .. import LinkClient

_SEPARATORS = re.compile(r"[ \-.()+]")
_PHONE = re.compile(r"^[+#*]?[\d \-.()+]+$")
SESSION_GONE = 42


def normalize(address: str, domain: str | None = None) -> str:
    """``sip:<user>@<domain>``: strips any ``xxx:`` prefix and the separators of phone numbers."""
    user, _, host = address.strip().partition("@")
    user = re.sub(r"^[a-zA-Z]+:", "", user)
    if _PHONE.match(user):
        lead = user[0] if user[0] in "+#*" else ""
        user = lead + _SEPARATORS.sub("", user[len(lead):])
    host = host or domain or ""
    return f"sip:{user}@{host}" if host else f"sip:{user}"


def plain(address: str | None) -> str | None:
    if not address:
        return None
    if "<" in address and ">" in address:
        address = address[address.index("<") + 1:address.index(">")]
    return re.sub(r"^(sip|sips|tel):", "", address)


class LinkSignalling:
    def __init__(self, client: LinkClient) -> None:
        self._client = client
        self._rest: LinkRest = client.rest

    def install(self, engine: SignallingEvents) -> None:
        self._engine = engine
        on = self._client.notifications.on
        for event_type, handler in (("call", self._incoming), ("ringing", self._ringing),
                                    ("sessionProgress", self._progress), ("respondCallUpdate", self._respond),
                                    ("startCallUpdate", self._update), ("callEnd", self._end),
                                    ("callCancel", self._cancel), ("customParameters", self._custom)):
            on(event_type, self._wrap(handler))

    def _wrap(self, handler: Any) -> Any:
        async def run(frame: dict[str, Any], channel: str) -> None:
            message = frame["notificationMessage"]
            params = message.get("sessionParams") or {}
            session = params.get("sessionData")
            if not isinstance(session, str):
                return
            sdp = await self._sdp(params)
            if message.get("customParameters"):
                await self._engine.on_custom_parameters(session, message["customParameters"])
            await handler(session, message, sdp)

        return run

    async def _sdp(self, params: dict[str, Any]) -> str | None:
        sdp: str | None = params.get("sdp")
        fmt = params.get("sdpFormat")
        if not sdp:
            return None
        if fmt == "compressed":
            return zlib.decompress(base64.b64decode(sdp)).decode()
        if fmt == "url":
            body = await self._rest.request("GET", sdp, operation="Fetch SDP")
            fetched: str | None = ((body or {}).get("eventDataResponse") or {}).get("sdp")
            return fetched
        return sdp

    # -- paths ---------------------------------------------------------------------------------
    def _base(self, call: Call) -> tuple[str, str]:
        if call.anonymous:
            return f"/rest/version/1/anonymous/{call.account}/callMe", "callMeRequest"
        info = self._client.session.info
        if info is None or info.mode != "user":
            raise BasicError(Codes.AUTH_NOT_CONNECTED, "Not connected: call connect() first")
        return f"/rest/version/1/user/{info.account}/callControl", "callControlRequest"

    def normalize(self, destination: str) -> str:
        info = self._client.session.info
        domain = info.account.partition("@")[2] if info is not None else None
        return normalize(destination, domain)

    async def _put(self, call: Call, body: dict[str, Any], operation: str) -> Any:
        base, wrapper = self._base(call)
        if call.custom_parameters and body.get("type") != "sendCustomHeaders":
            body.setdefault("customParameters", call.custom_parameters)
        return await self._rest.request("PUT", f"{base}/callSessions/{call.session_id}", {wrapper: body},
                                        operation=operation, error_code=Codes.CALL_SIGNALLING)

    # -- requests ------------------------------------------------------------------------------
    async def start(self, call: Call, offer: str) -> str:
        base, wrapper = self._base(call)
        body: dict[str, Any] = {"type": "callStart", "to": call.to_address, "from": call.from_address, "sdp": offer}
        if call.anonymous:
            info = self._client.session.info
            body["notifyChannelId"] = info.channel_id if info is not None else None
        if call.custom_parameters:
            body["customParameters"] = call.custom_parameters
        if self._client.config["call"].get("earlyMedia"):
            body["supported"] = ["earlymedia"]
        reply = await self._rest.request("POST", base, {wrapper: body}, operation="Make call",
                                         error_code=Codes.CALL_SIGNALLING)
        response = (reply or {}).get("callMeResponse") or (reply or {}).get("callControlResponse") or {}
        session = response.get("sessionData")
        if not isinstance(session, str) or not session:
            raise BasicError(Codes.CALL_SIGNALLING, "Malformed call response (no sessionData)")
        return session

    async def ringing(self, call: Call) -> None:
        await self._put(call, {"type": "ringing"}, "Ringing feedback")

    async def answer(self, call: Call, answer: str) -> None:
        await self._put(call, {"type": "callAnswer", "sdp": answer}, "Answer call")

    async def update(self, call: Call, offer: str) -> None:
        await self._put(call, {"type": "startCallUpdate", "sdp": offer}, "Update call")

    async def respond(self, call: Call, answer: str) -> None:
        await self._put(call, {"type": "respondCallUpdate", "sdp": answer}, "Answer call update")

    async def send_custom_parameters(self, call: Call) -> None:
        await self._put(call, {"type": "sendCustomHeaders", "customParameters": call.custom_parameters},
                        "Send custom parameters")

    async def reject(self, call: Call) -> None:
        info = self._client.session.info
        if info is None:
            raise BasicError(Codes.AUTH_NOT_CONNECTED, "Not connected")
        await self._rest.request("POST", f"/rest/version/1/user/{info.account}/calldisposition",
                                 {"callDispositionRequest": {"action": "reject", "sessionData": call.session_id}},
                                 operation="Reject call", error_code=Codes.CALL_SIGNALLING)

    async def end(self, call: Call) -> None:
        base, _wrapper = self._base(call)
        await self._rest.request("DELETE", f"{base}/callSessions/{call.session_id}", operation="End call",
                                 response_type="none", error_code=Codes.CALL_SIGNALLING)

    async def audit(self, call: Call) -> bool:
        try:
            await self._put(call, {"type": "audit"}, "Call audit")
        except BasicError as error:
            if error.code == SESSION_GONE:
                return False
            raise
        return True

    async def session_state(self, call: Call) -> str | None:
        """``GET callSessions/{id}`` (resync): the platform's state string, None when gone (47)."""
        info = self._client.session.info
        if info is None:
            raise BasicError(Codes.AUTH_NOT_CONNECTED, "Not connected")
        base = f"/rest/version/1/{info.mode}/{info.account}/{'callMe' if call.anonymous else 'callControl'}"
        try:
            body = await self._rest.request("GET", f"{base}/callSessions/{call.session_id}",
                                            operation="Call state", error_code=Codes.CALL_SIGNALLING)
        except BasicError as error:
            if error.code == 47:
                return None
            raise
        return ((body or {}).get("callControlResponse") or {}).get("state")

    # -- notifications -------------------------------------------------------------------------
    async def _incoming(self, session: str, message: dict[str, Any], sdp: str | None) -> None:
        params = message.get("callNotificationParams") or {}
        await self._engine.on_incoming(session, sdp, remote_number=plain(params.get("callerDisplayNumber")),
                                       remote_name=params.get("callerName"),
                                       to_address=plain(params.get("calleeDisplayNumber")),
                                       custom_parameters=message.get("customParameters"))

    async def _ringing(self, session: str, message: dict[str, Any], sdp: str | None) -> None:
        params = message.get("callNotificationParams") or {}
        await self._engine.on_ringing(session, remote_number=plain(params.get("remoteDisplayNumber")),
                                      remote_name=params.get("remoteName"))

    async def _progress(self, session: str, message: dict[str, Any], sdp: str | None) -> None:
        if sdp:
            await self._engine.on_early_media(session, sdp)

    async def _respond(self, session: str, message: dict[str, Any], sdp: str | None) -> None:
        if not sdp:
            return
        engine = self._engine
        call = engine.call_of(session)
        if call is None or (call.direction == "outgoing" and call.state in (
                states.INITIATING, states.INITIATED, states.RINGING, states.EARLY_MEDIA)):
            await engine.on_accepted(session, sdp)
        else:
            await engine.on_remote_answer(session, sdp)

    async def _update(self, session: str, message: dict[str, Any], sdp: str | None) -> None:
        await self._engine.on_remote_offer(session, sdp)

    async def _end(self, session: str, message: dict[str, Any], sdp: str | None) -> None:
        params = message.get("sessionParams") or {}
        await self._engine.on_ended(session, status_code=params.get("statusCode"), reason=params.get("reasonText"))

    async def _cancel(self, session: str, message: dict[str, Any], sdp: str | None) -> None:
        await self._engine.on_ended(session, cancelled=True)

    async def _custom(self, session: str, message: dict[str, Any], sdp: str | None) -> None:
        """Custom parameters were reported by the wrapper already."""
