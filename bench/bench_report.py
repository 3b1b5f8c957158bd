"""Build the interactive HTML report for finished runs; report build time, file size, and screenshots.

    python bench/bench_report.py RUN_DIR [RUN_DIR ...] [--out report.html] [--screens DIR]

Screenshots (the decision-surface view, for the adversarial and the random projection) need Debian's
Chromium and the playwright package; without them only time and size are reported.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--enable-unsafe-swiftshader"]


def screenshots(report: Path, screens: Path) -> list[Path]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return []
    if not Path(chromium).exists():
        return []
    screens.mkdir(parents=True, exist_ok=True)
    taken = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(report.as_uri(), wait_until="load")
        page.wait_for_timeout(1500)
        for projection in ("adversarial", "random"):
            radio = page.locator("#surfaces input[type=radio]").nth(0 if projection == "adversarial" else 1)
            if radio.count():
                radio.check()
                page.wait_for_timeout(800)
            path = screens / f"surfaces_{projection}.png"
            page.locator("#surfaces").screenshot(path=str(path))
            taken.append(path)
        path = screens / "indicator.png"
        page.locator("#indicator").screenshot(path=str(path))
        taken.append(path)
        browser.close()
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--out", default="report.html")
    parser.add_argument("--screens", default="report-screens")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "robustx", "report", *args.runs, "--out", str(out)], check=True)
    seconds = time.perf_counter() - start
    print(f"report: {out}  built in {seconds:.1f} s  size {out.stat().st_size / 1e6:.2f} MB")
    for path in screenshots(out, Path(args.screens)):
        print(f"screenshot: {path}")


if __name__ == "__main__":
    main()
