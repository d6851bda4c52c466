"""Screenshot an HTML map in headless Chromium with every non-file request blocked.

    python scripts/screenshot.py maps/zones.html shot.png [--size 1366x768]
"""
import argparse
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("page", type=Path)
    ap.add_argument("png", type=Path)
    ap.add_argument("--size", default="1366x768")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                              args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page(viewport={"width": w, "height": h})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
            ("file:", "data:", "blob:")) else r.abort())
        page.goto(args.page.resolve().as_uri())
        page.wait_for_function("window.ordosReady === true", timeout=15000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(args.png))
        b.close()


if __name__ == "__main__":
    main()
