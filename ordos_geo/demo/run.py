"""``ordos-geo demo``: everything ordos_geo can do, run on the embedded data.

Each step prints nothing itself; :func:`run_demo` returns the paths it wrote, in order.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import imagery, io, sites
from ..core import projection
from ..core.settings import settings
from ..core.utils import import_optional, progress_bar, use_cjk_font
from ..imagery import disturbance, reclamation, samples
from ..io import datasets
from ..joint import earthworks, terrain
from ..publish import export, maps
from ..zoning import plans, rules, zones

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
#: the programme's first year, and the city's yearly budget as a share of all zones' cost
DEMO_FIRST_YEAR = 2026
DEMO_BUDGET_SHARE = 1 / 6


def run_demo(out: str | Path = "output", *, maps_dir: str | Path | None = None,
             progress: bool | None = None) -> list[Path]:
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
    6. look for disturbance outside the licences in the same scenes →
       ``suspected_outside.geojson``, ``findings.csv``, ``new_inside.csv``
    7. generate a sample DEM (``sample_dem.tif``), measure the terrain and balance cut and fill
       between the mines of each zone → ``terrain.csv``, ``flows.csv``,
       ``earthworks_zones.csv``, ``retention.csv``
    8. cost every zone line by line and schedule the works of 2026–2030 under a city budget of
       a sixth of the total cost a year (HiGHS) → ``costs.csv``, ``cost_lines.csv``,
       ``schedule.csv``, ``annual_plans.csv`` (which ``check_plans`` accepts)
    9. offline HTML maps into ``out/maps`` (or ``maps_dir``, default ``settings.maps_dir``):
       ``ordos_overview.html``, ``zones.html``, ``progress.html``, ``disturbance.html``

    ``out`` (with its maps) and a maps folder of its own are each published as one set
    (:func:`ordos_geo.io.output_set`): a run that fails or is killed leaves the earlier demo
    outputs as they were. Nothing is written outside them (not into the current folder).
    """
    for module in ("matplotlib", "openpyxl"):  # before any work: say which extra is missing
        import_optional(module, purpose="ordos-geo demo")
    folder = settings.get("maps_dir", maps_dir)
    with contextlib.ExitStack() as stack:
        out_set = stack.enter_context(io.output_set(out))
        map_set = None if folder is None else stack.enter_context(io.output_set(folder))
        written = _run_steps(out_set.dir, out_set.dir / "maps" if map_set is None else
                             map_set.dir, progress=progress)
    return [map_set.final(p) if map_set is not None and map_set.dir in p.parents
            else out_set.final(p) for p in written]


@dataclass
class _Run:
    """One demo run: its output folders, what it wrote, and what the steps hand on."""

    out: Path
    maps: Path
    progress: bool | None
    written: list[Path] = field(default_factory=list)
    state: dict = field(default_factory=dict)


def _run_steps(out: Path, maps_folder: Path, *, progress: bool | None) -> list[Path]:
    run = _Run(out, maps_folder, progress)
    for name in progress_bar(list(STEPS), desc="ordos-geo demo", progress=progress):
        STEPS[name](run)
    return run.written


def _validate_step(run: _Run) -> None:
    result = sites.validate(datasets.synthetic_sites_path())
    run.state["sites"] = result.sites
    run.written.append(io.write_csv(result.report, run.out / "validation_report.csv"))
    log.info(result.summary())


def _summarise_step(run: _Run) -> None:
    run.written.append(io.write_csv(summary_by_banner(run.state["sites"]),
                                    run.out / "summary_by_banner.csv"))


def _export_step(run: _Run) -> None:
    frame = run.state["sites"]
    run.written.append(io.write_geojson(frame, run.out / "sites.geojson"))
    layers = {"sites": frame, "banners": datasets.banners(),
              "priority_areas": datasets.priority_areas(),
              "coal_mines_gcmt": datasets.coal_mines(), "osm_landuse": datasets.osm_landuse()}
    run.written.append(export.write_gpkg_with_metadata(
        layers, run.out / "ordos_geo.gpkg", sources=[str(datasets.synthetic_sites_path())],
        parameters={"step": "demo export"}))
    run.written += io.write_shapefile(frame, run.out / "shp" / "sites.shp")


def _zones_step(run: _Run) -> None:
    zoning = zones.build_zones(run.state["sites"], gap_m=DEMO_GAP_M, max_zone_ha=DEMO_MAX_ZONE_HA)
    run.state["zones"] = rules.apply_rules(zoning.zones, sites=zoning.sites)
    run.state["sites_zoned"] = zoning.sites
    run.written += export.write_zones(run.state["zones"], zoning.sites, run.out,
                                      sources=[str(datasets.synthetic_sites_path())],
                                      parameters=zoning.parameters)
    run.written.append(export.write_table(run.state["zones"], run.out / "zones_report.xlsx"))


def _plans_step(run: _Run) -> None:
    table = plans.read_plans(datasets.synthetic_plans_path())
    found = plans.check_plans(table, zones=run.state["zones"], sites=run.state["sites_zoned"])
    run.written.append(io.write_csv(found, run.out / "plan_problems.csv"))


def _sensitivity_step(run: _Run) -> None:
    table = zones.sensitivity(run.state["sites"], max_zone_ha=DEMO_MAX_ZONE_HA)
    run.written.append(io.write_csv(table, run.out / "zones_sensitivity.csv"))
    run.written.append(_plot(table, run.out / "zones_sensitivity.png"))


def _imagery_step(run: _Run) -> None:
    manifest = samples.write_sample_scenes(run.out / "sample_imagery", sites=run.state["sites"])
    run.state["scenes"] = imagery.read_manifest(manifest)
    run.written.append(manifest)


def _progress_step(run: _Run) -> None:
    result = reclamation.progress(run.state["sites_zoned"], run.state["scenes"],
                                  zones=run.state["zones"],
                                  plans=plans.read_plans(datasets.synthetic_plans_path()),
                                  show_progress=run.progress)
    run.state["progress"] = result
    run.written += export.write_progress(result, run.out)
    run.written.append(_curves(result, run.out / "progress_curves.png"))


def _disturbance_step(run: _Run) -> None:
    found = disturbance.detect(run.state["sites_zoned"], run.state["scenes"],
                               show_progress=run.progress)
    run.state["suspected"] = found.suspected
    run.written += [io.write_geojson(found.suspected, run.out / "suspected_outside.geojson"),
                    io.write_csv(disturbance.findings_table(found.suspected),
                                 run.out / "findings.csv"),
                    io.write_csv(found.new_inside, run.out / "new_inside.csv")]


def _earthworks_step(run: _Run) -> None:
    dem = samples.write_sample_dem(run.out / "sample_dem.tif", sites=run.state["sites"])
    table = terrain.terrain_stats(run.state["sites_zoned"], dem)
    zone_of = zones.zone_of_sites(run.state["zones"])
    flows, per_zone, kept = earthworks.zone_balances(run.state["sites_zoned"], terrain=table,
                                                      zone_of=zone_of)
    run.written += [dem, io.write_csv(table.round(3), run.out / "terrain.csv"),
                    io.write_csv(flows.round(1), run.out / "flows.csv"),
                    io.write_csv(per_zone.round(2), run.out / "earthworks_zones.csv"),
                    io.write_csv(kept.round(2), run.out / "retention.csv")]
    run.state["flows"], run.state["retained"] = flows, kept
    run.state["terrain"], run.state["per_zone"] = table, per_zone


def _maps_step(run: _Run) -> None:
    zoned, zone_table = run.state["sites_zoned"], run.state["zones"]
    pages = {"ordos_overview.html": maps.map_overview(zoned, zones=zone_table),
             "zones.html": maps.map_zones(
                 zone_table, zoned, flows=earthworks.flow_lines(run.state["flows"], sites=zoned),
                 retained=zoned[zoned["site_id"].isin(run.state["retained"].query("retained")
                                                      ["site_id"])]),
             "progress.html": maps.map_progress(zoned, run.state["progress"].summary),
             "disturbance.html": maps.map_disturbance(zoned, run.state["suspected"])}
    for name, page in pages.items():
        run.written.append(maps.save_map(page, run.maps / name))


def _programme_step(run: _Run) -> None:
    from ..programme import costs, schedule

    zone_table, zoned = run.state["zones"], run.state["sites_zoned"]
    per_zone = run.state["per_zone"]
    steep = run.state["terrain"].merge(zoned[["site_id", "zone_id"]], on="site_id")
    known = steep.groupby("zone_id")["steep_ha"].apply(lambda v: v.notna().all())
    steep = steep.groupby("zone_id")["steep_ha"].sum()[known]  # a zone with no DEM: not costed
    kept = run.state["retained"]
    retained = kept[kept["retained"]].groupby("zone_id")["area_ha"].sum()
    lines, total = costs.zone_costs(zone_table, balances=per_zone, steep_ha=steep,
                                    retained_ha=retained)
    years = list(range(DEMO_FIRST_YEAR, DEMO_FIRST_YEAR + 5))
    budget = pd.DataFrame({"year": years, "banner": schedule.CITY,
                           "budget_wan": round(DEMO_BUDGET_SHARE * total["cost_wan_yuan"].sum())})
    answer = schedule.schedule(total, budgets=budget, years=years, alternatives=1,
                               escalation_pct=costs.cost_table()["escalation_pct"],
                               price_year=costs.cost_table()["price_year"])
    plans = schedule.annual_plans(answer.table, zones=zone_table, sites=zoned)
    run.written += [io.write_csv(total.round(4), run.out / "costs.csv"),
                    io.write_csv(lines.round(4), run.out / "cost_lines.csv"),
                    io.write_csv(answer.table, run.out / "schedule.csv"),
                    io.write_csv(plans, run.out / "annual_plans.csv")]


#: The demo's steps, in order (each takes what the earlier ones left in ``run.state``).
STEPS = {"validate": _validate_step, "summarise": _summarise_step, "export": _export_step,
         "zones": _zones_step, "plans": _plans_step, "sensitivity": _sensitivity_step,
         "imagery": _imagery_step, "progress": _progress_step,
         "disturbance": _disturbance_step, "earthworks": _earthworks_step,
         "programme": _programme_step, "maps": _maps_step}


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
