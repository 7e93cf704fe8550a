"""The support line against the emulated platform, through the kandy_emulator fixtures."""

from __future__ import annotations

from support_line import SupportLine


async def test_the_ivr_hears_the_pin_followed_by_hash(platform, make_cpaas) -> None:
    caller = await make_cpaas(services=["call"], runtime={"codecs": ["PCMU"]})
    line = SupportLine(caller.client, f"ivr@{platform.domain}")
    call_id = await line.call_and_enter_pin("4711")
    session = caller.call.engine.get(call_id).session_id
    assert await platform.wait_endpoint_digits(session, 5) == "4711#"
    await line.hang_up()
    assert caller.call.getById(call_id)["state"] == "Ended"


async def test_ticket_updates_reach_the_agent(make_user, make_cpaas) -> None:
    agent_user = await make_user(first_name="Agent")
    agent = await make_cpaas(agent_user, services=["chat"])
    customer = await make_cpaas(services=["chat"])
    await SupportLine(customer.client, "ivr").post_ticket_update(agent_user.user_id, "ticket 42: printer fixed")
    params = await agent.recorder.wait("messages:change", lambda p: p.get("messageId") is not None)
    message = agent.conversation.get(params["destination"]).getMessage(params["messageId"])
    assert message.parts[0]["text"] == "ticket 42: printer fixed"
