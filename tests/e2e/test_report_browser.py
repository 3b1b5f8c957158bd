"""The HTML report in a real headless browser: it loads offline, its controls work, nothing errors.

Needs Debian's Chromium (``apt-get install -y chromium``) and the ``playwright`` Python package
(``pip install playwright``; never ``playwright install``: the system browser is used).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tiny_run import tiny_run

torch = pytest.importorskip("torch")
CHROMIUM = os.environ.get("ROBUSTX_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENS = Path(os.environ.get("ROBUSTX_SCREENS", "/tmp/robustx_screens"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--enable-unsafe-swiftshader"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="the playwright package is not installed (pip install playwright)"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"),
]




#: the second run's results as schema 2 with a failed audit (written against the documented shape)
SCHEMA2 = {
    "schema_version": 2, "clean_accuracy": 0.9,
    "threat_models": [{"norm": "Linf", "eps": 8 / 255, "robust_accuracy": 0.5, "attacks": ["fgsm", "pgd"]},
                      {"norm": "L2", "minimum_norm": True, "median_norm": 0.61, "success_rate": 0.9, "attacks": ["cw"]}],
    "attacks": [],
    "audit": [{"check": "convergence", "status": "fail", "evidence": "PGD-40 is 3.0 points below PGD-20",
               "advice": "report the stronger number"}],
}


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    """A two-run report of the real tiny run: its own model, and the same model with clipped logits."""
    import dataclasses

    from robustx_analyses.report import ReportOptions, build_report
    from robustx_analyses.report_input import load_report_input

    natural = load_report_input(tiny_run(tmp_path_factory))
    softer = torch.nn.Sequential(natural.model, torch.nn.Hardtanh(-3.0, 3.0)).eval()
    inputs = [dataclasses.replace(natural, name="natural"),
              dataclasses.replace(natural, name="clipped", model=softer, results=SCHEMA2)]
    options = ReportOptions(grid=15, surface_images=10, steps=4, curve_n=8, indicator_n=4, curve_attacks=[])
    root = tmp_path_factory.mktemp("browser")
    build_report(inputs, root / "report.html", options)
    return root / "report.html"


def _not_blank(png: Path) -> float:
    import numpy as np
    from PIL import Image

    with Image.open(png) as image:
        pixels = np.asarray(image.convert("L"), dtype=np.float32)
    return float(pixels.std())


def test_report_works_in_headless_chromium(report_file):
    problems: list[str] = []
    remote: list[str] = []
    SCREENS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
            page.goto(report_file.as_uri(), wait_until="load")
            page.wait_for_function("window.robustxReport !== undefined", timeout=30000)
            page.wait_for_selector("#surface-0 .main-svg", timeout=30000)

            # the failed audit of the second run is a banner; its accuracies are shown per threat model
            banner = page.text_content("#audit-banner")
            assert "clipped: 1 check(s) failed" in banner and "convergence: PGD-40" in banner
            table = page.text_content("#summary-table")
            assert "Linf 8/255: 50.0% (worst of fgsm, pgd)" in table and "L2 minimum norm: median 0.61" in table
            assert page.locator("td.threats").first.text_content() != "\u2013"  # the real run: schema 1 or 2

            # hovering the training curves (epochs 1..3) in the middle selects epoch 2 for the bars
            assert page.text_content("#epoch-label").startswith("epoch 3 /")
            box = page.locator("#dyn-chart .nsewdrag").bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
            page.wait_for_function("document.getElementById('epoch-label').textContent.startsWith('epoch 2 /')",
                                   timeout=10000)

            # epoch slider (keyboard, like a user): the label follows
            page.focus("#epoch-slider")
            page.keyboard.press("Home")
            assert page.input_value("#epoch-slider") == "0"
            assert page.text_content("#epoch-label").startswith("epoch 0 /")
            page.keyboard.press("ArrowRight")
            assert page.text_content("#epoch-label").startswith("epoch 1 /")

            # PGD step slider: the adversarial image changes with the step
            clean_src = page.get_attribute("#pgd-adv-0", "src")
            page.focus("#step-slider")
            page.keyboard.press("End")
            assert page.text_content("#step-label") == "step 4 / 4"
            assert page.get_attribute("#pgd-adv-0", "src") != clean_src
            assert page.locator("#pgd-adv-1").count() == 1  # the two runs side by side

            # a thumbnail click selects another image everywhere
            before = page.get_attribute("#pgd-adv-0", "src")
            page.click('.thumb[data-index="3"]')
            assert page.get_attribute('.thumb[data-index="3"]', "class") == "thumb selected"
            assert page.evaluate("window.robustxReport.state.image") == 3
            assert page.get_attribute("#pgd-adv-0", "src") != before
            page.check('input[name=plane][value=random]')
            page.wait_for_timeout(800)  # let the bar animations finish before the screenshots

            page.screenshot(path=str(SCREENS / "report_full.png"), full_page=True)
            page.locator("#pgd").screenshot(path=str(SCREENS / "report_pgd.png"))
            page.locator("#surfaces").screenshot(path=str(SCREENS / "report_surfaces.png"))
        finally:
            browser.close()
    assert not problems, problems
    assert not remote, f"the report tried to reach the network: {remote[:5]}"
    for name in ("report_full.png", "report_pgd.png", "report_surfaces.png"):
        assert _not_blank(SCREENS / name) > 10.0, name
