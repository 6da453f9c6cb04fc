"""Scenarios in the console: on a season waiting for its manufacturing decision, a planner
builds two scenarios with levers, compares them with the live plan and adopts one; the
approver finds the approval form filled from it, and the approval still waits."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect

from planner_tools.testing.stack import Stack

from .conftest import Shots, wait_for
from .test_browser_console import (
    APPROVER_KEY,
    PARAMETERS,
    PLANNER_KEY,
    SLOW_FORECAST_S,
    api,
    open_tab,
    sign_in,
    sign_out,
)

# The second e2e group: this stack runs beside the heavier e2e group on the other worker.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e-light"), pytest.mark.timeout(1200)]


def test_two_scenarios_compared_and_one_adopted(
    browser: BrowserContext, browser_stack: Stack, shots: Shots
) -> None:
    with api(browser_stack, PLANNER_KEY) as client:
        created = client.post("/api/workflows/forecast", json={"parameters": PARAMETERS})
        assert created.status_code == 201, created.text
        workflow_id = str(created.json()["workflow_id"])
        wait_for(
            lambda: (
                client.get(f"/api/workflows/{workflow_id}").json()["state"]
                == "awaiting_manufacturing_approval"
            ),
            # The forecast on a loaded machine: as long as the season's own test allows a slow one.
            SLOW_FORECAST_S,
            "the manufacturing proposal",
        )
    page = browser.new_page()
    sign_in(page, browser_stack, PLANNER_KEY)
    open_tab(page, browser_stack, workflow_id, "scenarios")
    for name, holdback, cadence, outerwear in (
        ("more outerwear", "30", "bi_weekly", "24000"),
        ("holdback 60", "60", "", ""),
    ):
        page.fill("input[name=scenario-name]", name)
        page.fill("input[name=dc_holdback_percentage]", holdback)
        page.select_option("select[name=replenishment_strategy]", cadence)
        if outerwear:
            page.get_by_test_id("lever-buy-OUTW").fill(outerwear)
        page.get_by_test_id("build-scenario").click()
        expect(page.get_by_test_id(f"compare-{name}")).to_be_checked()
    table = page.get_by_test_id("scenario-comparison")
    expect(table).to_contain_text("Live plan")
    expect(table).to_contain_text("more outerwear")
    expect(table).to_contain_text("holdback 60")
    expect(table.locator("td.diff-better, td.diff-worse").first).to_be_visible()
    shots.take(page, "scenarios-compared")
    page.get_by_test_id("adopt-more outerwear").click()
    note = page.get_by_test_id("adoption")
    expect(note).to_contain_text("pending manufacturing decision")
    expect(note).to_contain_text("OUTW 24,000")
    expect(note).to_contain_text("from scenario 'more outerwear'")
    shots.take(page, "scenarios-adopted")
    # The approver, in the same tab, finds the approval form filled from the scenario.
    sign_out(page)
    sign_in(page, browser_stack, APPROVER_KEY)
    open_tab(page, browser_stack, workflow_id, "manufacturing")
    expect(page.get_by_test_id("from-scenario")).to_contain_text("more outerwear")
    expect(page.locator("textarea[name=reason]")).to_have_value("from scenario 'more outerwear'")
    with api(browser_stack, PLANNER_KEY) as client:
        approvals = client.get(f"/api/workflows/{workflow_id}/approvals").json()["approvals"]
        assert [a["status"] for a in approvals if a["kind"] == "manufacturing"] == ["pending"]
        listed = client.get(f"/api/workflows/{workflow_id}/scenarios").json()["scenarios"]
        assert [s["adopted_by"] for s in listed] == ["dev-planner", None]
