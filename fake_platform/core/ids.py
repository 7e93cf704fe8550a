"""One seedable source of randomness for ids, tokens and Faker data (moto's MotoRandom idea)."""

from __future__ import annotations

import random
import string
import uuid

from faker import Faker


class SeededRandom:
    """Every id, secret and fake person the platform makes comes from here."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed(seed)

    def seed(self, seed: int | None) -> None:
        self.value = seed
        self.random = random.Random(seed)
        self.faker = Faker()
        self.faker.seed_instance(seed if seed is not None else self.random.getrandbits(32))
        self._counters: dict[str, int] = {}

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def token(self, length: int = 16) -> str:
        alphabet = string.ascii_letters + string.digits
        return "".join(self.random.choice(alphabet) for _ in range(length))

    def hex(self, length: int = 16) -> str:
        # One draw per id, not one per character: ids are made for every notification.
        return format(self.random.getrandbits(4 * length), f"0{length}x")

    def counter(self, name: str) -> int:
        value = self._counters.get(name, 0) + 1
        self._counters[name] = value
        return value

    def id(self, prefix: str) -> str:
        """A short unique id such as ``ntf-1a2b3c4d-17``: readable, unique per platform."""
        return f"{prefix}-{self.hex(8)}-{self.counter(prefix)}"

    def digits(self, count: int) -> str:
        return "".join(self.random.choice(string.digits) for _ in range(count))
