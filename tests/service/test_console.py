"""The web console in Debian's Chromium, driven by Playwright: sign in, upload
kazakhstan-2022, run a withdrawal plan, see the timeline and the map, run a risk job, record
"facility FAC-03 handed over 6 h late", re-plan and see the diff; no console errors and no
failed requests."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from svc_helpers import make_users

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Any:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def test_console_flow(browser: Any, tmp_path: Path, server_factory: Any) -> None:
    url = f"sqlite:///{tmp_path / 'console.db'}"
    token = make_users(url)["planner"]
    server = server_factory(url)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    try:
        page.goto(server.base + "/")
        # Sign in.
        page.fill("#token", token)
        page.click("#signin-form button")
        page.wait_for_selector("#who:not([hidden])")
        assert page.inner_text("#who-name") == "planner"
        # Upload kazakhstan-2022 as a new operation.
        page.click("#new-op summary")
        page.fill("#op-name", "csto-2022")
        page.fill("#op-title", "CSTO withdrawal")
        page.select_option("#op-bundled", "kazakhstan-2022")
        page.click("#new-op-form button")
        page.wait_for_selector("#operation:not([hidden])")
        assert "kazakhstan-2022, revision 1" in page.inner_text("#op-revision")
        # Run a withdrawal plan; the timeline and the map are drawn.
        page.select_option("#phase", "withdrawal")
        page.fill("#time-limit", "8")
        page.click("#run-plan")
        page.wait_for_selector("#timeline .vis-item", timeout=180_000)
        assert page.locator("#timeline .vis-item").count() > 20
        assert page.locator("#timeline .vis-label").count() > 5  # one row per aircraft
        assert page.locator("#map path.route").count() > 0
        assert page.locator("#map path.airfield").count() > 0
        assert page.locator("#map .leaflet-overlay-pane path").count() > 50  # countries too
        assert page.locator("#board tr[data-facility]").count() == 14
        assert page.locator("#departures .dep-bar").count() > 0
        assert "optimal" in page.inner_text("#plan-summary") or \
            "feasible" in page.inner_text("#plan-summary")
        # The risk view.
        page.click(".tabs button[data-tab=risk]")
        page.fill("#risk-runs", "300")
        page.click("#risk-form button")
        page.wait_for_selector("#risk .card", timeout=180_000)
        assert "P(done by deadline" in page.inner_text("#risk")
        # Record "facility FAC-03 handed over 6 h late".
        page.click(".tabs button[data-tab=events]")
        page.select_option("#ev-type", "facility_handed_over")
        page.select_option("#ev-facility", "FAC-03")
        page.fill("#ev-late", "6")
        page.dispatch_event("#ev-late", "input")
        assert page.input_value("#ev-time") == "2022-01-14T10:00+06:00"
        page.fill("#ev-reporter", "hq-almaty")
        page.click("#event-form button[type=submit]")
        page.wait_for_selector("#events tr[data-event='1']")
        assert "FAC-03 handed over 14 Jan 10:00" in page.inner_text("#events")
        # Re-plan and see the diff.
        page.click(".tabs button[data-tab=replan]")
        page.click("#replan-form button")
        page.wait_for_selector("#diff-changes .change", timeout=180_000)
        diff = page.inner_text("#diff")
        assert "moved" in diff and "FAC-03 handed over 14 Jan 10:00" in diff
        assert "BLR" in page.inner_text("#diff-nations")
        assert "OK" in page.inner_text("#diff-summary")
    except Exception:
        shot = tmp_path / "console-failure.png"
        page.screenshot(path=str(shot), full_page=True)
        keep = Path("/tmp") / "contingent-console-failure.png"
        shutil.copy(shot, keep)
        raise
    finally:
        page.close()
    assert problems == []
