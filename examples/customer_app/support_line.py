"""A fragment of a customer's application: a support line built on the Kandy CPaaS SDK."""

from __future__ import annotations

import asyncio
from typing import Any


class SupportLine:
    """Calls the support IVR, keys in the caller's PIN, and posts ticket updates to a chat."""

    def __init__(self, client: Any, ivr_address: str) -> None:
        self.client = client
        self.ivr_address = ivr_address
        self.call_id: str | None = None

    async def call_and_enter_pin(self, pin: str, timeout: float = 15.0) -> str:
        connected = asyncio.get_running_loop().create_future()

        def on_state(params: dict[str, Any]) -> None:
            call = self.client.call.getById(params["callId"])
            if params["callId"] == self.call_id and call["state"] == "Connected" and not connected.done():
                connected.set_result(True)

        self.client.on("call:stateChange", on_state)
        try:
            self.call_id = self.client.call.make(self.ivr_address, {"audio": True})
            await asyncio.wait_for(connected, timeout)
        finally:
            self.client.off("call:stateChange", on_state)
        await self.client.call.sendDTMF(self.call_id, pin + "#")
        return self.call_id

    async def hang_up(self) -> None:
        if self.call_id is not None:
            await self.client.call.end(self.call_id)

    async def post_ticket_update(self, agent: str, text: str) -> None:
        conversation = self.client.conversation.create(agent)
        message = conversation.createMessage({"type": "text", "text": text})
        await message.send()
