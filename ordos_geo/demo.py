"""``ordos-geo demo``: everything ordos_geo can do, run on the embedded data.

Each step prints nothing itself; :func:`run_demo` returns the paths it wrote, in order.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from . import datasets, io, projection, sites
from .utils import progress_bar

__all__ = ["run_demo", "summary_by_banner"]

log = logging.getLogger("ordos_geo")


def summary_by_banner(frame) -> pd.DataFrame:
    """Counts and areas (ha, 亩) of sites per banner and kind; ownerless sites counted apart."""
    data = pd.DataFrame({
        "banner": frame["banner"], "kind": frame["kind"],
        "ownerless": frame["status"].eq("ownerless"), "area_ha": frame["area_ha"],
    })
    out = data.groupby(["banner", "kind"], sort=True).agg(
        n_sites=("area_ha", "size"), n_ownerless=("ownerless", "sum"), area_ha=("area_ha", "sum"))
    out["area_mu"] = out["area_ha"] * projection.HA_TO_MU
    return out.reset_index().round({"area_ha": 2, "area_mu": 1})


def run_demo(out: str | Path = "output", *, progress: bool | None = None) -> list[Path]:
    """Validate the embedded synthetic sites, summarise them and export every layer.

    Writes into ``out``: ``validation_report.csv``, ``sites.geojson`` (RFC 7946),
    ``summary_by_banner.csv`` and ``ordos_geo.gpkg`` (layers sites, banners, priority_areas,
    coal_mines_gcmt, osm_landuse). Returns the written paths.
    """
    out = Path(out)
    written: list[Path] = []
    steps = ["validate", "summarise", "export"]
    state: dict = {}
    for step in progress_bar(steps, desc="ordos-geo demo", progress=progress):
        if step == "validate":
            result = sites.validate(datasets.synthetic_sites_path())
            state["sites"] = result.sites
            written.append(io.write_csv(result.report, out / "validation_report.csv"))
            log.info(result.summary())
        elif step == "summarise":
            written.append(io.write_csv(summary_by_banner(state["sites"]), out / "summary_by_banner.csv"))
        elif step == "export":
            written.append(io.write_geojson(state["sites"], out / "sites.geojson"))
            layers = {
                "sites": state["sites"], "banners": datasets.banners(),
                "priority_areas": datasets.priority_areas(),
                "coal_mines_gcmt": datasets.coal_mines(), "osm_landuse": datasets.osm_landuse(),
            }
            written.append(io.write_gpkg(layers, out / "ordos_geo.gpkg"))
    return written
