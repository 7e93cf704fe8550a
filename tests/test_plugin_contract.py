"""The pytest plugin validates an app's traffic against the contract by default (issue 15: input
checked by schemas, not only by the handlers), without writing files of ours into the app's tree."""

from __future__ import annotations

import pytest

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
FLAGS = ("-p", "no:allure_pytest", "-p", "no:allure_pytest_bdd", "-p", "no:cacheprovider")

APP_TEST = """
import aiohttp

async def test_the_fixture_platform_judges_requests(platform):
    user = await platform.users.create()
    token = (await platform.tokens_for(user))["access_token"]
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{platform.url}/cpaas/chat/v1/{user.user_id}/oneToOne/x@example.com/adhoc/messages",
                             json={"chatMessage": {"text": 5}},
                             headers={"Authorization": f"Bearer {token}"}) as resp:
            body = await resp.json()
    report = platform.contract_report()
    assert EXPECT_VALIDATION == (report is not None), report
    assert resp.status == 400, body
    if EXPECT_VALIDATION:
        assert report["counts"]["client"] == 1 and report["violations"]["client"], report
"""


@pytest.mark.parametrize(("ini", "validated"), [("", True), ("kandy_contract = false\n", False)],
                         ids=["default", "turned-off"])
def test_an_apps_invalid_request_is_judged_by_the_contract_by_default(pytester: pytest.Pytester, ini: str,
                                                                      validated: bool) -> None:
    pytester.makeini(INI + ini)
    pytester.makepyfile(APP_TEST.replace("EXPECT_VALIDATION", str(validated)))
    pytester.runpytest(*FLAGS).assert_outcomes(passed=1)
    assert not (pytester.path / "reports").exists(), "the plugin wrote files into the app's tree"
