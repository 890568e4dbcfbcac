"""The HTML report in headless Chromium, from a file:// URL, with the network blocked.

Uses Debian's ``/usr/bin/chromium`` (installed by ``make test``) through Playwright; never a
browser downloaded by Playwright. Skipped only when that executable is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contingent.report.html import write_report
from contingent.report.riskfile import read_risk

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (/usr/bin/chromium); `make test` installs it",
)


def test_report_renders_offline_in_chromium(tiny, good_plan, risk_file, tmp_path):
    from playwright.sync_api import sync_playwright

    path = write_report(tiny, good_plan, tmp_path, risk=read_risk(risk_file), violations=[])
    attempted: list[str] = []
    failed: list[str] = []
    console_errors: list[str] = []
    page_errors: list[str] = []

    def block(route):
        attempted.append(route.request.url)
        route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("http://**/*", block)
            context.route("https://**/*", block)
            page = context.new_page()
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error"
                    else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function(
                "Array.from(document.images).every(i => i.complete)", timeout=15_000)
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.alt, i.naturalWidth, i.naturalHeight])")
            title = page.title()
            shot = page.screenshot(full_page=False)
            full = page.screenshot(full_page=True)
            # control: the blocking really sees a page that reaches for the network
            control = tmp_path / "control.html"
            control.write_text('<img src="https://example.invalid/x.png">')
            seen = len(attempted)
            page.goto(control.as_uri(), wait_until="load")
            control_attempts = attempted[seen:]
            del attempted[seen:]
            failed.clear()
            console_errors.clear()
        finally:
            browser.close()

    assert control_attempts == ["https://example.invalid/x.png"]
    assert attempted == [], f"the report tried the network: {attempted}"
    assert failed == [] and console_errors == [] and page_errors == []
    assert len(images) == 7
    assert all(w > 0 and h > 0 for _, w, h in images), images
    assert "withdrawal report" in title
    (tmp_path / "screenshot.png").write_bytes(full)
    _assert_not_blank(shot)


def _assert_not_blank(png: bytes) -> None:
    import io

    import numpy as np
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(png), format="png")[..., :3]
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert float(pixels.var()) > 0.01, "screenshot is blank"
    # more than a couple of colours: text, cards, header
    assert len(np.unique((pixels * 255).astype(int).reshape(-1, 3), axis=0)) > 50
