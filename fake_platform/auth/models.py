"""Users and tokens, with no HTTP in sight.

Users are made with Faker from the platform's seeded source. Their id is ``first.last@domain``
(lower case): the CPaaS ``preferred_username`` and ``services-identity`` claims and the Link
username. Tokens are HS256 JWTs signed with a per-platform secret and checked on every request.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

import jwt

from ..core.errors import Conflict, NotFound, OAuthError, Unauthorized

ISSUER = "fake-kandy-platform"
PHONE_DRAWS = 20  # random draws of a free number before a wider plan is used
VERIFIED_CACHE = 20000


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower()) or "user"


@dataclass
class User:
    user_id: str
    password: str
    first_name: str
    last_name: str
    email: str
    phone_number: str
    domain: str
    kind: str = "user"  # "user" | "project" (client_credentials identity)
    buddy: bool = False
    photo_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def user_name(self) -> str:
        return self.user_id.split("@", 1)[0]

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("password")
        data["user_name"] = self.user_name
        data["display_name"] = self.display_name
        return data

    def with_secret(self) -> dict[str, Any]:
        return {**self.public(), "password": self.password}


@dataclass
class Project:
    client_id: str
    client_secret: str
    user_id: str


class UserDirectory:
    def __init__(self, ids: Any, domain: str) -> None:
        self._ids = ids
        self.domain = domain
        self.users: dict[str, User] = {}
        self._by_phone: dict[str, str] = {}
        self._suffixes: dict[str, int] = {}  # base user id -> the last number appended to it

    def create(self, *, first_name: str | None = None, last_name: str | None = None, password: str | None = None,
               user_id: str | None = None, phone_number: str | None = None, email: str | None = None,
               kind: str = "user", buddy: bool = False) -> User:
        faker = self._ids.faker
        first = first_name or faker.first_name()
        last = last_name or faker.last_name()
        if user_id is None:
            base = f"{_slug(first)}.{_slug(last)}"
            user_id = f"{base}@{self.domain}"
            n = self._suffixes.get(base, 1)
            while user_id in self.users:  # one step per taken id, counting on from the last one given
                n += 1
                user_id = f"{base}{n}@{self.domain}"
            self._suffixes[base] = n
        user_id = user_id.lower()
        if "@" not in user_id:
            user_id = f"{user_id}@{self.domain}"
        if user_id in self.users:
            raise Conflict("User %1 already exists", user_id)
        phone = phone_number or self._new_phone()
        if phone in self._by_phone:
            raise Conflict("Phone number %1 is already assigned", phone)
        user = User(user_id=user_id, password=password or self._ids.password(), first_name=first, last_name=last,
                    email=email or user_id, phone_number=phone, domain=user_id.split("@", 1)[1], kind=kind,
                    buddy=buddy, photo_url=f"https://{self.domain}/photos/{_slug(first)}{_slug(last)}.png")
        self.users[user.user_id] = user
        self._by_phone[phone] = user.user_id
        return user

    def _new_phone(self) -> str:
        """``+1613555XXXX`` while a few draws find one free, then the whole of ``+1613NXX-XXXX``
        (eight million numbers); never loops for ever: a full plan is a Conflict."""
        for _ in range(PHONE_DRAWS):
            phone = f"+1613555{self._ids.digits(4)}"
            if phone not in self._by_phone:
                return phone
        for _ in range(PHONE_DRAWS):
            phone = f"+1613{self._ids.random.randint(200, 999)}{self._ids.digits(4)}"
            if phone not in self._by_phone:
                return phone
        for exchange in range(200, 1000):  # nearly full: the first free number, in order
            for line in range(10_000):
                phone = f"+1613{exchange}{line:04d}"
                if phone not in self._by_phone:
                    return phone
        raise Conflict("Every phone number of the plan +1613NXXXXXX is assigned")

    def get(self, user_id: str) -> User:
        user = self.find(user_id)
        if user is None:
            raise NotFound("User %1 not found", user_id)
        return user

    def find(self, address: str | None) -> User | None:
        """Look a user up by id, ``sip:`` URI, bare user name (platform domain) or phone number."""
        if not address:
            return None
        address = address.strip()
        if "<" in address and ">" in address:  # Name <sip:user@domain>
            address = address[address.index("<") + 1:address.index(">")]
        address = re.sub(r"^[a-zA-Z]+:", "", address)  # sip:, tel:, ...
        key = address.lower()
        if key in self.users:
            return self.users[key]
        local = key.split("@", 1)[0]
        if local in self._by_phone:
            return self.users[self._by_phone[local]]
        if "@" not in key and f"{key}@{self.domain}" in self.users:
            return self.users[f"{key}@{self.domain}"]
        return None

    def all(self) -> list[User]:
        """People (project identities of the client_credentials grant are left out)."""
        return [u for u in self.users.values() if u.kind == "user"]


class TokenIssuer:
    def __init__(self, secret: str, clock: Any, lifetime: int = 3600) -> None:
        self._secret = secret
        self._clock = clock
        self.lifetime = lifetime
        # Signature checks cost ~0.2 ms each and a reconnect storm repeats them for every socket:
        # remember tokens whose signature was good (type and expiry are still checked every time).
        self._verified: dict[str, dict[str, Any]] = {}

    def issue(self, user: User, client_id: str, *, lifetime: int | None = None) -> dict[str, Any]:
        now = int(self._clock.wall())
        life = lifetime or self.lifetime
        common = {"iss": ISSUER, "sub": user.user_id, "iat": now, "exp": now + life, "aud": client_id,
                  "preferred_username": user.user_id, "services-identity": user.user_id}
        access = jwt.encode({**common, "typ": "access", "scope": "openid"}, self._secret, algorithm="HS256")
        id_token = jwt.encode({**common, "typ": "id", "email": user.email, "given_name": user.first_name,
                               "family_name": user.last_name}, self._secret, algorithm="HS256")
        return {"access_token": access, "id_token": id_token, "expires_in": life, "token_type": "Bearer",
                "scope": "openid"}

    def verify(self, token: str | None, *, kind: str = "access") -> dict[str, Any]:
        if not token:
            raise Unauthorized("Missing access token")
        claims = self._verified.get(token)
        if claims is None:
            try:
                claims = jwt.decode(token, self._secret, algorithms=["HS256"], issuer=ISSUER,
                                    options={"verify_aud": False, "verify_exp": False, "verify_iat": False})
            except jwt.InvalidTokenError as exc:
                raise Unauthorized("Invalid access token: %1", exc) from None
            if len(self._verified) >= VERIFIED_CACHE:
                self._verified.pop(next(iter(self._verified)))
            self._verified[token] = claims
        claims = dict(claims)
        if claims.get("typ") != kind:
            raise Unauthorized("Wrong token type %1", claims.get("typ"))
        if claims.get("exp", 0) <= self._clock.wall():
            raise Unauthorized("Access token expired")
        return claims


class Projects:
    """Applications allowed to ask for tokens (client_id), and project identities."""

    def __init__(self, ids: Any, users: UserDirectory) -> None:
        self._ids = ids
        self._users = users
        self.projects: dict[str, Project] = {}

    def create(self, client_id: str | None = None, client_secret: str | None = None) -> Project:
        client_id = client_id or f"PRIV-{self._ids.token(10)}"
        user = self._users.create(first_name="Project", last_name=client_id[-6:], kind="project",
                                  user_id=f"{_slug(client_id)}@{self._users.domain}")
        project = Project(client_id, client_secret or self._ids.secret(24), user.user_id)
        self.projects[client_id] = project
        return project

    def check_client(self, client_id: str | None) -> None:
        if not client_id:
            raise OAuthError("invalid_request", "client_id is required")
        if client_id not in self.projects:
            raise OAuthError("invalid_client", f"Unknown client_id {client_id}", status=401)

    def check_secret(self, client_id: str, client_secret: str | None) -> Project:
        self.check_client(client_id)
        project = self.projects[client_id]
        if client_secret != project.client_secret:
            raise OAuthError("invalid_client", "Bad client credentials", status=401)
        return project


def grant(users: UserDirectory, projects: Projects, tokens: TokenIssuer, form: dict[str, str]) -> dict[str, Any]:
    """The token endpoint's logic: password and client_credentials grants."""
    grant_type = form.get("grant_type")
    client_id = form.get("client_id", "")
    if grant_type == "password":
        projects.check_client(client_id)
        user = users.find(form.get("username"))
        if user is None or user.kind != "user" or form.get("password") != user.password:
            raise OAuthError("invalid_grant", "Invalid user credentials", status=401)
        return tokens.issue(user, client_id)
    if grant_type == "client_credentials":
        project = projects.check_secret(client_id, form.get("client_secret"))
        return tokens.issue(users.get(project.user_id), client_id)
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    raise OAuthError("unsupported_grant_type", f"Unsupported grant_type {grant_type}")

