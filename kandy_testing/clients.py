"""SDK clients under test: the client, its event recorder and its platform account, together.

The plugin's ``make_cpaas`` / ``make_link`` fixtures return a :class:`TestClient`; the scenario
world's actors hold one each. Reading an SDK namespace through the wrapper (``alice.conversation``)
reaches the client itself; code that wants the SDK object (an app under test) takes ``.client``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sdk.cpaas
import sdk.link
from fake_platform.auth.models import User
from fake_platform.core.hub import Product  # the platform's, shared with the harness
from sdk.client import Client

from .recorder import EventRecorder

__all__ = ["Product", "TestClient", "create_client"]


@dataclass(eq=False)
class TestClient:
    """An SDK client with the recorder attached at its creation (so no event is missed) and the
    platform user it acts for (``None`` for an anonymous CallMe client)."""

    __test__ = False  # not a pytest test class

    client: Client
    recorder: EventRecorder
    account: User | None

    @property
    def product(self) -> Product:
        return Product(self.client.product)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "client":  # copy/pickle probes; a half-built wrapper
            raise AttributeError(name)
        return getattr(self.client, name)


def create_client(product: Product | str, account: User | None, config: dict[str, Any], *,
                  name: str = "") -> TestClient:
    """A client of ``product`` with ``config`` (a full SDK config), recorded from birth.

    Call it on the loop thread that will run the client.
    """
    module = sdk.cpaas if Product(product) is Product.CPAAS else sdk.link
    client = module.create(config)
    label = name or (account.user_id if account is not None else str(product))
    return TestClient(client, EventRecorder(client, label), account)
