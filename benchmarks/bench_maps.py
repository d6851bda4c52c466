"""Map benchmark: page size, time to ready and time to pan in headless Debian chromium (network
blocked) for 1,000 to 200,000 sites (a whole city and beyond), side by side with folium's
default page of the same data.

* ``ordos_geo`` – ``og.maps.map_overview`` (5 m display simplification, layers packed: 1e-5°
  quantised, delta-encoded coordinates and properties by column; canvas, escaped tooltips,
  legend, controls) saved by ``og.maps.save_map`` (assets inlined).
* ``folium default`` – ``folium.Map`` + ``folium.GeoJson(sites, tooltip=GeoJsonTooltip([...]))``,
  full precision; its Leaflet inlined by the same function so that it loads offline (folium's
  jQuery/Bootstrap dropped).
"Ready" is the time from navigation to the load event plus one animation frame, best of 3.
"Pan" is how long the page takes to follow an official around the densest part of the city at
zoom 13 (where every site is a shape): the median of 8 pans of 300 px, each until the second
animation frame after it; both pages are moved the same way. Sizes: 1,000, 10,000, 50,000 and
200,000 sites (beyond 20,000 features a layer of ours travels in tiles).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _harness import write_markdown


def build(n: int, folder: Path) -> dict[str, Path]:
    import folium

    import ordos_geo as og

    sites = og.synthetic.clustered_sites(n)
    sites["area_ha"] = og.projection.area_ha(sites)
    ours = og.maps.save_map(og.maps.map_overview(sites), folder / f"ordos_{n}.html")
    m = folium.Map(tiles=None)
    folium.GeoJson(sites[["site_id", "name", "kind", "status", "area_ha", "geometry"]],
                   tooltip=folium.GeoJsonTooltip(["site_id", "name", "kind", "status"])).add_to(m)
    page = og.maps.inline_assets(m.get_root().render())
    default = folder / f"folium_{n}.html"
    default.write_text(page, encoding="utf-8")
    return {"ordos_geo": ours, "folium default": default}


def ready_seconds(browser, path: Path, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        page = browser.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                   else r.abort())
        t0 = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load", timeout=300_000)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        best = min(best, time.perf_counter() - t0)
        page.close()
    return best


PAN = """async ([lat, lng]) => {
  const m = window.ordosMap || Object.values(window).find(v => v instanceof L.Map);
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  m.setView([lat, lng], 13, {animate: false});
  await frame();
  const times = [];
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    m.panBy([i % 2 ? -300 : 300, 150], {animate: false});
    await frame();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return (times[3] + times[4]) / 2;
}"""


def densest(n: int) -> tuple[float, float]:
    """The centre (lat, lon) of the 0.1° cell holding most sites."""
    import numpy as np

    import ordos_geo as og

    c = og.synthetic.clustered_sites(n).geometry.centroid
    cells = np.floor(np.c_[c.y, c.x] * 10).astype(int)
    cell, count = np.unique(cells, axis=0, return_counts=True)
    lat, lon = (cell[count.argmax()] + 0.5) / 10
    return float(lat), float(lon)


def pan_seconds(browser, path: Path, centre: tuple[float, float]) -> float:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
               else r.abort())
    page.goto(path.as_uri(), wait_until="load", timeout=300_000)
    seconds = page.evaluate(PAN, list(centre))
    page.close()
    return seconds


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1000,10000,50000,200000")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        for n in [int(v) for v in args.sizes.split(",")]:
            centre = densest(n)
            for name, path in build(n, Path(tmp)).items():
                rows.append({"sites": n, "page": name, "MB": path.stat().st_size / 1e6,
                             "ready s": ready_seconds(browser, path),
                             "pan s": pan_seconds(browser, path, centre)})
                print(rows[-1], flush=True)
        browser.close()
    print(f"wrote {write_markdown('maps', 'Maps: page size and time to ready', rows, __doc__)}")


if __name__ == "__main__":
    main()
