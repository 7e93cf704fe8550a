"""The platform's messaging services over raw HTTP: isolation, validation, error bodies.

Every refusal must be a 4xx with the CPaaS ``requestError`` body, never a 500.
"""

from __future__ import annotations

import aiohttp
import pytest

from fake_platform import Platform

from .cpaas_http import error_id, request

CHAT = "/cpaas/chat/v1"


@pytest.fixture
async def people(platform: Platform):
    return [await platform.users.create(first_name=n) for n in ("Alice", "Bob", "Carol")]


def _no_server_errors(platform: Platform) -> None:
    statuses = [e["status"] for e in platform.journal(kind="http")]
    assert statuses and all(s < 500 for s in statuses), statuses


async def test_a_mailbox_is_private(platform, people) -> None:
    alice, bob, _ = people
    mine = f"{CHAT}/{alice.user_id}/oneToOne/{bob.user_id}/adhoc/messages"
    status, _ = await request(platform, alice, "POST", mine, {"chatMessage": {"text": "secret"}})
    assert status == 201
    for method, path in [("GET", mine), ("GET", f"{CHAT}/{alice.user_id}/oneToOne/sessions"), ("DELETE", mine)]:
        status, body = await request(platform, bob, method, path)
        assert (status, error_id(body)) == (403, "POL0002"), (method, path, body)
    # Bob's own copy is his; deleting it leaves Alice's untouched.
    bobs = f"{CHAT}/{bob.user_id}/oneToOne/{alice.user_id}/adhoc/messages"
    assert (await request(platform, bob, "DELETE", bobs))[0] == 204
    status, body = await request(platform, alice, "GET", mine)
    assert [m["text"] for m in body["chatMessageList"]["chatMessage"]] == ["secret"]
    _no_server_errors(platform)


@pytest.mark.parametrize(("body", "status", "message_id"), [
    ({"nothing": 1}, 400, "SVC0002"),
    ({"chatMessage": {"text": 42}}, 400, "SVC0002"),
    ({"chatMessage": {}}, 400, "SVC0002"),
    ({"chatMessage": {"text": "x", "attachment": "a"}}, 400, "SVC0002"),
    ({"chatMessage": {"text": "x", "attachment": [{"x-id": "obj-none"}]}}, 400, "SVC0002"),
    ({"isComposing": {"state": "dancing"}}, 400, "SVC0002"),
])
async def test_bad_chat_bodies_get_the_protocol_error(platform, people, body, status, message_id) -> None:
    alice, bob, _ = people
    path = f"{CHAT}/{alice.user_id}/oneToOne/{bob.user_id}/adhoc/messages"
    got, reply = await request(platform, alice, "POST", path, body)
    assert (got, error_id(reply)) == (status, message_id), reply


async def test_unknown_recipients_self_messages_and_bad_paging(platform, people) -> None:
    alice, bob, _ = people
    path = f"{CHAT}/{alice.user_id}/oneToOne/%s/adhoc/messages"
    text = {"chatMessage": {"text": "x"}}
    assert (await request(platform, alice, "POST", path % "ghost@example.com", text))[0] == 404
    assert (await request(platform, alice, "POST", path % alice.user_id, text))[0] == 400
    assert (await request(platform, alice, "GET", path % bob.user_id))[0] == 404  # no conversation yet
    await request(platform, alice, "POST", path % bob.user_id, {"chatMessage": {"text": "x"}})
    for bad in ("0", "-1", "abc", "5000"):
        status, body = await request(platform, alice, "GET", (path % bob.user_id) + f"?max={bad}")
        assert (status, error_id(body)) == (400, "SVC0002")
    assert (await request(platform, alice, "DELETE", (path % bob.user_id) + "/m-unknown"))[0] == 404
    status, body = await request(platform, alice, "POST", path % bob.user_id, raw=b"{not json")
    assert (status, error_id(body)) == (400, "SVC0002")
    _no_server_errors(platform)


async def test_files_are_readable_by_their_owner_and_the_recipients_only(platform, people) -> None:
    alice, bob, carol = people
    form = aiohttp.FormData()
    form.add_field("root-fields", '{"object":{"attributes":{"attribute":[{"name":"x-note","value":"hi"}]}}}',
                   content_type="application/json")
    form.add_field("raw", b"\x00\x01binary\xff", filename="blob.bin", content_type="application/octet-stream")
    status, body = await request(platform, alice, "POST", f"/cpaas/nms/v1/chat/{alice.user_id}/objects", data=form)
    assert status == 201
    attributes = {a["name"]: a["value"] for a in body["object"]["attributes"]["attribute"]}
    assert attributes["x-note"] == "hi" and attributes["size"] == "9" and attributes["link"].startswith("http://")
    object_id = attributes["x-id"]
    payload = f"/cpaas/nms/v1/chat/%s/objects/{object_id}/payload"
    assert (await request(platform, bob, "GET", payload % bob.user_id))[0] == 403  # not shared yet
    assert (await request(platform, bob, "GET", payload % alice.user_id))[0] == 403  # someone else's path
    status, _ = await request(platform, carol, "POST", f"{CHAT}/{carol.user_id}/oneToOne/{bob.user_id}/adhoc/messages",
                              {"chatMessage": {"text": "steal", "attachment": [{"x-id": object_id}]}})
    assert status == 403  # only the uploader may attach it
    await request(platform, alice, "POST", f"{CHAT}/{alice.user_id}/oneToOne/{bob.user_id}/adhoc/messages",
                  {"chatMessage": {"text": "file", "attachment": [{"name": "blob.bin", "x-id": object_id}]}})
    assert await request(platform, bob, "GET", payload % bob.user_id) == (200, b"\x00\x01binary\xff")
    assert (await request(platform, carol, "GET", payload % carol.user_id))[0] == 403
    assert (await request(platform, alice, "POST", f"/cpaas/nms/v1/chat/{alice.user_id}/objects",
                          {"not": "multipart"}))[0] == 400
    empty = aiohttp.FormData()
    empty.add_field("root-fields", "{}", content_type="application/json")
    assert (await request(platform, alice, "POST", f"/cpaas/nms/v1/chat/{alice.user_id}/objects", data=empty))[0] == 400
    _no_server_errors(platform)


async def test_sms_validation(platform, people) -> None:
    alice, bob, _ = people
    send = f"/cpaas/smsmessaging/v1/{alice.user_id}/outbound/%s/requests"

    def body(address, text="hi"):
        return {"outboundSMSMessageRequest": {"address": address, "outboundSMSTextMessage": {"message": text}}}

    assert (await request(platform, alice, "POST", send % "default", body(["12345"])))[0] == 400
    assert (await request(platform, alice, "POST", send % "default", body("+15551234567")))[0] == 400
    assert (await request(platform, alice, "POST", send % "default", body(["+15551234567"], "")))[0] == 400
    status, reply = await request(platform, alice, "POST", send % bob.phone_number, body(["+15551234567"]))
    assert (status, error_id(reply)) == (403, "POL0002")  # not Alice's number
    status, reply = await request(platform, alice, "POST", send % alice.phone_number, body(["tel:+15551234567"]))
    assert status == 201 and reply["outboundSMSMessageRequest"]["senderAddress"] == alice.phone_number
    status, reply = await request(platform, bob, "GET", f"/cpaas/smsmessaging/v1/{alice.user_id}/remoteAddresses")
    assert status == 403
    _no_server_errors(platform)


async def test_group_rules(platform, people) -> None:
    alice, bob, carol = people
    base = f"{CHAT}/%s/group"
    status, body = await request(platform, alice, "POST", base % alice.user_id, {"groupChatSessionInformation": {
        "participant": [{"address": bob.user_id}], "x-type": "closed"}})
    assert (status, error_id(body)) == (400, "SVC0002")  # no x-name
    status, body = await request(platform, alice, "POST", base % alice.user_id, {"groupChatSessionInformation": {
        "participant": [{"address": bob.user_id}], "x-name": "Team", "x-type": "open"}})
    assert status == 400  # only closed groups
    status, body = await request(platform, alice, "POST", base % alice.user_id, {"groupChatSessionInformation": {
        "participant": [{"address": "ghost@example.com"}], "x-name": "Team", "x-type": "closed"}})
    assert status == 404
    status, body = await request(platform, alice, "POST", base % alice.user_id, {"groupChatSessionInformation": {
        "participant": [{"address": bob.user_id}], "x-name": "Team", "x-type": "closed"}})
    group = body["groupChatSessionInformation"]["resourceURL"].rsplit("/", 1)[1]
    assert group == group.lower()
    assert (await request(platform, carol, "GET", f"{base % carol.user_id}/{group}"))[0] == 403
    # Bob is only invited: he may read it but not post in it nor manage it.
    assert (await request(platform, bob, "GET", f"{base % bob.user_id}/{group}"))[0] == 200
    status, body = await request(platform, bob, "POST", f"{base % bob.user_id}/{group}/messages",
                                 {"chatMessage": {"text": "x"}})
    assert (status, error_id(body)) == (403, "POL0002")
    status, body = await request(platform, bob, "POST", f"{base % bob.user_id}/{group}/participants",
                                 {"participantInformation": {"address": carol.user_id}})
    assert (status, error_id(body)) == (403, "POL0002")
    status, _ = await request(platform, bob, "PUT", f"{base % bob.user_id}/{group}/participants/{carol.user_id}/status",
                              {"participantSessionStatus": {"status": "Connected"}})
    assert status == 403  # nobody answers for someone else
    status, _ = await request(platform, bob, "PUT", f"{base % bob.user_id}/{group}/participants/{bob.user_id}/status",
                              {"participantSessionStatus": {"status": "Busy"}})
    assert status == 400
    status, _ = await request(platform, alice, "POST", f"{base % alice.user_id}/{group}/participants",
                              {"participantInformation": {"address": bob.user_id}})
    assert status == 409  # already invited
    status, _ = await request(platform, alice, "DELETE", f"{base % alice.user_id}/{group}/participants/{alice.user_id}")
    assert status == 403  # the only administrator cannot leave
    assert (await request(platform, bob, "DELETE", f"{base % bob.user_id}/{group}"))[0] == 403
    assert (await request(platform, alice, "DELETE", f"{base % alice.user_id}/{group}"))[0] == 204
    assert (await request(platform, alice, "GET", f"{base % alice.user_id}/{group}"))[0] == 404
    _no_server_errors(platform)


async def test_presence_validation_and_private_lists(platform, people) -> None:
    alice, bob, _ = people
    presence = "/cpaas/presence/v1/%s"

    def person(status, activity, other=None):
        activities = {"activityValue": activity, **({"other": other} if other else {})}
        return {"presenceSource": {"presence": {"person": {
            "overriding-willingness": {"overridingWillingnessValue": status}, "activities": activities}}}}

    for body in (person("Asleep", "Busy"), person("Open", "Napping"), person("Open", "Busy", "note"), {"x": 1}):
        status, reply = await request(platform, alice, "POST", f"{presence % alice.user_id}/presenceSources", body)
        assert (status, error_id(reply)) == (400, "SVC0002"), body
    status, reply = await request(platform, alice, "POST", f"{presence % alice.user_id}/presenceSources",
                                  person("Open", "ActivitiesOther", "In a meeting"))
    assert status == 201
    assert reply["presenceSource"]["presence"]["person"]["activities"] == {"activityValue": "ActivitiesOther",
                                                                          "other": "In a meeting"}
    status, reply = await request(platform, bob, "POST", f"{presence % bob.user_id}/presenceLists",
                                  {"presenceList": {"x-listName": "mine"}})
    list_id = reply["presenceList"]["resourceURL"].rsplit("/", 1)[1]
    path = f"{presence % alice.user_id}/presenceLists/{list_id}/presenceContacts/{bob.user_id}"
    assert (await request(platform, alice, "PUT", path, {"presenceContact": {"presentityUserId": [bob.user_id]}}))[0] \
        == 403
    # Adding a contact answers with the contact resource (the official 4.9.0 build reads it).
    own = f"{presence % bob.user_id}/presenceLists/{list_id}/presenceContacts/{alice.user_id}"
    status, reply = await request(platform, bob, "PUT", own, {"presenceContact": {"presentityUserId": alice.user_id}})
    assert status == 200 and reply["presenceContact"]["presentityUserId"] == alice.user_id
    assert reply["presenceContact"]["resourceURL"].endswith(f"/presenceContacts/{alice.user_id}")
    status, reply = await request(platform, bob, "POST", f"{presence % bob.user_id}/adhocPresenceList",
                                  {"adhocPresenceList": {"presentityUserId": [alice.user_id]}})
    assert reply["presenceList"]["presenceContact"][0]["presence"]["person"]["activities"]["other"] == "In a meeting"
    _no_server_errors(platform)


async def test_address_books_are_private_and_validated(platform, people) -> None:
    alice, bob, _ = people
    book = f"/cpaas/addressbook/v1/{alice.user_id}/default/contacts"

    def contact(contact_id, **attrs):
        return {"contact": {"contactId": contact_id, "attributeList": {"attribute": [
            {"name": k, "value": v} for k, v in attrs.items()]}}}

    assert (await request(platform, alice, "POST", book, contact("jane", firstName="Jane")))[0] == 400
    assert (await request(platform, alice, "POST", book, contact("bad id!", primaryContact="x")))[0] == 400
    assert (await request(platform, alice, "POST", book, contact("jane", primaryContact="j@x", buddy=True)))[0] == 201
    _status, reply = await request(platform, alice, "GET", f"{book}/jane")
    assert {"name": "buddy", "value": "true"} in reply["contact"]["attributeList"]["attribute"]
    assert (await request(platform, bob, "GET", book))[0] == 403
    assert (await request(platform, bob, "GET", f"/cpaas/addressbook/v1/{bob.user_id}/default/contacts/jane"))[0] \
        == 404
    assert (await request(platform, alice, "GET", f"/cpaas/addressbook/v1/{alice.user_id}/work/contacts"))[0] == 404
    _no_server_errors(platform)


async def test_directory_queries_are_validated_and_domain_bound(platform, people) -> None:
    alice = people[0]
    await platform.users.create(first_name="Eve", user_id="eve@elsewhere.org")
    search = f"/cpaas/directory/v1/{alice.user_id}/default/search"
    for query in ("?shoeSize=42", "?max=0", "?max=101", "?next=99", "?order=up", "?sortBy=age"):
        status, reply = await request(platform, alice, "GET", search + query)
        assert (status, error_id(reply)) == (400, "SVC0002"), query
    assert (await request(platform, alice, "GET", f"/cpaas/directory/v1/{alice.user_id}/other/search"))[0] == 404
    status, reply = await request(platform, alice, "GET", search)
    names = [{a["name"]: a["value"] for a in i["attribute"]}["firstName"]
             for i in reply["directoryItemList"]["directoryItem"]]
    assert sorted(names) == ["Alice", "Bob", "Carol"]  # no one from elsewhere.org, no project identity
    _no_server_errors(platform)
