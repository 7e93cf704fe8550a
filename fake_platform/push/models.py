"""Push registrations and the emulated push providers: state and rules, no HTTP.

A Link user registers a device for services (``call``, ``IM``, ...): an iOS device with a VoIP
token (call pushes) and/or a standard token (other services) for APNs production or sandbox, an
Android device with one FCM token. Afterwards every Link notification the platform sends the user
for a registered service is also pushed to the device: the outbox records what the provider was
asked to deliver, per device token, with the ``notificationMessage`` envelope an app hands to
``notification.process`` (same ``eventId`` as the websocket copy, so the SDK drops the second one).

Magic tokens (any token field, case-insensitive prefix) make the emulated providers misbehave:

=================  ==============  =====================================================================
token prefix       when            what happens
=================  ==============  =====================================================================
``reject-``        registration    the provider refuses the token: 400, statusCode 19, ``BadDeviceToken``
                                   (APNs) / ``INVALID_ARGUMENT`` (FCM); nothing is registered
``expired-``       first push      the provider answers ``Unregistered`` (APNs 410) / ``UNREGISTERED``
                                   (FCM 404): outbox status ``expired``, the registration is removed
``unavailable-``   every push      the provider answers 503: outbox status ``failed``, registration kept
=================  ==============  =====================================================================

Any token can also be expired later with :meth:`PushService.expire` (control plane
``POST /_platform/push/expire``).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import Forbidden, InvalidInput, NotFound, PlatformError

APPLE, GOOGLE = "apple", "google"
PROVIDER_NAMES = {APPLE: "apns", GOOGLE: "fcm"}
SERVICES = ("call", "IM", "Presence", "MWI", "SMS", "conversation")
# Of the call notifications only those a device that is not on the websocket needs are pushed:
# an incoming call, and its end before or after an answer.
CALL_PUSH_EVENTS = frozenset({"call", "callCancel", "callEnd"})
CALL_EVENTS = CALL_PUSH_EVENTS | {"ringing", "sessionProgress", "respondCallUpdate", "startCallUpdate",
                                  "sessionComplete", "sessionFail", "customParameters"}
EVENT_SERVICES = {"IM": "IM", "presenceWatcher": "Presence", "mwi": "MWI", "sms": "SMS"}
TOKEN_REJECTED = 19
REJECT, EXPIRED, UNAVAILABLE = "reject-", "expired-", "unavailable-"
OUTBOX_LIMIT = 5000


class PushRejected(PlatformError):
    """The push provider refused a device token at registration."""

    status, kind, message_id, link_code = 400, "push_rejected", "SVC0002", TOKEN_REJECTED


@dataclass
class PushRegistration:
    id: str
    user: str
    account: str  # the username as written in the registration path
    provider: str  # apple | google
    version: str
    services: list[str]
    bundle_id: str
    tokens: dict[str, str]  # field name -> token
    production: bool
    client_correlator: str | None = None
    realm: str | None = None
    created_at: float = 0.0

    @property
    def path(self) -> str:
        return f"/rest/version/{self.version}/user/{self.account}/push/{self.provider}/devices/{self.id}"

    def token_for(self, service: str) -> tuple[str, str] | None:
        """(token, push type) used for a push of ``service``."""
        if self.provider == GOOGLE:
            return self.tokens["deviceToken"], "data"
        if service == "call":
            token = self.tokens.get("voipDeviceToken")
            return (token, "voip") if token else None
        token = self.tokens.get("standardDeviceToken")
        return (token, "alert") if token else None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "user": self.user, "provider": self.provider, "registration": self.path,
                "services": self.services, "bundleId": self.bundle_id, "tokens": dict(self.tokens),
                "environment": environment(self.provider, self.production),
                "clientCorrelator": self.client_correlator, "realm": self.realm}


@dataclass
class PushRecord:
    """One push the platform asked a provider to deliver."""

    id: str
    at: int  # wall-clock ms
    provider: str  # apns | fcm
    environment: str  # production | sandbox
    token: str
    push_type: str  # voip | alert (APNs), data (FCM)
    bundle_id: str
    user: str
    service: str
    registration: str
    status: str  # delivered | expired | failed
    request: dict[str, Any]
    notification: dict[str, Any]
    reason: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def event_type(self) -> str | None:
        event_type: str | None = self.notification.get("notificationMessage", {}).get("eventType")
        return event_type

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "provider": self.provider, "environment": self.environment,
                "token": self.token, "pushType": self.push_type, "bundleId": self.bundle_id, "user": self.user,
                "service": self.service, "eventType": self.event_type, "registration": self.registration,
                "status": self.status, "reason": self.reason, "headers": dict(self.headers),
                "request": self.request, "notification": self.notification}


def environment(provider: str, production: bool) -> str:
    # FCM has a single environment; APNs has production and sandbox gateways.
    return "production" if production or provider == GOOGLE else "sandbox"


def service_of(event_type: str | None) -> str | None:
    if event_type in CALL_EVENTS:
        return "call"
    return EVENT_SERVICES.get(event_type or "")


def _string(body: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("Invalid input value for message part %1", key)
    return value


class PushService:
    def __init__(self, ids: Any, clock: Any, journal: Any) -> None:
        self._ids = ids
        self._clock = clock
        self._journal = journal
        self.registrations: dict[str, PushRegistration] = {}
        self._by_user: dict[str, dict[str, PushRegistration]] = {}  # every notification asks: keep it cheap
        self.outbox: deque[PushRecord] = deque(maxlen=OUTBOX_LIMIT)
        self.expired_tokens: set[str] = set()
        self._waiters: list[tuple[Callable[[PushRecord], bool], asyncio.Future[PushRecord]]] = []

    # -- registrations -------------------------------------------------------------------------
    def register(self, provider: str, user: str, account: str, version: str, body: dict[str, Any]) -> PushRegistration:
        services = body.get("service")
        if not isinstance(services, list) or not services or not all(isinstance(s, str) for s in services):
            raise InvalidInput("Invalid input value for message part %1", "service")
        unknown = [s for s in services if s not in SERVICES]
        if unknown:
            raise Forbidden("Push notifications are not available for the services %1", unknown)
        bundle = _string(body, "bundleID", required=True)
        production = body.get("isProduction", False)
        if not isinstance(production, bool):
            raise InvalidInput("Invalid input value for message part %1", "isProduction")
        tokens: dict[str, str] = {}
        if provider == APPLE:
            for key, needed in (("voipDeviceToken", "call" in services),
                                ("standardDeviceToken", any(s != "call" for s in services))):
                token = _string(body, key, required=needed)
                if token is not None:
                    tokens[key] = token
        else:
            device_token = _string(body, "deviceToken", required=True)  # required: None only when absent
            if device_token is not None:
                tokens["deviceToken"] = device_token
        for token in tokens.values():
            if token.lower().startswith(REJECT):
                reason = "BadDeviceToken" if provider == APPLE else "INVALID_ARGUMENT"
                raise PushRejected("%1: the push service rejected the device token %2", reason, token)
        registration = PushRegistration(
            id=self._ids.capability("push"), user=user, account=account, provider=provider, version=version,
            services=list(services), bundle_id=bundle or "", tokens=tokens,
            production=production if provider == APPLE else True,
            client_correlator=_string(body, "clientCorrelator", required=False),
            realm=_string(body, "realm", required=False), created_at=self._clock.wall())
        # A device registering again (same correlator or same tokens) replaces its registration.
        for old in [r for r in self.of_user(user) if r.provider == provider and (
                (registration.client_correlator and r.client_correlator == registration.client_correlator)
                or r.tokens == tokens)]:
            self._remove(old)
        self.registrations[registration.id] = registration
        self._by_user.setdefault(user, {})[registration.id] = registration
        return registration

    def unregister(self, provider: str, user: str, registration_id: str) -> PushRegistration:
        registration = self.registrations.get(registration_id)
        if registration is None or registration.provider != provider:
            raise NotFound("Push registration %1 not found", registration_id)
        if registration.user != user:
            raise Forbidden("Push registration %1 belongs to another user", registration_id)
        self._remove(registration)
        return registration

    def _remove(self, registration: PushRegistration) -> None:
        self.registrations.pop(registration.id, None)
        mine = self._by_user.get(registration.user, {})
        mine.pop(registration.id, None)
        if not mine:
            self._by_user.pop(registration.user, None)

    def of_user(self, user: str | None = None) -> list[PushRegistration]:
        if user is None:
            return list(self.registrations.values())
        return list(self._by_user.get(user, {}).values())

    def accepts(self, user: str, service: str) -> bool:
        """Whether ``user`` has a device that takes pushes of ``service``."""
        return any(service in r.services and r.token_for(service) for r in self.of_user(user))

    def expire(self, token: str) -> int:
        """Make the provider report ``token`` as no longer valid from the next push on."""
        self.expired_tokens.add(token)
        return sum(token in r.tokens.values() for r in self.registrations.values())

    # -- pushing -------------------------------------------------------------------------------
    def relay(self, user: str, envelope: dict[str, Any], service: str | None = None) -> list[PushRecord]:
        """Push a Link notification envelope sent to ``user`` to the user's registered devices."""
        message = envelope.get("notificationMessage")
        if user not in self._by_user or not isinstance(message, dict):
            return []
        event_type = message.get("eventType")
        service = service or service_of(event_type)
        if service is None or (service == "call" and event_type not in CALL_PUSH_EVENTS):
            return []
        records = []
        for registration in self.of_user(user):
            target = registration.token_for(service) if service in registration.services else None
            if target is not None:
                records.append(self._push(registration, service, target[0], target[1], envelope))
        return records

    def _push(self, registration: PushRegistration, service: str, token: str, push_type: str,
              envelope: dict[str, Any]) -> PushRecord:
        provider = PROVIDER_NAMES[registration.provider]
        request, headers = _provider_request(registration, token, push_type, envelope)
        status, reason = "delivered", None
        lowered = token.lower()
        if token in self.expired_tokens or lowered.startswith(EXPIRED):
            status, reason = "expired", "Unregistered" if provider == "apns" else "UNREGISTERED"
            self._remove(registration)  # providers report it gone: forget the device
        elif lowered.startswith(UNAVAILABLE):
            status, reason = "failed", "ServiceUnavailable" if provider == "apns" else "UNAVAILABLE"
        record = PushRecord(
            id=self._ids.id("apush" if provider == "apns" else "fpush"), at=self._clock.wall_ms(), provider=provider,
            environment=environment(registration.provider, registration.production), token=token,
            push_type=push_type, bundle_id=registration.bundle_id, user=registration.user, service=service,
            registration=registration.id, status=status, reason=reason, request=request,
            notification=envelope, headers=headers)
        self.outbox.append(record)
        self._journal.record("push", user=registration.user, body=request,
                             detail={"provider": provider, "token": token, "status": status,
                                     "environment": record.environment, "eventType": record.event_type})
        self._wake(record)
        return record

    # -- reading the outbox --------------------------------------------------------------------
    def query(self, **filters: Any) -> list[PushRecord]:
        match = matcher(**filters)
        return [r for r in self.outbox if match(r)]

    async def wait_for(self, timeout: float = 10.0, **filters: Any) -> PushRecord:
        """The first outbox record matching ``filters``, waiting up to ``timeout`` seconds for it."""
        match = matcher(**filters)
        for record in self.outbox:
            if match(record):
                return record
        future: asyncio.Future[PushRecord] = asyncio.get_running_loop().create_future()
        entry = (match, future)
        self._waiters.append(entry)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise TimeoutError(f"no push matching {filters} within {timeout} s; outbox: "
                               f"{[(r.token, r.event_type, r.status) for r in self.outbox][-10:]}") from None
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    def _wake(self, record: PushRecord) -> None:
        for match, future in list(self._waiters):
            if not future.done() and match(record):
                future.set_result(record)

    def clear(self) -> None:
        self.outbox.clear()


def matcher(*, token: str | None = None, user: str | None = None, service: str | None = None,
            provider: str | None = None, status: str | None = None, event_type: str | None = None,
            environment: str | None = None) -> Callable[[PushRecord], bool]:
    def match(record: PushRecord) -> bool:
        return ((token is None or record.token == token) and (user is None or record.user == user)
                and (service is None or record.service == service)
                and (provider is None or record.provider == provider)
                and (status is None or record.status == status)
                and (event_type is None or record.event_type == event_type)
                and (environment is None or record.environment == environment))

    return match


def _provider_request(registration: PushRegistration, token: str, push_type: str,
                      envelope: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """What the platform sends the provider: an APNs payload, or an FCM v1 data message."""
    message = envelope["notificationMessage"]
    if registration.provider == APPLE:
        voip = push_type == "voip"
        headers = {"apns-push-type": push_type, "apns-priority": "10",
                   "apns-topic": registration.bundle_id + (".voip" if voip else "")}
        aps: dict[str, Any] = {} if voip else {"content-available": 1}
        return {"aps": aps, "notificationMessage": message}, headers
    # FCM data values are strings: the app parses notificationMessage before calling process().
    return {"message": {"token": token, "android": {"priority": "high"},
                        "data": {"notificationMessage": json.dumps(message)}}}, {}
