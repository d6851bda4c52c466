"""``ordos-geo demo``: everything ordos_geo can do, run on the embedded data.

Each step prints nothing itself; :func:`run_demo` returns the paths it wrote, in order.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from . import datasets, export, imagery, io, maps, plans, projection, reclamation, rules, \
    samples, sites, zones
from .settings import settings
from .utils import import_optional, progress_bar, use_cjk_font

__all__ = ["run_demo", "summary_by_banner", "plot_curves"]

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


#: Demo zoning parameters (documented in README): link within 500 m, zones up to 10,000 ha.
DEMO_GAP_M = 500.0
DEMO_MAX_ZONE_HA = 10_000.0


def run_demo(out: str | Path = "output", *, progress: bool | None = None) -> list[Path]:
    """Run every step on the embedded data and return the paths written into ``out``.

    1. validate the synthetic sites → ``validation_report.csv``
    2. summarise by banner → ``summary_by_banner.csv``
    3. export the sites and the reference layers → ``sites.geojson``, ``ordos_geo.gpkg``
    4. zone them (gap 500 m, band 10,000 ha) with the default rules → ``zones.geojson``,
       ``sites_zoned.geojson``, ``zones.gpkg``, ``zones.csv``; check the synthetic annual plans →
       ``plan_problems.csv``; sensitivity to the gap → ``zones_sensitivity.csv`` and ``.png``
    5. generate the sample Sentinel-2-like scenes (``sample_imagery/``, 2019–2025) and track
       reclamation against the plans → ``progress.csv``, ``progress_summary.csv``,
       ``progress.geojson``, ``progress_zones*.csv``, ``progress_banners.csv``,
       ``progress_curves.png``
    6. offline HTML maps into ``settings.maps_dir`` (default ``maps/``): ``ordos_overview.html``,
       ``zones.html``, ``progress.html``

    ``out`` and the maps folder are each published as one set (:func:`ordos_geo.io.output_set`):
    a run that fails or is killed leaves the earlier demo outputs as they were.
    """
    for module in ("matplotlib", "openpyxl"):  # before any work: say which extra is missing
        import_optional(module, purpose="ordos-geo demo")
    with io.output_set(out) as out_set, io.output_set(settings.maps_dir) as map_set:
        written = _run_steps(out_set.dir, map_set.dir, progress=progress)
    finals = {**{p: map_set.final(p) for p in written if map_set.dir in p.parents},
              **{p: out_set.final(p) for p in written if out_set.dir in p.parents}}
    return [finals[p] for p in written]


def _run_steps(out: Path, maps_folder: Path, *, progress: bool | None) -> list[Path]:
    written: list[Path] = []
    state: dict = {}
    steps = ["validate", "summarise", "export", "zones", "plans", "sensitivity", "imagery",
             "progress", "maps"]
    for step in progress_bar(steps, desc="ordos-geo demo", progress=progress):
        if step == "validate":
            result = sites.validate(datasets.synthetic_sites_path())
            state["sites"] = result.sites
            written.append(io.write_csv(result.report, out / "validation_report.csv"))
            log.info(result.summary())
        elif step == "summarise":
            written.append(io.write_csv(summary_by_banner(state["sites"]),
                                        out / "summary_by_banner.csv"))
        elif step == "export":
            written.append(io.write_geojson(state["sites"], out / "sites.geojson"))
            layers = {
                "sites": state["sites"], "banners": datasets.banners(),
                "priority_areas": datasets.priority_areas(),
                "coal_mines_gcmt": datasets.coal_mines(), "osm_landuse": datasets.osm_landuse(),
            }
            written.append(export.write_gpkg_with_metadata(
                layers, out / "ordos_geo.gpkg", sources=[str(datasets.synthetic_sites_path())],
                parameters={"step": "demo export"}))
            written += export.write_shapefile(state["sites"], out / "shp" / "sites.shp")
        elif step == "zones":
            zoning = zones.build_zones(state["sites"], gap_m=DEMO_GAP_M,
                                       max_zone_ha=DEMO_MAX_ZONE_HA)
            state["zones"] = rules.apply_rules(zoning.zones, zoning.sites)
            state["sites_zoned"] = zoning.sites
            written += export.write_zones(state["zones"], zoning.sites, out,
                                          sources=[str(datasets.synthetic_sites_path())],
                                          parameters=zoning.parameters)
            written.append(export.write_table(state["zones"], out / "zones_report.xlsx"))
        elif step == "plans":
            table = plans.read_plans(datasets.synthetic_plans_path())
            found = plans.check_plans(table, state["zones"], state["sites_zoned"])
            written.append(io.write_csv(found, out / "plan_problems.csv"))
        elif step == "sensitivity":
            table = zones.sensitivity(state["sites"], max_zone_ha=DEMO_MAX_ZONE_HA)
            written.append(io.write_csv(table, out / "zones_sensitivity.csv"))
            written.append(_plot(table, out / "zones_sensitivity.png"))
        elif step == "imagery":
            manifest = samples.sample_scenes(out / "sample_imagery", sites=state["sites"])
            state["scenes"] = imagery.read_manifest(manifest)
            written.append(manifest)
        elif step == "progress":
            result = reclamation.progress(state["sites_zoned"], state["scenes"],
                                          zones=state["zones"],
                                          plans=plans.read_plans(datasets.synthetic_plans_path()),
                                          progress=progress)
            state["progress"] = result
            written += export.write_progress(result, out)
            written.append(_curves(result, out / "progress_curves.png"))
        elif step == "maps":
            folder = maps_folder
            written.append(maps.save_map(maps.map_overview(state["sites_zoned"],
                                                           zones=state["zones"]),
                                         folder / "ordos_overview.html"))
            written.append(maps.save_map(maps.map_zones(state["zones"], state["sites_zoned"]),
                                         folder / "zones.html"))
            written.append(maps.save_map(maps.map_progress(state["sites_zoned"],
                                                           state["progress"].summary),
                                         folder / "progress.html"))
    return written


def plot_curves(result, *, ax=None, max_sites: int = 12):
    """Vegetated share per year of the pits and dumps with the most change (matplotlib axes)."""
    plt = import_optional("matplotlib.pyplot", purpose="plots", pip="matplotlib")
    use_cjk_font()

    s = result.summary
    change = s.groupby("site_id")["vegetated_share"].agg(lambda v: v.max() - v.min())
    chosen = change.sort_values(ascending=False).index[:max_sites]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    for site_id in sorted(chosen):
        g = s[s["site_id"] == site_id]
        ax.plot(g["year"], g["vegetated_share"], marker="o", label=site_id)
    ax.set_xlabel("year")
    ax.set_ylabel("vegetated share of site")
    ax.set_ylim(0, 1)
    ax.set_title("Reclamation curves (image-detected vegetation)")
    ax.legend(fontsize=7, ncol=2, loc="upper left")
    return ax


def _curves(result, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = plot_curves(result)
    with io.atomic_path(path) as tmp:
        ax.figure.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(ax.figure)
    return path


def _plot(table: pd.DataFrame, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = zones.plot_sensitivity(table)
    with io.atomic_path(path) as tmp:
        ax.figure.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
    plt.close(ax.figure)
    return path
