"""A platform where user B owns one of every resource, built over real HTTP, and a concrete request
for every route of the route table (``fake_platform.registry.all_routes()``).

The isolation matrix and the fuzzer use it: each route's path variables resolve to B's resources
(or to another user's view of them), and each route has the body B would send. A route whose
variables or body this module cannot fill fails :func:`check_covered`, so a new route cannot slip
past the tests that use it.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from fake_platform import Platform
from fake_platform.auth.models import User
from fake_platform.registry import all_routes
from fake_platform.routing import Door, Route

OFFER = ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
         "c=IN IP4 127.0.0.1\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:0 PCMU/8000\r\n")
OUTSIDE_NUMBER = "+15557654321"
_VARIABLE = re.compile(r"\{(\w+)(?::([^{}]*))?\}")
# Variables that name people or fixed names, not resources: another user's id there is legitimate.
ADDRESS_VARIABLES = frozenset({"ver", "user", "account", "dest", "users", "remote", "local", "from", "book",
                               "participant", "directory", "provider", "mode", "kind"})


@dataclass(frozen=True)
class Variant:
    """One concrete form of a route: values for its regex-constrained variables (mode, kind, provider)."""

    route: Route
    fixed: tuple[tuple[str, str], ...]

    @property
    def values(self) -> dict[str, str]:
        return dict(self.fixed)

    @property
    def mode(self) -> str | None:
        return self.values.get("mode")

    @property
    def key(self) -> str:
        path = self.route.path
        for name, value in self.fixed:
            path = re.sub(r"\{" + name + r":[^{}]*\}", value, path)
        return f"{self.route.method} {path}"

    @property
    def is_websocket(self) -> bool:
        return self.route.handler.__name__ == "websocket"

    @property
    def variables(self) -> list[str]:
        return [name for name, _ in _VARIABLE.findall(self.route.path)]


def variants(routes: list[Route] | None = None) -> list[Variant]:
    """Every route, once per value of each variable its pattern restricts to a few literals."""
    found = []
    for route in routes if routes is not None else all_routes():
        choices = [[(name, v) for v in pattern.split("|")] for name, pattern in _VARIABLE.findall(route.path)
                   if pattern and re.fullmatch(r"[\w|]+", pattern)]
        for combination in itertools.product(*choices):
            found.append(Variant(route, tuple(combination)))
    return found


@dataclass
class Party:
    user: User
    token: str = ""
    cpaas_channel: str = ""
    link_channel: str = ""
    link_subscription: str = ""

    @property
    def id(self) -> str:
        return self.user.user_id

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def basic(self) -> dict[str, str]:
        return basic(self.id, self.user.password)


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


@dataclass
class Response:
    status: int
    body: Any


@dataclass
class World:
    """Users A, B and C on one platform; B owns every kind of resource (``ids``)."""

    platform: Platform
    session: aiohttp.ClientSession
    a: Party
    b: Party
    c: Party
    ids: dict[str, str] = field(default_factory=dict)

    # -- HTTP ----------------------------------------------------------------------------------
    async def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                   *, raw: bytes | None = None, content_type: str = "application/json") -> Response:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        sent = {**({"Content-Type": content_type} if data is not None else {}), **(headers or {})}
        async with self.session.request(method, self.platform.url + path, data=data, headers=sent) as resp:
            content = await resp.read()
            parsed: Any = content
            if resp.content_type == "application/json" and content:
                parsed = json.loads(content)
            return Response(resp.status, parsed)

    async def ok(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        response = await self.call(method, path, body, headers)
        assert response.status < 300, f"{method} {path} -> {response.status} {response.body!r}"
        return response.body

    # -- concrete requests ---------------------------------------------------------------------
    def path(self, variant: Variant, *, owner: Party | None = None, resources: Party | None = None) -> str:
        """The route's path as ``owner`` writes it (``{user}``, ``{account}``), naming the resources of
        ``resources`` (default: both B)."""
        owner = owner or self.b
        resources = resources or owner
        values = variant.values

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return values[name]
            return self.value(variant, name, owner, resources)

        return _VARIABLE.sub(fill, variant.route.path)

    def value(self, variant: Variant, name: str, owner: Party, resources: Party) -> str:
        path, anonymous = variant.route.path, variant.mode == "anonymous"
        b_ids = self.ids
        table: dict[str, Callable[[], str]] = {
            "ver": lambda: "1" if variant.route.door == Door.LINK else "v1",
            "user": lambda: owner.id,
            "account": lambda: self.b.id if anonymous else owner.id,
            "dest": lambda: (self.a if owner is self.b else self.b).id,
            "users": lambda: (self.a if owner is self.b else self.c).id,
            "remote": lambda: OUTSIDE_NUMBER,
            "local": lambda: owner.user.phone_number,
            "from": lambda: "default",
            "book": lambda: "default",
            "directory": lambda: "default",
            "participant": lambda: self.c.id,
            "channel": lambda: (b_ids["callme_channel"] if anonymous else resources.link_channel)
            if variant.route.door == Door.LINK else resources.cpaas_channel,
            "sub": lambda: _subscription(path, anonymous, b_ids, resources),
            "session": lambda: (b_ids["callme_session"] if anonymous else b_ids["link_session"])
            if variant.route.door == Door.LINK else b_ids["cpaas_session"],
            "message": lambda: b_ids["sms_message"] if "/smsmessaging/" in path
            else b_ids["group_message"] if "/group/" in path else b_ids["chat_message"],
            "group": lambda: b_ids["group"],
            "list": lambda: b_ids["presence_list"],
            "object": lambda: b_ids["object"],
            "contact": lambda: "c1",
            "registration": lambda: b_ids[f"push_{variant.values.get('provider')}"],
            "fault": lambda: b_ids.get("fault", "fault-none"),
            "realm": lambda: self.platform.state.config.realm,
            "section": lambda: "users",
            "name": lambda: "ui.js",
        }
        if name not in table:
            raise KeyError(f"no value for {{{name}}} in {variant.key}: teach tests/platform_world.py")
        return table[name]()

    def body(self, variant: Variant) -> Any:
        """What B would send on this route (None: no body)."""
        key = (variant.route.method, variant.route.path)
        anonymous = variant.mode == "anonymous"
        for (method, pattern), make in EXAMPLES.items():
            if method == key[0] and re.search(pattern, key[1]):
                return make(self, anonymous)
        if variant.route.method in ("POST", "PUT"):
            raise KeyError(f"no example body for {variant.key}: teach tests/platform_world.py")
        return None


def _subscription(path: str, anonymous: bool, ids: dict[str, str], resources: Party) -> str:
    if "/rest/" in path:
        return ids["callme_subscription"] if anonymous else resources.link_subscription
    for marker, key in (("/webrtcsignaling/", "call_sub"), ("/chat/", "chat_sub"), ("/smsmessaging/", "sms_sub"),
                        ("/presence/", "presence_sub")):
        if marker in path:
            return ids[key]
    raise KeyError(path)


def _presence_person() -> dict[str, Any]:
    return {"person": {"overriding-willingness": {"overridingWillingnessValue": "Open"},
                       "activities": {"activityValue": "Available"}}}


def _callback(world: World) -> dict[str, Any]:
    return {"callbackReference": {"notifyURL": world.b.cpaas_channel}, "clientCorrelator": "world"}


def _subscribe_request(anonymous: bool) -> dict[str, Any]:
    return {"subscribeRequest": {"expires": 3600, "service": ["callMe"] if anonymous else ["call"],
                                 "notificationType": "WebSocket", "useTurn": True}}


def _call_start(world: World, anonymous: bool) -> dict[str, Any]:
    if anonymous:
        return {"callMeRequest": {"type": "callStart", "to": f"sip:{world.b.id}", "from": "sip:guest@example.com",
                                  "sdp": OFFER, "notifyChannelId": world.ids["callme_channel"],
                                  "supported": ["earlymedia"]}}
    return {"callControlRequest": {"type": "callStart", "to": world.a.id, "from": world.b.id, "sdp": OFFER,
                                   "supported": ["earlymedia"], "customParameters": [{"name": "X-A", "value": "1"}]}}


# (method, pattern of the route's path) -> body B would send. First match wins.
EXAMPLES: dict[tuple[str, str], Callable[[World, bool], Any]] = {
    ("POST", r"/channels$"): lambda w, _a: {"notificationChannel": {"channelType": "websockets",
                                                                    "clientCorrelator": "world"}},
    ("PUT", r"/channelLifetime$"): lambda w, _a: {"notificationChannelLifetime": {"channelLifetime": 3600}},
    ("POST", r"/webrtcsignaling/.*/subscriptions$"): lambda w, _a: {"wrtcsNotificationSubscription": _callback(w)},
    ("POST", r"/chat/.*/subscriptions$"): lambda w, _a: {"chatNotificationSubscription": _callback(w)},
    ("POST", r"/inbound/subscriptions$"): lambda w, _a: {"subscription": _callback(w)},
    ("POST", r"/webrtcsignaling/.*/sessions$"): lambda w, _a: {"wrtcsSession": {
        "tParticipantAddress": w.a.id, "offer": {"sdp": OFFER}, "clientCorrelator": "world"}},
    ("PUT", r"/sessions/\{session\}/status$"): lambda w, _a: {"wrtcsSessionStatus": {"status": "Ringing"}},
    ("PUT", r"/sessions/\{session\}/answer$"): lambda w, _a: {"wrtcsAnswer": {"sdp": OFFER}},
    ("PUT", r"/sessions/\{session\}/update$"): lambda w, _a: {"wrtcsOffer": {"sdp": OFFER}},
    ("PUT", r"/sessions/\{session\}/transfer$"): lambda w, _a: {"wrtcsTransfer": {"x-sessionId": "sess-other"}},
    ("POST", r"/turn$"): lambda w, _a: {"wrtcsTurnCredentials": {}},
    ("POST", r"/messages$"): lambda w, _a: {"chatMessage": {"text": "hello"}},
    ("POST", r"/group$"): lambda w, _a: {"groupChatSessionInformation": {"x-name": "world", "x-type": "closed",
                                                                         "participant": []}},
    ("POST", r"/participants$"): lambda w, _a: {"participantInformation": {"address": w.a.id}},
    ("PUT", r"/participants/\{participant\}/status$"): lambda w, _a: {"participantSessionStatus": {
        "status": "Connected"}},
    ("POST", r"/presenceLists$"): lambda w, _a: {"presenceList": {"x-listName": "world",
                                                                  "presenceContact": [{"presentityUserId": w.a.id}]}},
    ("POST", r"/presenceListSubscriptions/"): lambda w, _a: {"presenceListSubscription": {
        "callbackReference": {"notifyURL": w.b.cpaas_channel}}},
    ("POST", r"/presenceSources$"): lambda w, _a: {"presenceSource": {"presence": _presence_person()}},
    ("POST", r"/adhocPresenceList$"): lambda w, _a: {"adhocPresenceList": {"presentityUserId": [w.a.id]}},
    ("PUT", r"/presenceContacts/"): lambda w, _a: {"presenceContact": {"presentityUserId": w.a.id}},
    ("POST", r"/outbound/\{from\}/requests$"): lambda w, _a: {"outboundSMSMessageRequest": {
        "address": [OUTSIDE_NUMBER], "outboundSMSTextMessage": {"message": "hello"}}},
    ("POST", r"/contacts$"): lambda w, _a: {"contact": {"contactId": "c2", "attributeList": {
        "attribute": [{"name": "primaryContact", "value": w.a.id}]}}},
    ("PUT", r"/contacts/\{contact\}$"): lambda w, _a: {"contact": {"attributeList": {
        "attribute": [{"name": "primaryContact", "value": w.a.id}]}}},
    ("POST", r"/nms/.*/objects$"): lambda w, _a: {},  # multipart in real use; JSON here is refused with a 400
    ("POST", r"/subscription$"): lambda w, a: _subscribe_request(a),
    ("PUT", r"/subscription/\{sub\}$"): lambda w, a: _subscribe_request(a),
    ("POST", r"\{kind:callControl\|callMe\}$"): _call_start,
    ("PUT", r"/callSessions/\{session\}$"): lambda w, a: {("callMeRequest" if a else "callControlRequest"): {
        "type": "audit"}},
    ("POST", r"/calldisposition$"): lambda w, _a: {"callDispositionRequest": {
        "sessionData": w.ids["link_session"], "action": "reject"}},
    ("POST", r":apple\}/devices"): lambda w, _a: {"service": ["call"], "bundleID": "com.example.app",
                                                  "voipDeviceToken": "voip-world", "isProduction": False},
    ("POST", r":google\}/devices"): lambda w, _a: {"service": ["IM"], "bundleID": "com.example.app",
                                                   "deviceToken": "fcm-world"},
    ("POST", r"/cpaas/auth/v1/token$"): lambda w, _a: None,  # a form: see the OAuth door's own tests
    # The control plane
    ("POST", r"/_platform/(reset|seed)$"): lambda w, _a: {},
    ("POST", r"/_platform/users$"): lambda w, _a: {"count": 1, "firstName": "Zed", "lastName": "Zulu",
                                                   "password": "pw-world-1"},
    ("POST", r"/_platform/tokens$"): lambda w, _a: {"userId": w.b.id, "lifetime": 60},
    ("POST", r"/_platform/realms$"): lambda w, _a: {"name": "world-realm", "key": "00" * 16, "tokenTtl": 60},
    ("POST", r"/_platform/realms/\{realm\}/tokens$"): lambda w, _a: {"account": w.b.id, "from": "sip:g@example.com",
                                                                     "to": f"sip:{w.b.id}", "issuedAt": 1},
    ("POST", r"/_platform/faults$"): lambda w, _a: {"kind": "latency", "ms": 1, "count": 1, "duration": 5,
                                                    "match": {"user": w.c.id, "path": "/never$"}},
    ("POST", r"/_platform/sockets/drop$"): lambda w, _a: {"user": w.c.id, "code": 1000},
    ("POST", r"/_platform/notify$"): lambda w, _a: {"user": w.c.id, "product": "cpaas", "service": "chat",
                                                    "frame": {"probe": {}}},
    ("POST", r"/_platform/notify/batch$"): lambda w, _a: {"notifications": [{"user": w.c.id, "frame": {"probe": {}}}]},
    ("POST", r"/_platform/push/expire$"): lambda w, _a: {"token": "none"},
    ("POST", r"/_platform/calls/\{session\}/forget$"): lambda w, _a: {},
    ("POST", r"/_platform/sms/inbound$"): lambda w, _a: {"to": w.c.id, "from": OUTSIDE_NUMBER, "message": "hi"},
    ("POST", r"/_platform/progress$"): lambda w, _a: {"transition": "relay_delay"},
    ("PUT", r"/_platform/progress$"): lambda w, _a: {"relay_delay": 0.05},
}


def check_covered(world: World, chosen: list[Variant]) -> None:
    """Every variant resolves a path and (for POST/PUT) a body, or this fails naming the route."""
    for variant in chosen:
        world.path(variant)
        world.body(variant)


async def build(platform: Platform) -> World:
    """Users A, B, C; B with a CPaaS channel and every service subscription, a call, chat and group
    messages, SMS, presence, contacts, a file, a Link user subscription and call, push devices, and
    a CallMe caller's subscription and call to B."""
    a, b, c = [Party(user) for user in await platform.users.create_many(3)]
    session = aiohttp.ClientSession()
    world = World(platform, session, a, b, c)
    for party in (a, b, c):
        party.token = (await platform.tokens_for(party.user))["access_token"]
        created = await world.ok("POST", f"/cpaas/notificationchannel/v1/{party.id}/channels",
                                 {"notificationChannel": {"channelType": "websockets"}}, party.bearer)
        party.cpaas_channel = created["notificationChannel"]["callbackURL"]
        await world.ok("POST", f"/cpaas/webrtcsignaling/v1/{party.id}/subscriptions",
                       {"wrtcsNotificationSubscription": {"callbackReference": {"notifyURL": party.cpaas_channel}}},
                       party.bearer)
        link = await world.ok("POST", f"/rest/version/1/user/{party.id}/subscription", _subscribe_request(False),
                              party.basic)
        params = link["subscribeResponse"]["subscriptionParams"]
        party.link_channel = params["notificationChannel"].rsplit("/", 1)[1]
        party.link_subscription = params["sessionId"]
    ids, bid, bearer = world.ids, b.id, b.bearer

    def last(url: str) -> str:
        return url.rstrip("/").rsplit("/", 1)[1]

    ids["call_sub"] = next(s.id for s in platform.state.cpaas_channels.subscriptions.values()
                           if s.user == bid and s.service == "call")
    for service, path, wrapper in (("chat_sub", "chat/v1/{u}/subscriptions", "chatNotificationSubscription"),
                                   ("sms_sub", "smsmessaging/v1/{u}/inbound/subscriptions", "subscription")):
        made = await world.ok("POST", "/cpaas/" + path.format(u=bid), {wrapper: _callback(world)}, bearer)
        ids[service] = last(made[wrapper]["resourceURL"])
    made = await world.ok("POST", f"/cpaas/presence/v1/{bid}/presenceLists",
                          {"presenceList": {"presenceContact": [{"presentityUserId": a.id}]}}, bearer)
    ids["presence_list"] = last(made["presenceList"]["resourceURL"])
    made = await world.ok("POST", f"/cpaas/presence/v1/{bid}/subscriptions/presenceListSubscriptions/"
                                  f"{ids['presence_list']}",
                          {"presenceListSubscription": {"callbackReference": {"notifyURL": b.cpaas_channel}}}, bearer)
    ids["presence_sub"] = last(made["presenceListSubscription"]["resourceURL"])
    made = await world.ok("POST", f"/cpaas/webrtcsignaling/v1/{bid}/sessions",
                          {"wrtcsSession": {"tParticipantAddress": a.id, "offer": {"sdp": OFFER}}}, bearer)
    ids["cpaas_session"] = last(made["wrtcsSession"]["resourceURL"])
    made = await world.ok("POST", f"/cpaas/chat/v1/{bid}/oneToOne/{a.id}/adhoc/messages",
                          {"chatMessage": {"text": "hello"}}, bearer)
    ids["chat_message"] = last(made["chatMessage"]["resourceURL"])
    made = await world.ok("POST", f"/cpaas/chat/v1/{bid}/group",
                          {"groupChatSessionInformation": {"x-name": "world", "x-type": "closed",
                                                           "participant": [{"address": c.id}]}}, bearer)
    ids["group"] = last(made["groupChatSessionInformation"]["resourceURL"])
    await world.ok("PUT", f"/cpaas/chat/v1/{c.id}/group/{ids['group']}/participants/{c.id}/status",
                   {"participantSessionStatus": {"status": "Connected"}}, c.bearer)
    made = await world.ok("POST", f"/cpaas/chat/v1/{bid}/group/{ids['group']}/messages",
                          {"chatMessage": {"text": "hello group"}}, bearer)
    ids["group_message"] = last(made["chatMessage"]["resourceURL"])
    made = await world.ok("POST", f"/cpaas/smsmessaging/v1/{bid}/outbound/default/requests",
                          {"outboundSMSMessageRequest": {"address": [OUTSIDE_NUMBER],
                                                         "outboundSMSTextMessage": {"message": "hello"}}}, bearer)
    ids["sms_message"] = last(made["outboundSMSMessageRequest"]["resourceURL"])
    await world.ok("POST", f"/cpaas/addressbook/v1/{bid}/default/contacts",
                   {"contact": {"contactId": "c1", "attributeList": {
                       "attribute": [{"name": "primaryContact", "value": a.id}]}}}, bearer)
    form = aiohttp.FormData()
    form.add_field("raw", b"file of B", filename="b.txt", content_type="text/plain")
    async with session.post(f"{platform.url}/cpaas/nms/v1/chat/{bid}/objects", data=form, headers=bearer) as resp:
        assert resp.status == 201, await resp.text()
        attributes = (await resp.json())["object"]["attributes"]["attribute"]
        ids["object"] = next(x["value"] for x in attributes if x["name"] == "x-id")
    made = await world.ok("POST", f"/rest/version/1/user/{bid}/callControl", _call_start(world, False), b.basic)
    ids["link_session"] = made["callControlResponse"]["sessionData"]
    for provider, wrapper in (("apple", "appleDeviceRegistrationResponse"),
                              ("google", "googleDeviceRegistrationResponse")):
        made = await world.ok("POST", f"/rest/version/1/user/{bid}/push/{provider}/devices",
                              EXAMPLES[("POST", rf":{provider}\}}/devices")](world, False), b.basic)
        ids[f"push_{provider}"] = last(made[wrapper]["registration"])
    made = await world.ok("POST", f"/rest/version/1/anonymous/{bid}/subscription", _subscribe_request(True))
    params = made["subscribeResponse"]["subscriptionParams"]
    ids["callme_subscription"] = params["sessionId"]
    ids["callme_channel"] = params["notificationChannel"].rsplit("/", 1)[1]
    made = await world.ok("POST", f"/rest/version/1/anonymous/{bid}/callMe", _call_start(world, True))
    ids["callme_session"] = made["callMeResponse"]["sessionData"]
    return world


def snapshot(platform: Platform) -> str:
    """The platform's state as JSON, without what every request changes (journal, TURN counters)."""
    return json.dumps(platform.state.dump(), sort_keys=True, default=str)

