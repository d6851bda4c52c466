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


_LEGEND_JS = """() => {
  const hex = c => { const m = c.match(/\\d+/g); if (!m) return c.toLowerCase();
    return '#' + m.slice(0, 3).map(v => (+v).toString(16).padStart(2, '0')).join(''); };
  const legend = Array.from(document.querySelectorAll('.ordos-swatch')).map(e => ({
    colour: (e.dataset.colour || '').toLowerCase(), style: e.dataset.style,
    scale: e.dataset.scale === '1',
    label: e.parentElement.textContent.trim(),
    shown: hex(e.dataset.style === 'fill' ? getComputedStyle(e).backgroundColor
                                           : getComputedStyle(e).borderTopColor)}));
  const drawn = [];
  Object.entries(window.ordosLayers).forEach(([key, layer]) => {
    if (!window.ordosMap.hasLayer(layer)) return;   // a hidden layer draws nothing
    layer.eachLayer(f => {
      const o = f.options;
      if (o.fill !== false && o.fillOpacity > 0) drawn.push({layer: key, part: 'fill',
                                                            colour: o.fillColor.toLowerCase()});
      if (o.stroke !== false && o.weight > 0) drawn.push({layer: key, part: 'outline',
                                                         colour: o.color.toLowerCase()});
    });
  });
  return {legend, drawn};
}"""


def legend_and_drawn(page, *, all_layers: bool = True):
    """The legend's swatches (colour, style, label, the colour actually shown) and every colour
    drawn by a visible feature (fill and outline), after turning every overlay on (the layer
    control lets an official do so)."""
    if all_layers:
        page.evaluate("Object.values(window.ordosLayers).forEach(l => l.addTo(window.ordosMap))")
    return page.evaluate(_LEGEND_JS)


def check_legend(page, *, all_layers: bool = True):
    """What an official would find wrong: a drawn colour with no legend swatch, a swatch that
    shows another colour than it says, two legend classes whose colours cannot be told apart."""
    from ordos_geo.publish import symbology

    seen = legend_and_drawn(page, all_layers=all_layers)
    legend = {s["colour"] for s in seen["legend"]}
    missing = sorted({(d["layer"], d["part"], d["colour"]) for d in seen["drawn"]
                      if d["colour"] not in legend})
    wrong = [s for s in seen["legend"] if s["shown"] != s["colour"]]
    drawn = {d["colour"] for d in seen["drawn"]}
    unused = sorted(s["label"] for s in seen["legend"]
                    if s["style"] != "outline" and not s["scale"] and s["colour"] not in drawn)
    clash = symbology.clashes({s["label"]: s["colour"] for s in seen["legend"]})
    labels = [s["label"] for s in seen["legend"]]
    repeated = sorted({x for x in labels if labels.count(x) > 1})
    return {"missing": missing, "wrong": wrong, "clashes": clash, "repeated": repeated,
            "unused": unused,
            "legend": seen["legend"], "drawn": seen["drawn"]}
