"""Map benchmark: page size and time to ready in headless Debian chromium (network blocked) for
1,000, 10,000 and 50,000 sites (a whole city), side by side with folium's default page of the
same data.

* ``ordos_geo`` – ``og.maps.map_overview`` (5 m display simplification, layers packed: 1e-5°
  quantised, delta-encoded coordinates and properties by column; canvas, escaped tooltips,
  legend, controls) saved by ``og.maps.save_map`` (assets inlined).
* ``folium default`` – ``folium.Map`` + ``folium.GeoJson(sites, tooltip=GeoJsonTooltip([...]))``,
  full precision; its Leaflet inlined by the same function so that it loads offline (folium's
  jQuery/Bootstrap dropped).
"Ready" is the time from navigation to the load event plus one animation frame, best of 3.
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
        page.goto(path.as_uri(), wait_until="load", timeout=120_000)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        best = min(best, time.perf_counter() - t0)
        page.close()
    return best


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1000,10000,50000")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        for n in [int(v) for v in args.sizes.split(",")]:
            for name, path in build(n, Path(tmp)).items():
                rows.append({"sites": n, "page": name, "MB": path.stat().st_size / 1e6,
                             "ready s": ready_seconds(browser, path)})
                print(rows[-1], flush=True)
        browser.close()
    print(f"wrote {write_markdown('maps', 'Maps: page size and time to ready', rows, __doc__)}")


if __name__ == "__main__":
    main()
