"""Screenshots of a rendered decision guide for the docs: the top of the page and one image
per task section, in headless Chromium (the system binary, driven by Playwright, offline).

    python -m reports.screenshots .zoo/report/index.html docs/report-standard

writes docs/report-standard-top.png and docs/report-standard-<section>.png. Set-up as for the
browser test: `apt-get install -y chromium` (or ZOO_CHROMIUM=/path) and `pip install
playwright`; no browser download. A live UI page (MLflow, Prefect) once a text shows:

    python -m reports.screenshots - docs/mlflow-experiment --url http://127.0.0.1:5000/ \
        --wait-for benchmark-standard
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def chromium() -> str:
    found = os.environ.get("ZOO_CHROMIUM") or next(
        (p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                     shutil.which("google-chrome")) if p), None)
    if found is None:
        sys.exit("Chromium not found: apt-get install -y chromium, or set ZOO_CHROMIUM")
    return found


def take(report: Path, prefix: Path, width: int = 1280, selector: str = "section[id]",
         ) -> list[Path]:
    from playwright.sync_api import sync_playwright

    shots = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 1000})
            page.goto(report.resolve().as_uri(), wait_until="load")
            shots.append(prefix.with_name(f"{prefix.name}-top.png"))
            page.screenshot(path=str(shots[-1]))
            sections = page.locator(selector)
            for i in range(sections.count()):
                section = sections.nth(i)
                name = section.get_attribute("id")
                shots.append(prefix.with_name(f"{prefix.name}-{name}.png"))
                section.screenshot(path=str(shots[-1]))
        finally:
            browser.close()
    return shots


def take_page(url: str, out: Path, wait_for: str, width: int = 1280) -> Path:
    """One screenshot of a live UI page (the MLflow UI, the Prefect UI) once `wait_for`
    (text on the page) has rendered: those pages fill in from their API after load."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            # "load", not "networkidle": MLflow 3's UI polls its trace metrics every few
            # seconds, so the network never idles; `wait_for` says the data has arrived.
            page.goto(url, wait_until="load", timeout=120_000)
            page.get_by_text(wait_for).first.wait_for(timeout=120_000)
            page.wait_for_timeout(1500)  # charts and tables settle after their data arrives
            page.screenshot(path=str(out))
        finally:
            browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="the rendered index.html")
    parser.add_argument("prefix", type=Path, help="output path prefix, e.g. docs/report-standard")
    parser.add_argument("--width", type=int, default=1280,
                        help="viewport width in CSS pixels (390: a phone)")
    parser.add_argument("--select", default="section[id]",
                        help="CSS selector of the elements shot one image each (named by their "
                             "id), e.g. 'div.inside' for every section's error analysis")
    parser.add_argument("--url", help="screenshot this live page instead (to PREFIX.png)")
    parser.add_argument("--wait-for", default="", help="with --url: text to wait for")
    args = parser.parse_args()
    if args.url:
        args.prefix.parent.mkdir(parents=True, exist_ok=True)
        print(take_page(args.url, args.prefix.with_suffix(".png"), args.wait_for, args.width))
        return
    if not args.report.is_file():
        sys.exit(f"no report at {args.report}: render one with `zoo report` first")
    args.prefix.parent.mkdir(parents=True, exist_ok=True)
    for shot in take(args.report, args.prefix, args.width, args.select):
        print(shot)


if __name__ == "__main__":
    main()
