"""CPaaS call signalling: the webrtcsignaling sessions API and its notifications (cpaas-wire §4.2, §5).

Requests: POST sessions (offer), PUT sessions/{id}/status (Ringing; audits with Connected),
PUT .../answer (answers, and answers to re-offers), PUT .../update (re-offers), DELETE (end and
reject). Notifications identify the session by the text after ``sessions/`` in ``link[0].href``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...call.model import Call
from ...call.signalling import SignallingEvents
from ...errors import BasicError, Codes
from .rest import CpaasRest

if TYPE_CHECKING:
    from .. import CpaasClient

_SEPARATORS = re.compile(r"[ \-.()+]")
_PHONE = re.compile(r"^[+#*]?[\d \-.()+]+$")


def normalize_destination(destination: str, domain: str | None) -> str:
    """The ``sip:`` URI the platform routes on: keeps a leading + # *, strips separators from numbers."""
    address = destination.strip()
    user, _, host = address.partition("@")
    user = re.sub(r"^[a-zA-Z]+:", "", user)
    if _PHONE.match(user):
        lead = user[0] if user[0] in "+#*" else ""
        user = lead + _SEPARATORS.sub("", user[len(lead):])
    host = host or (domain or "")
    return f"sip:{user}@{host}" if host else f"sip:{user}"


def display_address(uri: str | None) -> str | None:
    """``sip:alice@example.com`` -> ``alice@example.com`` (the CallObject's username@domain form)."""
    if not uri:
        return None
    if "<" in uri and ">" in uri:
        uri = uri[uri.index("<") + 1:uri.index(">")]
    return re.sub(r"^(sip|tel|sips):", "", uri)


def session_of(notification: dict[str, Any]) -> str | None:
    links = notification.get("link")
    if isinstance(links, list) and links and isinstance(links[0], dict):
        href = links[0].get("href") or ""
        if "sessions/" in href:
            return href.split("sessions/", 1)[1]
    return None


class CpaasSignalling:
    def __init__(self, client: CpaasClient) -> None:
        self._client = client
        self._rest: CpaasRest = client.rest

    def install(self, engine: SignallingEvents) -> None:
        on = self._client.notifications.on
        on("wrtcsSessionInvitationNotification", lambda f, c: self._invitation(engine, f))
        on("wrtcsAcceptanceNotification", lambda f, c: self._acceptance(engine, f))
        on("wrtcsOfferNotification", lambda f, c: self._offer(engine, f))
        on("wrtcsAnswerNotification", lambda f, c: self._answer(engine, f))
        on("wrtcsEventNotification", lambda f, c: self._event(engine, f))

    # -- requests ------------------------------------------------------------------------------
    def normalize(self, destination: str) -> str:
        return normalize_destination(destination, self._client.auth.domain)

    def _url(self, call: Call, tail: str = "") -> str:
        return self._rest.url("webrtcsignaling", f"sessions/{call.session_id}{tail}")

    async def start(self, call: Call, offer: str) -> str:
        body: dict[str, Any] = {"clientCorrelator": self._rest.correlator, "tParticipantAddress": call.to_address,
                                "offer": {"sdp": offer}}
        name = call.media_options.get("displayName")
        if name:
            body["tParticipantName"] = name
        reply = await self._rest.request("POST", self._rest.url("webrtcsignaling", "sessions"),
                                         {"wrtcsSession": body}, operation="Make call",
                                         error_code=Codes.CALL_SIGNALLING)
        resource = ((reply or {}).get("wrtcsSession") or {}).get("resourceURL") or ""
        if "sessions/" not in resource:
            raise BasicError(Codes.CALL_SIGNALLING, "Malformed session response (no resourceURL)")
        return resource.split("sessions/", 1)[1]

    async def _status(self, call: Call, status: str) -> str:
        reply = await self._rest.request("PUT", self._url(call, "/status"), {"wrtcsSessionStatus": {
            "clientCorrelator": self._rest.correlator, "status": status}}, operation="Session status",
            error_code=Codes.CALL_SIGNALLING)
        value = ((reply or {}).get("wrtcsSessionStatus") or {}).get("status")
        if not isinstance(value, str):
            raise BasicError(Codes.CALL_SIGNALLING, "Malformed session status response")
        return value

    async def ringing(self, call: Call) -> None:
        await self._status(call, "Ringing")

    async def answer(self, call: Call, answer: str) -> None:
        await self._rest.request("PUT", self._url(call, "/answer"), {"wrtcsAnswer": {
            "clientCorrelator": self._rest.correlator, "sdp": answer}}, operation="Answer call",
            error_code=Codes.CALL_SIGNALLING)

    respond = answer

    async def update(self, call: Call, offer: str) -> None:
        await self._rest.request("PUT", self._url(call, "/update"), {"wrtcsOffer": {
            "clientCorrelator": self._rest.correlator, "sdp": offer}}, operation="Update call",
            error_code=Codes.CALL_SIGNALLING)

    async def end(self, call: Call) -> None:
        await self._rest.request("DELETE", self._url(call), operation="End call", response_type="none",
                                 error_code=Codes.CALL_SIGNALLING)

    reject = end

    async def audit(self, call: Call) -> bool:
        try:
            return await self._status(call, "Connected") != "Closed"
        except BasicError as error:
            if error.code in (404, "SVC0004"):
                return False
            raise

    async def transfer(self, call: Call, other: Call) -> None:
        """Consultative transfer (an emulator extension: the 4.9.0 SDK does not wire it)."""
        await self._rest.request("PUT", self._url(call, "/transfer"), {"wrtcsTransfer": {
            "clientCorrelator": self._rest.correlator, "x-sessionId": other.session_id}},
            operation="Transfer call", error_code=Codes.CALL_SIGNALLING)

    async def join(self, call: Call, other: Call, offer: str) -> str:
        """Join two calls into a conference: a new session (an emulator extension, like transfer)."""
        reply = await self._rest.request("POST", self._rest.url("webrtcsignaling", "sessions"), {"wrtcsSession": {
            "clientCorrelator": self._rest.correlator, "offer": {"sdp": offer},
            "x-joinSessions": [call.session_id, other.session_id]}}, operation="Join calls",
            error_code=Codes.CALL_SIGNALLING)
        resource = ((reply or {}).get("wrtcsSession") or {}).get("resourceURL") or ""
        if "sessions/" not in resource:
            raise BasicError(Codes.CALL_SIGNALLING, "Malformed session response (no resourceURL)")
        return resource.split("sessions/", 1)[1]

    async def send_custom_parameters(self, call: Call) -> None:
        raise BasicError(Codes.CALL_NOT_SUPPORTED, "Custom parameters are not part of the CPaaS call API")

    # -- notifications -------------------------------------------------------------------------
    async def _invitation(self, engine: SignallingEvents, frame: dict[str, Any]) -> None:
        body = frame["wrtcsSessionInvitationNotification"]
        session = session_of(body)
        offer = body.get("offer")
        if session is None or not isinstance(offer, dict):
            return
        await engine.on_incoming(session, offer.get("sdp") or None,
                                 remote_number=display_address(body.get("originatorAddress")),
                                 remote_name=body.get("originatorName"),
                                 to_address=display_address(body.get("tParticipantAddress")))

    async def _acceptance(self, engine: SignallingEvents, frame: dict[str, Any]) -> None:
        body = frame["wrtcsAcceptanceNotification"]
        session, answer = session_of(body), (body.get("answer") or {}).get("sdp")
        if session and answer:
            await engine.on_accepted(session, answer)

    async def _offer(self, engine: SignallingEvents, frame: dict[str, Any]) -> None:
        body = frame["wrtcsOfferNotification"]
        session = session_of(body)
        if session and isinstance(body.get("offer"), dict):
            await engine.on_remote_offer(session, body["offer"].get("sdp") or None)

    async def _answer(self, engine: SignallingEvents, frame: dict[str, Any]) -> None:
        body = frame["wrtcsAnswerNotification"]
        session, answer = session_of(body), (body.get("answer") or {}).get("sdp")
        if session and answer:
            await engine.on_remote_answer(session, answer)

    async def _event(self, engine: SignallingEvents, frame: dict[str, Any]) -> None:
        body = frame["wrtcsEventNotification"]
        session, event = session_of(body), body.get("eventType")
        if session is None:
            return
        if event == "Ringing":
            await engine.on_ringing(session)
        elif event == "SessionEnded":
            await engine.on_ended(session, status_code=body.get("statusCode"), reason=body.get("reasonText"))
        elif event == "Cancelled":
            await engine.on_ended(session, cancelled=True, status_code=body.get("statusCode"),
                                  reason=body.get("reasonText"))
