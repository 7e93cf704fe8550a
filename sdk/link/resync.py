"""``call.resyncOnConnect``: after every websocket (re)connect, ask the platform how each call is.

Notifications sent while the socket was down may be lost. For each call that is not over, has a
session and no operation in progress, the SDK GETs its session (link-callme-wire §4.6):

* ``statusCode 47`` (session not found): the call ended meanwhile; it ends locally as a remote end
  does (``call:stateChange`` to Ended with ``transition {prevState, statusCode: 47, reasonText}``,
  ``call:trackEnded``, ``call:operation`` END FINISH with ``isLocal: false``);
* ``state: "ANSWERED"`` while the call is not Connected / On Hold: it was answered on another
  device; it becomes Cancelled the same way.

Other states, and failures of the request itself, leave the call as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..call import model
from ..call.model import ESTABLISHED, Call, states
from ..errors import BasicError

if TYPE_CHECKING:
    from . import LinkClient

SESSION_NOT_FOUND = 47
ENDED_WHILE_AWAY = "Call ended while the connection was down (session not found on resync)."
ANSWERED_ELSEWHERE = "Call was answered on another device."


def candidates(client: LinkClient) -> list[Call]:
    """Calls worth asking about: not over, known to the platform, not busy with an operation."""
    return [c for c in client.call.engine.calls.values()
            if not c.ended and c.session_id is not None and c.operation is None]


async def resync_calls(client: LinkClient) -> None:
    engine = client.call.engine
    log = client.log_for("Call")
    for call in candidates(client):
        try:
            platform_state = await client.call.signalling.session_state(call)
        except BasicError as error:
            log.info(f"resync of call {call.id} failed ({error.message}); left as it is")
            continue
        if call.ended or call.operation is not None:  # a notification got there first
            continue
        transition: dict[str, Any] = {"prevState": call.state}
        if platform_state is None:
            final = states.ENDED
            transition.update(statusCode=SESSION_NOT_FOUND, reasonText=ENDED_WHILE_AWAY)
        elif platform_state == "ANSWERED" and call.state not in ESTABLISHED:
            final = states.CANCELLED
            transition.update(reasonText=ANSWERED_ELSEWHERE)
        else:
            continue
        log.info(f"resync: call {call.id} is {final} on the platform")
        await engine.finish_end(call, final, transition=transition)
        engine.operation(call, model.END, model.FINISH, local=False)
