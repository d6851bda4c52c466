"""The remediation programme: ``costs`` (each zone's cost, line by line) and ``schedule`` (which
zones to fund in which year under the budget)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..core.errors import UsageError, ValidationError
from ..core.messages import msg
from .common import print_written

__all__ = ["add", "COMMANDS"]


def add(sub, common, reading, h) -> None:
    c = sub.add_parser("costs", parents=[common],
                       help=h("each zone's cost, line by line (quantity × unit price)"))
    c.add_argument("zones", type=Path, help=h("zones.geojson from `ordos-geo zones`"))
    c.add_argument("--earthworks", type=Path,
                   help=h("earthworks_zones.csv from `ordos-geo earthworks` (earthworks, haul, "
                          "borrow)"))
    c.add_argument("--terrain", type=Path,
                   help=h("terrain.csv from `ordos-geo terrain` (steep hectares)"))
    c.add_argument("--retention", type=Path,
                   help=h("retention.csv from `ordos-geo earthworks` (pits kept)"))
    c.add_argument("--cost-table", type=Path, help=h("an edited copy of costs.yaml"))
    c.add_argument("--funds", type=Path,
                   help=h("fund-check table (mine_id, year, accrued, required): a mine's "
                          "accrued restoration fund offsets its share"))
    c.add_argument("--out", type=Path, required=True, help=h("output folder"))
    s = sub.add_parser("schedule", parents=[common],
                       help=h("which zones to fund in which year under the budget (MILP)"))
    s.add_argument("zones", type=Path, help=h("zones.geojson from `ordos-geo zones`"))
    s.add_argument("--costs", type=Path, required=True,
                   help=h("costs.csv from `ordos-geo costs`"))
    s.add_argument("--budget", type=Path, required=True,
                   help=h("budget CSV/XLSX: year, banner (or city), budget_wan"))
    s.add_argument("--years", required=True, help=h("plan years, e.g. 2026-2030"))
    s.add_argument("--must", type=Path,
                   help=h("CSV of zones that must finish by a year: zone_id, by_year"))
    s.add_argument("--precedence", type=Path,
                   help=h("CSV of zone pairs: before, after (after starts once before is done)"))
    s.add_argument("--sites", type=Path,
                   help=h("sites file of the zones (for annual_plans.csv, per mine)"))
    s.add_argument("--alternatives", type=int, default=2,
                   help=h("near-optimal alternatives to find (default 2)"))
    s.add_argument("--discount-pct", type=float, default=5.0,
                   help=h("yearly discount of hectares restored later, percent (default 5)"))
    s.add_argument("--out", type=Path, required=True, help=h("output folder"))


def _table(path: Path, needed: list[str]):
    """A user's table with our columns (Chinese headers accepted), text as read."""
    from ..core.schema import header_key
    from ..io.tables import read_raw
    from ..publish.export import CHINESE_HEADERS

    frame = read_raw(path, as_text=True)
    back = {header_key(k): k for k in CHINESE_HEADERS}
    back.update({header_key(v): k for k, v in CHINESE_HEADERS.items()})
    frame = frame.rename(columns=lambda c: back.get(header_key(c), str(c).strip()))
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValidationError(msg("table_columns_missing", path=path, missing=", ".join(missing),
                                  have=", ".join(map(str, frame.columns))))
    return frame


def _years(text: str) -> list[int]:
    from ..programme.schedule import MAX_YEARS, YEARS

    try:
        first, _, last = text.partition("-")
        first, last = int(first), int(last or first)
    except ValueError:
        first, last = 0, -1
    years = list(range(first, last + 1)) if YEARS[0] <= first <= last <= YEARS[1] and \
        last - first < MAX_YEARS else []
    if len(years) < 3:
        raise UsageError(msg("schedule_years", years=repr(text)))
    return years


def _per_zone(zones, table, value: str, what: Path, *, every_site: bool):
    """A per-site table's ``value`` summed per zone (sites mapped by the zones' ``site_ids``).
    A zone with a site of unknown value (an empty cell: no DEM there) is left out, not
    undercounted, and so is a zone with a site the table does not list when ``every_site``:
    its item is named in ``not_costed``. A site listed twice is an error."""
    import pandas as pd

    from ..zoning.zones import zone_of_sites

    zone_of = zone_of_sites(zones)
    site = table["site_id"].astype(str).str.strip()
    if site.duplicated().any():
        raise ValidationError(f"{what}: site {site[site.duplicated()].iloc[0]!r} is listed twice.")
    text = table[value].astype(str).str.strip()
    numbers = pd.to_numeric(text.where(text != "", None), errors="coerce")
    bad = numbers.isna() & (text != "") | (numbers < 0) | ~np.isfinite(numbers.fillna(0.0))
    if bad.any():
        k = int(bad.to_numpy().nonzero()[0][0])
        raise ValidationError(f"{what}, row {k + 2} (site {site.iloc[k]!r}): {value} = "
                              f"{table[value].iloc[k]!r} is not a number ≥ 0.")
    zone = site.map(zone_of).to_numpy()
    unknown = set(zone[numbers.isna().to_numpy()])
    if every_site:
        unknown |= set(zone_of[~zone_of.index.isin(set(site))])
    summed = numbers.groupby(zone).sum()
    return summed[~summed.index.isin(unknown)]


def _retained(zones, table, what: Path):
    """Hectares of the pits kept, per zone; a flag that is neither yes nor no is an error."""
    flag = table["retained"].astype(str).str.strip().str.lower()
    yes, no = {"true", "1", "yes", "是", "y"}, {"false", "0", "no", "否", "n"}
    bad = ~flag.isin(yes | no)
    if bad.any():
        k = int(bad.to_numpy().nonzero()[0][0])
        raise ValidationError(f"{what}, row {k + 2} (site {table['site_id'].iloc[k]!r}): "
                              f"retained = {table['retained'].iloc[k]!r}; give true or false.")
    kept = table.assign(area_ha=table["area_ha"].where(flag.isin(yes), "0"))
    return _per_zone(zones, kept, "area_ha", what, every_site=False)


def _costs(args: argparse.Namespace) -> int:
    from .. import io
    from ..programme import costs
    from ..publish import export
    from ..zoning import zones as zoning

    table = costs.cost_table(args.cost_table)  # a bad cost table fails before any work
    zone_table = zoning.read_zones(args.zones)
    balances = _table(args.earthworks, ["zone_id", "demand_m3", "joint_m3km", "borrowed_m3"]) \
        if args.earthworks else None
    steep = _per_zone(zone_table, _table(args.terrain, ["site_id", "steep_ha"]), "steep_ha",
                      args.terrain, every_site=True) if args.terrain else None
    retained = _retained(zone_table, _table(args.retention, ["site_id", "area_ha", "retained"]),
                         args.retention) if args.retention else None
    funds = _funds(args.funds, zone_table) if args.funds else None
    lines, total = costs.zone_costs(zone_table, balances=balances, steep_ha=steep,
                                    retained_ha=retained, funds=funds, table=table)
    with io.output_set(args.out) as out:
        written = [io.write_csv(total.round(4), out.dir / "costs.csv"),
                   io.write_csv(lines.round(4), out.dir / "cost_lines.csv"),
                   export.write_table(total.round(2), out.dir / "costs.xlsx"),
                   export.write_table(lines.round(2), out.dir / "cost_lines.xlsx")]
    print(msg("costs_summary", n=len(total), total=f"{total['cost_wan_yuan'].sum():,.1f}",
              year=table["price_year"], left=int((total["not_costed"] != "").sum())))
    print_written(out.final(p) for p in written)
    return 0


def _funds(path: Path, zones):
    """Each zone's accrued restoration funds (10,000 yuan): the fund-check table's ``accrued``
    summed per mine over its years, and per zone over its mines; a mine in no zone is named."""
    from ..register.supervision import fund_check
    from ..zoning.zones import zone_of_sites

    table = fund_check(path)
    per_mine = table.groupby(table["mine_id"].astype(str))["accrued"].sum()
    zone_of = zone_of_sites(zones)
    stray = sorted(set(per_mine.index) - set(zone_of.index))
    if stray:
        print(msg("costs_funds_stray", n=len(stray), ids=", ".join(stray[:5]), path=path))
    return per_mine.groupby(per_mine.index.map(zone_of)).sum()


def _checked_costs(cost, zone_table, path: Path) -> None:
    """The costs table and the zones must be of one run: a zone costed but not drawn is an
    error; a zone drawn but not costed, and zones with items not costed, are said."""
    from ..core.schema import normalise_id

    ids = [normalise_id(v) or "" for v in cost["zone_id"]]
    drawn = set(zone_table["zone_id"].astype(str))
    foreign = [(k, z) for k, z in enumerate(ids) if z and z not in drawn]
    if foreign:
        k, zone = foreign[0]
        raise ValidationError(msg("schedule_costs_foreign", path=path, line=k + 2, zone=zone,
                                  n=len(foreign)))
    uncosted = sorted(drawn - set(ids))
    if uncosted:
        print(msg("schedule_zones_uncosted", n=len(uncosted), ids=", ".join(uncosted[:5])))
    if "not_costed" in cost.columns:
        partial = int((cost["not_costed"].astype(str).str.strip() != "").sum())
        if partial:
            print(msg("schedule_partial_costs", n=partial))


def _schedule(args: argparse.Namespace) -> int:
    from .. import io
    from ..programme import schedule
    from ..publish import export, maps
    from ..zoning import zones as zoning

    years = _years(args.years)
    if args.alternatives < 0:
        raise UsageError(msg("schedule_alternatives", n=args.alternatives))
    zone_table = zoning.read_zones(args.zones)
    cost = _table(args.costs, ["zone_id", "banner", "hectares", "earthworks_wan",
                               "slopes_cover_wan", "revegetation_wan"])
    _checked_costs(cost, zone_table, args.costs)
    budget = _table(args.budget, ["year", "banner", "budget_wan"])
    must = _table(args.must, ["zone_id", "by_year"]) if args.must else None
    pairs = list(zip(*[_table(args.precedence, ["before", "after"])[c]
                       for c in ("before", "after")])) if args.precedence else ()
    from ..programme.costs import cost_table

    packaged = cost_table()  # for a hand-made costs table without price_year / escalation_pct
    answer = schedule.schedule(cost, budgets=budget, years=years, must=must, precedence=pairs,
                               escalation_pct=packaged["escalation_pct"],
                               price_year=packaged["price_year"],
                               discount_pct=args.discount_pct,
                               alternatives=args.alternatives,
                               sources={"costs": args.costs, "budget": args.budget,
                                        "must": args.must})
    if answer.status == "infeasible":
        with io.output_set(args.out) as out:
            written = [io.write_csv(answer.shortfalls, out.dir / "shortfalls.csv")]
        print_written(out.final(p) for p in written)
        raise ValidationError(msg("schedule_infeasible", what=_shortfall_text(answer.shortfalls)))
    plans = None
    if args.sites:
        plans = _plans(args, answer.table, zone_table)
    with io.output_set(args.out) as out:
        written = [io.write_csv(answer.table, out.dir / "schedule.csv"),
                   export.write_table(answer.table, out.dir / "schedule.xlsx"),
                   io.write_csv(_alternatives(answer), out.dir / "alternatives.csv"),
                   io.write_geojson(_layer(zone_table, answer.table), out.dir / "schedule.geojson"),
                   _gantt(answer.table, years, out.dir / "schedule_gantt.png"),
                   maps.save_map(maps.map_schedule(
                       zone_table, answer.table,
                       other=answer.alternatives[0].table if answer.alternatives else None,
                       names=(msg("schedule_layer_best"), msg("schedule_layer_other"))),
                       out.dir / "schedule_map.html")]
        if plans is not None:
            written.append(io.write_csv(plans, out.dir / "annual_plans.csv"))
    print(msg("schedule_summary", funded=len(answer.funded), n=len(cost),
              ha=f"{answer.table['hectares'].sum():,.1f}", gap=f"{100 * answer.gap:.2f}",
              alternatives=len(answer.alternatives)))
    if plans is None:
        print(msg("schedule_plans_need_sites"))
    print_written(out.final(p) for p in written)
    return 0


def _shortfall_text(short) -> str:
    parts = []
    for row in short.itertuples(index=False):
        if row.what == "budget":
            parts.append(msg("schedule_short_budget", who=row.banner, year=row.year,
                             short=f"{row.short_wan:,.1f}", budget=f"{row.budget_wan:,.1f}"))
        else:
            parts.append(msg("schedule_short_deadline", zone=row.zone_id, year=row.year))
    return "; ".join(parts) or "?"


def _plans(args, table, zone_table):
    from .. import sites as site_io

    frame = site_io.read_sites(args.sites)[0]
    zone_of = {s: z for z, ids in zip(zone_table["zone_id"], zone_table["site_ids"])
               for s in ids.split(";")}
    frame = frame.assign(zone_id=frame["site_id"].astype(str).map(zone_of))
    from ..programme.schedule import annual_plans

    return annual_plans(table, zones=zone_table, sites=frame[frame["zone_id"].notna()])


def _alternatives(answer):
    import pandas as pd

    rows = [{"alternative": k, "objective": a.objective, "funded": ";".join(sorted(a.funded)),
             "n_funded": len(a.funded)}
            for k, a in enumerate([answer, *answer.alternatives])]
    return pd.DataFrame(rows)


def _layer(zone_table, table):
    """The zones with the year their works start and finish (empty when not funded)."""
    span = table.dropna(subset=["year"]).groupby("zone_id")["year"].agg(["min", "max"])
    out = zone_table[["zone_id", "banner", "geometry"]].copy()
    out["start_year"] = out["zone_id"].map(span["min"]).astype("Int64")
    out["finish_year"] = out["zone_id"].map(span["max"]).astype("Int64")
    out["funded"] = out["start_year"].notna()
    return out


def _gantt(table, years, path: Path) -> Path:
    """A bar per funded zone and phase (earthworks, slopes and cover, revegetation) by year."""
    from .. import io
    from ..core.settings import settings
    from ..core.utils import cjk_font, import_optional
    from ..programme.costs import PHASES

    plt = import_optional("matplotlib.pyplot", purpose="plots", pip="matplotlib")
    font = cjk_font()
    works = table.dropna(subset=["year"])
    zones = list(dict.fromkeys(works.sort_values(["year", "zone_id"])["zone_id"]))[:60]
    fig, ax = plt.subplots(figsize=(9, 1.5 + 0.25 * len(zones)))
    if font:
        plt.rcParams["font.sans-serif"] = [font, *plt.rcParams["font.sans-serif"]]
    colours = dict(zip(PHASES, ["#a6611a", "#dfc27d", "#018571"]))
    for k, zone in enumerate(zones):
        for row in works[works["zone_id"] == zone].itertuples(index=False):
            ax.barh(k, 1, left=int(row.year) - 0.5, color=colours[row.phase])
    ax.set_yticks(range(len(zones)), zones, fontsize=7)
    ax.set_xticks(years)
    ax.invert_yaxis()
    from matplotlib.patches import Patch

    zh = font is not None and settings.get("lang") == "zh"
    names = {"earthworks": "土方工程", "slopes_cover": "边坡与覆土", "revegetation": "植被恢复"}
    ax.legend(handles=[Patch(color=c, label=names[p] if zh else p.replace("_", " and "))
                       for p, c in colours.items()], loc="lower right", fontsize=7)
    fig.tight_layout()
    target = Path(path)
    with io.atomic_path(target) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return target


#: Each command and the function that runs it.
COMMANDS = {"costs": _costs, "schedule": _schedule}
