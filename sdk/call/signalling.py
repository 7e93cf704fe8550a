"""The seam between the call engine and a product's call signalling protocol.

The engine never sees URLs or bodies. A product adapter (CPaaS webrtcsignaling, Link callControl /
CallMe anonymous) implements :class:`Signalling` for requests, and turns its inbound notifications
into calls of the engine's ``on_*`` methods (see :class:`SignallingEvents`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .model import Call


class Signalling(Protocol):
    async def start(self, call: Call, offer: str) -> str:
        """Place the call; returns the platform's session id."""

    async def ringing(self, call: Call) -> None: ...

    async def answer(self, call: Call, answer: str) -> None: ...

    async def reject(self, call: Call) -> None: ...

    async def end(self, call: Call) -> None: ...

    async def update(self, call: Call, offer: str) -> None:
        """Send a re-offer (hold, unhold, media change); the answer arrives as a notification."""

    async def respond(self, call: Call, answer: str) -> None:
        """Answer a remote re-offer."""

    async def audit(self, call: Call) -> bool:
        """True while the platform knows the session; False when it is gone."""

    async def send_custom_parameters(self, call: Call) -> None: ...

    def normalize(self, destination: str) -> str:
        """The address the platform expects for ``destination`` (e.g. ``sip:bob@example.com``)."""


class SignallingEvents(Protocol):
    """What adapters call on the engine when notifications arrive (all keyed by session id)."""

    async def on_incoming(self, session_id: str, offer: str | None, *, remote_number: str | None,
                          remote_name: str | None, to_address: str | None,
                          custom_parameters: list[dict[str, str]] | None = None) -> None: ...

    async def on_ringing(self, session_id: str, **remote: Any) -> None: ...

    async def on_early_media(self, session_id: str, sdp: str) -> None: ...

    async def on_accepted(self, session_id: str, answer: str) -> None: ...

    async def on_remote_offer(self, session_id: str, offer: str | None) -> None: ...

    async def on_remote_answer(self, session_id: str, answer: str) -> None: ...

    async def on_ended(self, session_id: str, *, cancelled: bool = False, status_code: int | None = None,
                       reason: str | None = None) -> None: ...

    async def on_custom_parameters(self, session_id: str, parameters: list[dict[str, str]]) -> None: ...

    def call_of(self, session_id: str) -> Call | None:
        """The call a platform session belongs to, if any."""
