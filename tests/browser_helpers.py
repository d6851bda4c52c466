"""Headless Debian chromium for the map tests: the ``browser`` fixture (in conftest) and
``open_offline``, which loads a page with every non-file request blocked."""

import os
import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def launch_browser():
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "chromium is missing: `make test` installs it (apt-get)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def open_offline(browser, path):
    """Load a page with every non-file request blocked; return page, errors, external requests."""
    page = browser.new_page()
    errors, external, dialogs = [], [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:")):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_function("window.L !== undefined && window.ordosLayers !== undefined",
                           timeout=15000)
    return page, errors, external, dialogs
