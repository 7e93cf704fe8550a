"""Where the platform's ids, secrets and fake people come from.

Two sources, on purpose (docs/decisions.md, "Seeds and secrets"):

* the **seeded** source (moto's MotoRandom idea): Faker users (ids, names, phone numbers) and ids
  that name things without granting anything (message, notification, event, group, fault ids),
  so a seeded run makes the same users and reads the same in a journal;
* :mod:`secrets`, never the seed: keys (token signing, TURN, realm keys, OAuth client secrets),
  generated passwords, and **capabilities**, the ids that grant access by being known
  (notification channels, Link subscriptions, call sessions, anonymous principals, push
  registrations). A seed is often written in a CI file; nothing it derives may open anything,
  and two platforms started with the same seed never hand out the same channel.
"""

from __future__ import annotations

import random
import secrets
import string
import uuid

from faker import Faker

_ALPHANUMERIC = string.ascii_letters + string.digits


class SeededRandom:
    """Seeded data (``faker``, ``id``, ``digits``, ...) and unguessable values (``capability``,
    ``secret``, ``password``, ``key``) from one object, so every service asks the same place."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed(seed)

    def seed(self, seed: int | None) -> None:
        self.value = seed
        self.random = random.Random(seed)
        self.faker = Faker()
        self.faker.seed_instance(seed if seed is not None else self.random.getrandbits(32))
        self._counters: dict[str, int] = {}

    # -- seeded: reproducible, grants nothing --------------------------------------------------
    def token(self, length: int = 16) -> str:
        return "".join(self.random.choice(_ALPHANUMERIC) for _ in range(length))

    def hex(self, length: int = 16) -> str:
        # One draw per id, not one per character: ids are made for every notification.
        return format(self.random.getrandbits(4 * length), f"0{length}x")

    def counter(self, name: str) -> int:
        value = self._counters.get(name, 0) + 1
        self._counters[name] = value
        return value

    def id(self, prefix: str) -> str:
        """A short unique id such as ``ntf-1a2b3c4d-17``: readable, unique per platform (what
        ``hex(8)`` and ``counter(prefix)`` give, inlined: a fan-out makes two ids per member)."""
        number = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = number
        return f"{prefix}-{self.random.getrandbits(32):08x}-{number}"

    def ids(self, prefix: str, count: int) -> list[str]:
        """``count`` ids as ``id(prefix)`` makes them, sharing one random draw and taking the next
        numbers of the counter (so each is still unique): a group message's copies and their
        notifications, two per member. Only for ids that grant nothing (see the module's note)."""
        start = self._counters.get(prefix, 0)
        self._counters[prefix] = start + count
        head = f"{prefix}-{self.random.getrandbits(32):08x}-"
        return [f"{head}{number}" for number in range(start + 1, start + count + 1)]

    def digits(self, count: int) -> str:
        return "".join(self.random.choice(string.digits) for _ in range(count))

    # -- from secrets: never derived from the seed ---------------------------------------------
    @staticmethod
    def capability(prefix: str) -> str:
        """An id that grants access by being known: 128 bits, e.g. ``ch-<32 hex digits>``."""
        return f"{prefix}-{secrets.token_hex(16)}"

    @staticmethod
    def capability_uuid() -> str:
        """A random (version 4) UUID from the operating system's source, for UUID-shaped capabilities."""
        return str(uuid.uuid4())

    @staticmethod
    def secret(nbytes: int = 32) -> str:
        """Key material as URL-safe text (token signing, TURN shared secret, client secrets)."""
        return secrets.token_urlsafe(nbytes)

    @staticmethod
    def key(nbytes: int = 16) -> str:
        """A binary key as hex (CallMe realm keys are 16 bytes)."""
        return secrets.token_hex(nbytes)

    @staticmethod
    def password() -> str:
        """16 URL-safe characters (96 bits)."""
        return secrets.token_urlsafe(12)
