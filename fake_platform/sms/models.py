"""SMS between phone numbers, with an emulated phone network.

Every user owns one phone number (their ``User.phone_number``); ``default`` as the sender address
means that number. An SMS to a platform user's number is delivered to that user (stored in their
history and notified over their ``smsinbound`` subscription). Any other number is "the outside
world": the SMS lands in :attr:`SmsService.outbox` for tests to inspect, except numbers starting
with :data:`UNREACHABLE_PREFIX`, which fail. The send response always says ``DeliveredToNetwork``;
the final status follows as a ``deliveryInfoNotification`` (DeliveredToTerminal or
DeliveryImpossible) once the handler has answered, as a network would.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..auth.models import User, UserDirectory
from ..channels.models import CpaasChannels
from ..core.errors import Forbidden, InvalidInput, NotFound

if TYPE_CHECKING:
    from ..state import PlatformConfig

UNREACHABLE_PREFIX = "+1999"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_TEXT = 1600
MAX_RECIPIENTS = 10
OUTBOX_LIMIT = 5000  # SMS to the outside world kept for tests to read (the oldest fall off)
TO_NETWORK, TO_TERMINAL, IMPOSSIBLE = "DeliveredToNetwork", "DeliveredToTerminal", "DeliveryImpossible"


@dataclass
class SmsMessage:
    id: str
    owner: str
    remote: str  # the other party's number
    local: str  # the owner's number
    direction: str  # "inbound" | "outbound"
    text: str
    date_time: float
    status: str = TO_NETWORK


@dataclass
class Receipt:
    """A delivery receipt to send once the send request has been answered."""

    user: str
    message: SmsMessage
    status: str


@dataclass
class SmsService:
    channels: CpaasChannels
    users: UserDirectory
    ids: Any
    clock: Any
    limits: PlatformConfig
    threads: dict[tuple[str, str, str], dict[str, SmsMessage]] = field(default_factory=dict)
    outbox: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=OUTBOX_LIMIT))

    # -- outbound ------------------------------------------------------------------------------
    def send(self, user: str, sender_address: str, addresses: Any, text: Any) -> tuple[list[SmsMessage],
                                                                                        list[Receipt]]:
        owner = self.users.get(user)
        local = self._own_number(owner, sender_address)
        if not isinstance(addresses, list) or not 1 <= len(addresses) <= MAX_RECIPIENTS:
            raise InvalidInput("Invalid input value for message part %1", "address")
        numbers = [number(a, "address") for a in addresses]
        if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
            raise InvalidInput("Invalid input value for message part %1", "outboundSMSTextMessage.message")
        now = round(self.clock.wall(), 3)
        sent, receipts = [], []
        for remote in numbers:
            message = self._store(owner.user_id, remote, local, "outbound", text, now)
            sent.append(message)
            receipts.append(Receipt(owner.user_id, message, self._deliver(local, remote, text, now)))
        return sent, receipts

    def send_receipt(self, receipt: Receipt) -> None:
        receipt.message.status = receipt.status
        self.channels.notify(receipt.user, "smsinbound", {"deliveryInfoNotification": {"deliveryInfo": {
            "address": receipt.message.remote, "messageId": receipt.message.id,
            "deliveryStatus": receipt.status}}})

    def _deliver(self, local: str, remote: str, text: str, now: float) -> str:
        recipient = self.users.find(remote)
        if recipient is not None and recipient.kind == "user":
            self.receive(recipient.user_id, local, text, now)
            return TO_TERMINAL
        if remote.startswith(UNREACHABLE_PREFIX):
            return IMPOSSIBLE
        self.outbox.append({"from": local, "to": remote, "message": text, "dateTime": now})
        return TO_TERMINAL

    # -- inbound -------------------------------------------------------------------------------
    def receive(self, user: str, sender_number: str, text: str, now: float | None = None) -> SmsMessage:
        """An SMS from ``sender_number`` reaches ``user`` (also the control plane's injection)."""
        owner = self.users.get(user)
        sender_number = number(sender_number, "senderAddress")
        if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
            raise InvalidInput("Invalid input value for message part %1", "message")
        stamp = round(self.clock.wall(), 3) if now is None else now
        message = self._store(owner.user_id, sender_number, owner.phone_number, "inbound", text, stamp,
                              status=TO_TERMINAL)
        self.channels.notify(owner.user_id, "smsinbound", {"inboundSMSMessageNotification": {
            "dateTime": stamp,
            "inboundSMSMessage": {"dateTime": stamp, "destinationAddress": owner.phone_number, "message": text,
                                  "messageId": message.id, "senderAddress": sender_number}}})
        return message

    # -- history -------------------------------------------------------------------------------
    def threads_of(self, user: str) -> list[tuple[tuple[str, str, str], dict[str, SmsMessage]]]:
        """The user's conversations (the newest ``max_list_items`` at most)."""
        return [(key, msgs) for key, msgs in self.threads.items() if key[0] == user][-self.limits.max_list_items:]

    def history(self, user: str, remote: str, local: str) -> list[SmsMessage]:
        return list(self._thread(user, remote, local).values())[-self.limits.max_list_items:]

    def delete_thread(self, user: str, remote: str, local: str) -> None:
        key = (user, remote, self._local(user, local))
        if self.threads.pop(key, None) is None:
            raise NotFound("No SMS conversation with %1", remote)

    def delete_message(self, user: str, remote: str, local: str, message_id: str) -> None:
        if self._thread(user, remote, local).pop(message_id, None) is None:
            raise NotFound("Message %1 not found", message_id)

    # -- helpers -------------------------------------------------------------------------------
    def _thread(self, user: str, remote: str, local: str) -> dict[str, SmsMessage]:
        thread = self.threads.get((user, remote, self._local(user, local)))
        if thread is None:
            raise NotFound("No SMS conversation with %1", remote)
        return thread

    def _local(self, user: str, local: str) -> str:
        return self.users.get(user).phone_number if local == "default" else local

    @staticmethod
    def _own_number(owner: User, sender_address: str) -> str:
        if sender_address == "default":
            return owner.phone_number
        if number(sender_address, "senderAddress") != owner.phone_number:
            raise Forbidden("Sender address %1 does not belong to %2", sender_address, owner.user_id)
        return owner.phone_number

    def _store(self, owner: str, remote: str, local: str, direction: str, text: str, now: float,
               status: str = TO_NETWORK) -> SmsMessage:
        message = SmsMessage(self.ids.id("sms"), owner, remote, local, direction, text, now, status)
        thread = self.threads.setdefault((owner, remote, local), {})
        thread[message.id] = message
        while len(thread) > self.limits.max_history:  # a conversation keeps its newest messages
            del thread[next(iter(thread))]
        return message


def number(value: Any, part: str) -> str:
    """An E.164 number (``tel:`` prefix allowed), or InvalidInput naming ``part``."""
    text = value[4:] if isinstance(value, str) and value.startswith("tel:") else value
    if not isinstance(text, str) or not E164.match(text):
        raise InvalidInput("Invalid input value for message part %1", part)
    return text
