"""``Platform``: the emulated Kandy platform served on 127.0.0.1, in-process or in a thread.

    async with Platform() as platform:                 # ephemeral port, http/ws
        alice = await platform.users.create()
        client = sdk.cpaas.create(platform.sdk_config(alice, product="cpaas"))
        client.setTokens(await platform.tokens_for(alice, sdk_form=True))

``Platform(tls=True)`` serves https/wss with a certificate from a throw-away CA (trustme); the
CA file is ``platform.ca_file`` and ``sdk_config`` tells the SDK to trust it. ``ThreadedPlatform``
runs the same thing on its own loop thread for synchronous code.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import ssl
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from .app import build_app
from .auth.models import User
from .control.guard import is_loopback
from .core.faults import Fault, FaultKind
from .core.progress import Progression, Timings
from .state import PlatformConfig, PlatformState
from .turn.relay import TurnRelay

SHUTDOWN_TIMEOUT = 2.0
# A storm makes every client reconnect at once: with aiohttp's default backlog of 128 the kernel
# drops the overflow and those clients wait a full SYN retransmit (1 s) before they even connect.
LISTEN_BACKLOG = 4096
_correlators = itertools.count(1)


class Users:
    """``platform.users``: make and find users (Faker-made unless told otherwise)."""

    def __init__(self, state: PlatformState) -> None:
        self._state = state

    async def create(self, **fields: Any) -> User:
        return self._state.users.create(**fields)

    async def create_many(self, count: int, **fields: Any) -> list[User]:
        return [self._state.users.create(**fields) for _ in range(count)]

    def get(self, user_id: str) -> User:
        return self._state.users.get(user_id)

    def all(self) -> list[User]:
        return self._state.users.all()


class Faults:
    """``platform.faults``: add, list and clear fault rules (see core/faults.py for kinds)."""

    def __init__(self, state: PlatformState) -> None:
        self._state = state

    def add(self, kind: FaultKind | str, *, duration: float | None = None, count: int | None = None,
            match: dict[str, Any] | None = None, **params: Any) -> Fault:
        """A fault rule of ``kind`` (core/faults.py ``SPECS``: its parameters and defaults)."""
        fault = self._state.faults.add(kind, duration=duration, count=count, match=match, **params)
        self._state.journal.record("fault", detail={"action": "add", "kind": kind, "id": fault.id})
        return fault

    def remove(self, fault_id: str) -> bool:
        """Remove one fault rule before it expires; False when it is not live."""
        return self._state.faults.remove(fault_id)

    def clear(self) -> None:
        self._state.faults.clear()

    def list(self) -> list[dict[str, Any]]:
        return self._state.faults.list()


class Push:
    """``platform.push``: the emulated APNs / FCM outbox and the push registrations.

    Outbox filters: ``token``, ``user``, ``service``, ``provider`` (``apns``/``fcm``), ``status``
    (``delivered``/``expired``/``failed``), ``event_type``, ``environment`` (``production``/``sandbox``).
    """

    def __init__(self, state: PlatformState) -> None:
        self._state = state

    def outbox(self, **filters: Any) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self._state.push.query(**filters)]

    async def wait_for(self, timeout: float = 10.0, **filters: Any) -> dict[str, Any]:
        """The first push matching ``filters`` (already sent, or the next one within ``timeout``)."""
        return (await self._state.push.wait_for(timeout, **filters)).to_dict()

    def registrations(self, user: str | None = None) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self._state.push.of_user(user)]

    def expire(self, token: str) -> int:
        return self._state.push.expire(token)

    def clear(self) -> None:
        self._state.push.clear()


class Platform:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, tls: bool = False,
                 config: PlatformConfig | None = None, turn_port: int | None = 0, **config_fields: Any) -> None:
        """``config_fields`` are :class:`PlatformConfig` fields or :class:`Timings` fields
        (``Platform(relay_delay=0, progression="manual")``). ``turn_port``: the TURN relay's UDP
        and TCP port (0: any free one; None: no relay)."""
        self.host = host
        self.port = port
        self.tls = tls
        if config is None:
            timings = {k: config_fields.pop(k) for k in list(config_fields) if k in Timings.names()}
            config = PlatformConfig(**config_fields, timings=Timings(**timings))
            config.progression = Progression(config.progression)
        if config.control_token is None and not is_loopback(host):
            # Beyond loopback anyone on the network could read every password: a token guards the
            # control plane (printed by the CLI; Platform.control_token; control/guard.py).
            config.control_token = secrets.token_urlsafe(32)
        self.state = PlatformState(config)
        self.users = Users(self.state)
        self.faults = Faults(self.state)
        self.push = Push(self.state)
        self.relay = TurnRelay(lambda: self.state, host=host, port=turn_port) if turn_port is not None else None
        self._relay_urls: list[str] | None = None
        self._runner: web.AppRunner | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ca_file: str | None = None
        self._ssl_context: ssl.SSLContext | None = None
        self.certificate_spki: str | None = None  # base64 SHA-256 of the TLS key (browser pinning)

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> Platform:
        if self.tls:
            self._ssl_context = self._make_tls()
        app = build_app(self.state)
        self._runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT, access_log=None,
                                     handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self._ssl_context,
                           reuse_address=True, backlog=LISTEN_BACKLOG)
        await site.start()
        for address in self._runner.addresses:  # the port the kernel chose for port 0
            self.port = int(address[1])
        self.state.base_url = self.url
        self.state.start()
        if self.relay is not None:
            await self.relay.start()
            self.state.relay = self.relay
            urls = self.state.config.turn_urls
            if not urls or self._relay_urls == urls:  # the credentials name our relay (unless told otherwise)
                urls[:] = self.relay.urls
                self._relay_urls = list(urls)
        return self

    async def stop(self) -> None:
        """Stop serving; with ``contract=True``, raise ``ContractViolation`` if the platform broke
        its own contract (fake_platform/contract) while it ran."""
        running = self._runner is not None
        if self.relay is not None:
            await self.relay.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        monitor = self.state.contract
        if running and monitor is not None:
            from .contract.report import RUN

            if monitor.reported:
                RUN.add(monitor)
            monitor.raise_for_platform()

    async def __aenter__(self) -> Platform:
        return await self.start()

    async def __aexit__(self, exc_type: object, *exc: object) -> None:
        try:
            await self.stop()
        except AssertionError:
            if exc_type is None:  # never hide the exception that ended the block
                raise

    def _make_tls(self) -> ssl.SSLContext:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost", self.host)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self.certificate_spki = _spki_hash(cert.cert_chain_pems[0].bytes())
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-platform-")
        self.ca_file = str(Path(self._tmp.name) / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_file)
        return context

    # -- addresses -----------------------------------------------------------------------------
    @property
    def control_token(self) -> str | None:
        """What ``/_platform/`` wants as ``Authorization: Bearer <token>`` (None: no token needed)."""
        return self.state.config.control_token

    @property
    def control_headers(self) -> dict[str, str]:
        """Headers for an HTTP client of the control plane (empty on loopback without a token)."""
        token = self.control_token
        return {"Authorization": f"Bearer {token}"} if token else {}

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://{self.host}:{self.port}"

    # -- helpers for tests and scripts ---------------------------------------------------------
    def sdk_config(self, user: User | None = None, *, product: str = "cpaas", relay: bool | str = False,
                   **overrides: Any) -> dict[str, Any]:
        """A documented SDK config pointing at this platform (loopback ICE, trusted TLS).

        ``relay`` (True, or the transport ``"udp"`` / ``"tcp"``): calls relay their media through
        the platform's TURN relay (``call.iceServers`` names it, ``iceTransportPolicy: 'relay'``;
        the SDK gets the credentials from the platform)."""
        runtime: dict[str, Any] = {"hostAddresses": ["127.0.0.1"]}
        if self.tls:
            runtime["ssl"] = self.ca_file
        protocol = "https" if self.tls else "http"
        if product == "cpaas":
            config: dict[str, Any] = {
                "authentication": {
                    "server": {"base": self.host, "protocol": protocol, "port": self.port},
                    "clientCorrelator": f"corr-{next(_correlators)}",
                },
                "call": {"iceServers": []},
                "subscription": {"timeout": 10},
                "logs": {"logLevel": "info"},
                "runtime": runtime,
            }
        elif product == "link":
            config = {
                "authentication": {
                    "subscription": {"server": self.host, "protocol": protocol, "port": self.port},
                    "websocket": {"server": self.host, "protocol": "wss" if self.tls else "ws", "port": self.port},
                },
                "call": {"iceServers": []},
                "logs": {"logLevel": "info"},
                "runtime": runtime,
            }
        else:
            raise ValueError(f"unknown product {product!r}; expected 'cpaas' or 'link'")
        if relay:
            config["call"] = {"iceServers": [{"urls": self.turn_url("tcp" if relay == "tcp" else "udp")}],
                              "iceTransportPolicy": "relay"}
        return _deep_merge(config, overrides)

    def turn_url(self, transport: str = "udp") -> str:
        """The relay's ``turn:`` URL for ``transport`` (``udp`` or ``tcp``); the relay must be started."""
        if self.relay is None or not self.relay.port:
            raise RuntimeError("the platform's TURN relay is not running (Platform(turn_port=None), or not started)")
        return next(u for u in self.relay.urls if u.endswith(f"transport={transport}"))

    async def tokens_for(self, user: User | str, *, sdk_form: bool = False) -> dict[str, Any]:
        """Tokens from the real token endpoint (password grant); ``sdk_form`` gives setTokens input."""
        user_obj = self.state.users.get(user if isinstance(user, str) else user.user_id)
        form = {"grant_type": "password", "client_id": self.state.config.client_id, "scope": "openid",
                "username": user_obj.user_id, "password": user_obj.password}
        connector = aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=self.ca_file) if self.tls else False)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.post(f"{self.url}/cpaas/auth/v1/token", data=form) as resp:
                body: dict[str, Any] = await resp.json()
                if resp.status != 200:
                    raise RuntimeError(f"token request failed: {resp.status} {body}")
        if sdk_form:
            return {"accessToken": body["access_token"], "idToken": body["id_token"]}
        return body

    async def reset(self, seed: int | None = None) -> None:
        await self.state.reset(seed)

    @property
    def timings(self) -> Timings:
        """The protocol timings (core/progress.py); changes apply to what is scheduled next."""
        return self.state.progress.timings

    def advance(self, transition: str | None = None) -> int:
        """Manual progression: release the pending transitions named ``transition`` (all when
        None, e.g. ``"relay_delay"``, ``"ivr_answer_delay"``); returns how many ran."""
        return self.state.progress.advance(transition)

    def pending_transitions(self) -> list[str]:
        return self.state.progress.pending()

    def journal(self, **filters: Any) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.state.journal.query(**filters)]

    async def drop_sockets(self, *, code: int = 1006, user: str | None = None, channel: str | None = None,
                           product: str | None = None) -> int:
        return await self.state.hub.drop_sockets(code=code, user=user, channel=channel, product=product)

    def endpoint_calls(self, caller_session: str | None = None) -> list[dict[str, Any]]:
        """What scripted endpoints received: digits heard, custom parameters (see calls/endpoints.py)."""
        return [c.to_dict() for c in self.state.calls.endpoints.calls_of(caller_session)]

    async def wait_endpoint_digits(self, caller_session: str, count: int, timeout: float = 10.0) -> str:
        """Wait until the IVR in the caller's session heard ``count`` DTMF digits; return them."""
        return await self.state.calls.endpoints.wait_digits(caller_session, count, timeout)

    def callme_credentials(self, account: str, caller: str, callee: str, *, realm: str | None = None,
                           issued_at: int | None = None) -> dict[str, str]:
        """Token-mode CallMe credentials minted with a realm's key (what an app server does)."""
        from .link.tokens import make_token

        realm_obj = self.state.link.realms.get(realm or self.state.config.realm)
        stamp = issued_at if issued_at is not None else self.state.clock.wall_ms()
        return {
            "realm": realm_obj.name,
            "accountToken": make_token(account, realm_obj.key, stamp),
            "fromToken": make_token(caller, realm_obj.key, stamp),
            "toToken": make_token(callee, realm_obj.key, stamp),
        }

    def inject_sms(self, to: str, sender: str, message: str) -> dict[str, Any]:
        """An SMS from the outside number ``sender`` reaches the user ``to`` (user id or number)."""
        user = self.state.users.find(to)
        if user is None:
            raise ValueError(f"no platform user {to!r}")
        sms = self.state.sms.receive(user.user_id, sender, message)
        return {"messageId": sms.id, "to": user.user_id, "destinationAddress": sms.local}

    def sms_outbox(self) -> list[dict[str, Any]]:
        """SMS sent by users to numbers outside the platform."""
        return list(self.state.sms.outbox)

    # -- what tests and the step library read or do (a facade: they never reach into state) -----
    @property
    def domain(self) -> str:
        return self.state.config.domain

    @property
    def client_id(self) -> str:
        """The OAuth client id of the token endpoint."""
        return self.state.config.client_id

    @property
    def realm(self) -> str:
        """The default CallMe realm."""
        return self.state.config.realm

    @property
    def journal_seq(self) -> int:
        """The sequence number of the journal's latest entry (pass it as ``since`` to look later)."""
        return self.state.journal.last_seq

    def wall_ms(self) -> int:
        """The platform's wall clock (token issue times), in ms since the epoch."""
        return self.state.clock.wall_ms()

    def monotonic(self) -> float:
        """The platform's monotonic clock (the journal's ``mono``)."""
        return self.state.clock.monotonic()

    def dump(self) -> dict[str, Any]:
        """Everything the platform holds, as ``GET /_platform/state`` shows it."""
        return self.state.dump()

    def channels(self, *, user: str | None = None, product: str | None = None) -> list[dict[str, Any]]:
        """Notification channels (``GET /_platform/sockets`` rows), with ``sent``: every
        notification published to the channel so far, delivered or held for a reconnect."""
        return [{**c.to_dict(), "sent": c.delivered + c.buffered_total} for c in self.state.hub.channels.values()
                if (user is None or c.user == user) and (product is None or c.product == product)]

    def notify(self, user: str, notification: dict[str, Any], *, product: str, service: str = "chat") -> int:
        """Publish a notification to ``user``'s channels of ``product`` (CPaaS: those subscribed
        to ``service``; Link: every subscription and push device); returns how many took it."""
        if product not in ("cpaas", "link"):
            raise ValueError(f"unknown product {product!r}; expected 'cpaas' or 'link'")
        monitor = self.state.contract  # the frame is the caller's: the contract does not judge it
        with monitor.injected() if monitor is not None else contextlib.nullcontext():
            if product == "cpaas":
                return self.state.cpaas_channels.notify(user, service, notification)
            return self.state.link.notify_owner(user, notification)

    def access_token(self, user: User, *, lifetime: int | None = None) -> str:
        """An access token for ``user`` minted directly (``lifetime`` in s; negative: already expired)."""
        token: str = self.state.tokens.issue(user, self.state.config.client_id, lifetime=lifetime)["access_token"]
        return token

    def turn_credentials_valid(self, username: str, password: str) -> bool:
        """Whether the platform's TURN service would accept these (unexpired, its own HMAC)."""
        return self.state.turn.valid(username, password)

    def contract_report(self) -> dict[str, Any] | None:
        """What the contract monitor saw (``validated``, ``violations`` and ``counts`` by side);
        None when the platform validates nothing (``contract=False``)."""
        monitor = self.state.contract
        return None if monitor is None else monitor.report()

    def call_ladders(self) -> list[Any]:
        """The ladder of every call the platform saw (fake_platform/ui), oldest first."""
        return list(self.state.dashboard.ladders())

    def forget_call(self, session_id: str) -> None:
        """Drop a call session without telling anyone: a platform that lost it (audits then fail)."""
        self.state.calls.router.forget(session_id)

    async def request_offer(self, session_id: str, timeout: float = 10.0) -> str:
        """Ask the party of call leg ``session_id`` for a fresh offer (a re-INVITE without SDP, what a
        media broker sends when it re-anchors a call) and return the offer it sends back."""
        router = self.state.calls.router
        leg = router.legs.get(session_id)
        if leg is None:
            raise KeyError(f"no call leg {session_id}")
        sent: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def offered(event: str, which: Any) -> None:
            if event == "offer" and which is leg and not sent.done():
                sent.set_result(str(leg.extra.get("sdp", "")))

        router.observers.append(offered)
        try:
            router.request_offer(leg)
            async with asyncio.timeout(timeout):
                return await sent
        finally:
            router.observers.remove(offered)


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _deep_merge(result[key], value)
        else:
            result[key] = value
    return result


class ThreadedPlatform:
    """The platform on its own loop thread, for synchronous code (scripts, sync test suites)."""

    def __init__(self, **kwargs: Any) -> None:
        from kandy_media.loop_thread import SyncBridge

        self._bridge = SyncBridge("fake-platform")
        self.platform = Platform(**kwargs)

    def start(self) -> ThreadedPlatform:
        self._bridge.run(self.platform.start())
        return self

    def stop(self) -> None:
        self._bridge.run(self.platform.stop())
        self._bridge.stop()

    def __enter__(self) -> ThreadedPlatform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.platform.url

    @property
    def control_token(self) -> str | None:
        return self.platform.control_token

    def create_user(self, **fields: Any) -> User:
        return self._bridge.run(self.platform.users.create(**fields))

    def tokens_for(self, user: User | str, *, sdk_form: bool = False) -> dict[str, Any]:
        return self._bridge.run(self.platform.tokens_for(user, sdk_form=sdk_form))

    def sdk_config(self, user: User | None = None, *, product: str = "cpaas", **overrides: Any) -> dict[str, Any]:
        return self.platform.sdk_config(user, product=product, **overrides)

    def reset(self, seed: int | None = None) -> None:
        self._bridge.run(self.platform.reset(seed))

    def journal(self, **filters: Any) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self._bridge.call(self.platform.journal, **filters)
        return entries

    def add_fault(self, kind: str, **kwargs: Any) -> Fault:
        fault: Fault = self._bridge.call(self.platform.faults.add, kind, **kwargs)
        return fault

    def drop_sockets(self, **kwargs: Any) -> int:
        return self._bridge.run(self.platform.drop_sockets(**kwargs))


def _spki_hash(cert_pem: bytes) -> str:
    """What Chromium's --ignore-certificate-errors-spki-list takes: base64(SHA-256(SPKI DER))."""
    import base64
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = x509.load_pem_x509_certificate(cert_pem).public_key()
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()
