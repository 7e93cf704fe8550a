"""Steps on the wire contract (fake_platform/contract): what the scenario's traffic looked like."""

from __future__ import annotations

import contextlib
import json

from pytest_bdd import then

from ..world import World


@then("the traffic of this scenario follows the contract")
def traffic_follows_the_contract(world: World) -> None:
    """Every request, response and frame of the scenario so far was valid against the platform's
    OpenAPI and AsyncAPI documents, on both sides (the platform's and the clients')."""
    assert world.platform is not None, "the platform is not running"
    report = world.call(world.platform.contract_report)
    assert report is not None, "the platform validates nothing: start it with contract=True (ini kandy_contract)"
    with contextlib.suppress(ImportError):
        import allure

        allure.attach(json.dumps(report, indent=1), name="contract", attachment_type=allure.attachment_type.JSON)
    assert report["validated"], "no traffic was validated"
    violations = report["violations"]["platform"] + report["violations"]["client"]
    assert not violations, "\n".join(f"{v['side']} {v['kind']} {v['where']}: {v['error']}" for v in violations)
