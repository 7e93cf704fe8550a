"""How each front door hears about its leg of a call: notifications in its own protocol.

CPaaS legs get ``wrtcs*`` notifications on the channel their ``call`` subscription names
(cpaas-wire §5.1); Link and CallMe legs get ``notificationMessage`` envelopes with an ``eventType``
on their subscription's channel (link-callme-wire §5.3).
"""

from __future__ import annotations

from typing import Any

from ..channels.models import CpaasChannels
from ..link.models import LinkSubscriptions
from .models import Leg, Role


def _sip(address: str) -> str:
    return address if address.startswith(("sip:", "tel:")) else f"sip:{address}"


class CpaasLegChannel:
    def __init__(self, channels: CpaasChannels, channel_id: str, version: str = "v1") -> None:
        self._channels = channels
        self.channel_id = channel_id
        self._version = version

    def _send(self, leg: Leg, key: str, **body: Any) -> None:
        href = f"/cpaas/webrtcsignaling/{self._version}/{leg.owner}/sessions/{leg.id}"
        frame = {key: {"link": [{"rel": "webrtcSession", "href": href}], **body}}
        self._channels.notify_channel(self.channel_id, frame)

    def invitation(self, leg: Leg, offer: str | None) -> None:
        caller = leg.caller
        body: dict[str, Any] = {"offer": {"sdp": offer or ""}, "originatorAddress": _sip(caller.address),
                                "tParticipantAddress": _sip(leg.address)}
        if caller.name:
            body["originatorName"] = caller.name
        self._send(leg, "wrtcsSessionInvitationNotification", **body)

    def ringing(self, leg: Leg) -> None:
        self._send(leg, "wrtcsEventNotification", eventType="Ringing")

    def early_media(self, leg: Leg, sdp: str) -> None:
        """CPaaS 4.9 has no early media notification (cpaas-wire §5.5): nothing to send."""

    def accepted(self, leg: Leg, sdp: str) -> None:
        self._send(leg, "wrtcsAcceptanceNotification", answer={"sdp": sdp})

    def offer(self, leg: Leg, sdp: str | None) -> None:
        self._send(leg, "wrtcsOfferNotification", offer={"sdp": sdp or ""})

    def answer(self, leg: Leg, sdp: str) -> None:
        self._send(leg, "wrtcsAnswerNotification", answer={"sdp": sdp})

    def ended(self, leg: Leg, status: int, reason: str) -> None:
        self._send(leg, "wrtcsEventNotification", eventType="SessionEnded", statusCode=status, reasonText=reason)

    def cancelled(self, leg: Leg) -> None:
        self._send(leg, "wrtcsEventNotification", eventType="Cancelled")

    def custom_parameters(self, leg: Leg, parameters: list[dict[str, str]]) -> None:
        """The CPaaS call API carries no custom parameters."""


class LinkLegChannel:
    """Notifications for a Link user's or a CallMe caller's leg, on one subscription's channel.

    Without a subscription (``subscription_id`` None) the leg rings a user known only by push
    registrations: its notifications go to the user's push devices and to whatever ``call``
    subscription the user has made since (the app woken by the push connects, then answers).
    """

    def __init__(self, link: LinkSubscriptions, subscription_id: str | None, *, owner: str | None = None) -> None:
        self._link = link
        self.subscription_id = subscription_id
        self.owner = owner

    def _send(self, leg: Leg, event_type: str, session_params: dict[str, Any] | None = None,
              **extra: Any) -> None:
        message = {"eventType": event_type, "sessionParams": {"sessionData": leg.id, **(session_params or {})},
                   **extra}
        if self.subscription_id is None:
            if self.owner is not None:
                self._link.notify_device(self.owner, message, "call")
            return
        subscription = self._link.subscriptions.get(self.subscription_id)
        if subscription is None:  # the party unsubscribed: nobody to tell
            return
        self._link.notify(subscription, message)

    def _remote(self, leg: Leg) -> Leg | None:
        session = leg.session
        if session is None:
            return None
        if leg.role == Role.CALLEE:
            return session.caller
        return session.answered or (session.callees[0] if session.callees else None)

    def invitation(self, leg: Leg, offer: str | None) -> None:
        caller = leg.caller
        params = {"sdp": offer} if offer else {}
        extra: dict[str, Any] = {"callNotificationParams": {"callerName": caller.name or caller.address,
                                                            "callerDisplayNumber": caller.address,
                                                            "calleeDisplayNumber": leg.address}}
        if caller.custom_parameters:
            extra["customParameters"] = caller.custom_parameters
        self._send(leg, "call", params, **extra)

    def ringing(self, leg: Leg) -> None:
        remote = self._remote(leg)
        extra = {"callNotificationParams": {"remoteName": remote.name or remote.address,
                                            "remoteDisplayNumber": remote.address}} if remote else {}
        self._send(leg, "ringing", **extra)

    def early_media(self, leg: Leg, sdp: str) -> None:
        self._send(leg, "sessionProgress", {"sdp": sdp})

    def accepted(self, leg: Leg, sdp: str) -> None:
        remote = self._remote(leg)
        extra = {"customParameters": remote.custom_parameters} if remote and remote.custom_parameters else {}
        self._send(leg, "respondCallUpdate", {"sdp": sdp}, **extra)

    def offer(self, leg: Leg, sdp: str | None) -> None:
        remote = self._remote(leg)
        extra = {"customParameters": remote.custom_parameters} if remote and remote.custom_parameters else {}
        self._send(leg, "startCallUpdate", {"sdp": sdp} if sdp else {}, **extra)

    def answer(self, leg: Leg, sdp: str) -> None:
        remote = self._remote(leg)
        extra = {"customParameters": remote.custom_parameters} if remote and remote.custom_parameters else {}
        self._send(leg, "respondCallUpdate", {"sdp": sdp}, **extra)

    def ended(self, leg: Leg, status: int, reason: str) -> None:
        self._send(leg, "callEnd", {"statusCode": status, "reasonText": reason})

    def cancelled(self, leg: Leg) -> None:
        self._send(leg, "callCancel")

    def custom_parameters(self, leg: Leg, parameters: list[dict[str, str]]) -> None:
        # The 4.x SDKs only read custom parameters riding on call events; a bare sendCustomHeaders
        # is delivered as its own envelope, which those SDKs ignore and this SDK reports.
        self._send(leg, "customParameters", customParameters=parameters)
