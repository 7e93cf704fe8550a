"""The dashboard in headless Chromium, opened through its login where the control plane needs its
token: it follows a call two SDK clients place while the page is open, a fault switched from the
page takes effect on the platform, and axe-core finds no WCAG 2.1 A/AA violation on the page or its
login. Screenshots land in reports/ui/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fake_platform import Platform
from tests.interop.browser import unavailable

PCMU = {"codecs": ["PCMU"]}
WAIT_MS = 15_000
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags}})).violations
    .map(v => ({rule: v.id, impact: v.impact, help: v.help,
                where: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))"""


@pytest.mark.platform(control_token="browser-token")
async def test_the_dashboard_follows_a_call_and_switches_a_fault(
        platform: Platform, make_cpaas: Any, page: Any, axe_script: Path | str, screenshots: Path) -> None:
    """On a platform whose control plane needs its token (as beyond loopback): the page is opened
    through its login, and everything after runs on the token the login kept in a cookie."""
    from playwright.async_api import expect

    if isinstance(axe_script, str):
        unavailable(f"axe-core unavailable: {axe_script}")
    alice = await make_cpaas(services=["call"], runtime=PCMU)
    bob = await make_cpaas(services=["call"], runtime=PCMU)
    await page.goto(f"{platform.url}/_platform/ui")
    assert "/_platform/ui/login?token=" in await page.content()  # the guard says how to get in
    await page.goto(f"{platform.url}/_platform/ui/login")
    assert await accessibility_violations(page, axe_script) == []
    await page.fill("#token", "browser-token")
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{platform.url}/_platform/ui")
    await expect(page.locator("#live-status")).to_have_text("Live: the page follows the platform.", timeout=WAIT_MS)

    # A call placed while the page is open shows up, ringing, then connected, with its ladder.
    call_id = alice.call.make(bob.account.user_id, {"audio": True})
    incoming = await bob.recorder.wait("call:receive")
    bob_call = incoming["callId"]
    await bob.recorder.wait("call:stateChange", lambda p: bob.call.getById(bob_call)["state"] == "Ringing")
    bob_leg = bob.call.engine.get(bob_call).session_id
    await expect(page.locator(f'tr[data-leg="{bob_leg}"] .badge')).to_have_text("ringing", timeout=WAIT_MS)
    await bob.call.answer(bob_call, {"audio": True})
    await alice.recorder.wait("call:stateChange", lambda p: alice.call.getById(call_id)["state"] == "Connected")
    alice_leg = alice.call.engine.get(call_id).session_id
    await expect(page.locator(f'tr[data-leg="{alice_leg}"] .badge')).to_have_text("connected", timeout=WAIT_MS)
    call = page.locator("article.call.live", has=page.locator(f'tr[data-leg="{alice_leg}"]'))
    await call.locator("details.ladder summary").click()
    ladder = call.locator("details.ladder img")
    await expect(ladder).to_be_visible(timeout=WAIT_MS)
    await page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=await ladder.element_handle(),
                                 timeout=WAIT_MS)
    await page.screenshot(path=screenshots / "dashboard-call.png", full_page=True)
    await ladder.screenshot(path=screenshots / "ladder.png")

    # A fault added from the page: the platform refuses the token endpoint with it, then not without it.
    await page.select_option("#fault-kind", "http_error")
    await page.fill("#fault-http_error-status", "200")
    await page.fill("#fault-match-path", "/auth/v1/token$")
    await page.click("#fault-form button[type=submit]")
    await expect(page.locator("#fault-status")).to_contain_text("must be in [400, 599]", timeout=WAIT_MS)
    await page.fill("#fault-http_error-status", "503")
    await page.click("#fault-form button[type=submit]")
    await expect(page.locator("#fault-status")).to_contain_text("added: http_error", timeout=WAIT_MS)
    (fault,) = platform.faults.list()
    assert (fault["kind"], fault["params"]["status"], fault["match"]) == ("http_error", 503,
                                                                          {"path": "/auth/v1/token$"})
    with pytest.raises(RuntimeError, match="token request failed: 503"):
        await platform.tokens_for(alice.account)
    await expect(page.locator("#journal-rows")).to_contain_text("POST /cpaas/auth/v1/token → 503", timeout=WAIT_MS)
    await expect(page.locator(f'tr[data-fault="{fault["id"]}"]')).to_contain_text("http_error", timeout=WAIT_MS)
    await page.screenshot(path=screenshots / "dashboard-fault.png", full_page=True)
    await page.click(f'button.remove-fault[data-fault="{fault["id"]}"]')
    await expect(page.locator("#fault-status")).to_have_text(f"Fault {fault['id']} removed.", timeout=WAIT_MS)
    assert platform.faults.list() == []
    assert "access_token" in await platform.tokens_for(alice.account)

    # Accessibility, with the call, its ladder and the fault form on the page.
    assert await accessibility_violations(page, axe_script) == []
    await alice.call.end(call_id)


async def accessibility_violations(page: Any, axe_script: Path) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is."""
    await page.add_script_tag(path=str(axe_script))
    violations: list[dict[str, Any]] = await page.evaluate(AXE_RUN, AXE_RULES)
    return violations

