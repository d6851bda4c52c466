"""Annual remediation plans of each mine (年度治理计划), checked against their zone's standard.

A plans table has one row per mine and year. Columns (Chinese names accepted):

=================  =====================================  ===========================================
column             accepted names                         meaning
=================  =====================================  ===========================================
mine_id            矿山编号, 所属矿山编号, site_id         the mine (``site_id`` in the sites data)
year               年度, 年份                             plan year
target_ha          计划治理面积, 目标面积, 治理面积(公顷)   area to reclaim that year, ha (亩 ÷ 15)
standard           治理标准, 执行标准                     a standard of the rule table, by name
<parameter>        边坡角, 台阶高度, 平台宽度, 覆土厚度,     explicit values; they override the named
                   植被覆盖度                             standard's
money_wan          资金(万元), 投资(万元), 治理资金         money, 10,000 yuan
deadline           完成期限, 截止日期, 完成时间             date the year's work is due
=================  =====================================  ===========================================

Every accepted name is in the ``plans`` and ``plan_parameters`` sections of the alias table
(``resources/aliases.yaml``); an area in 亩 counts where no hectare figure is given.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ..core.errors import ValidationError
from ..core.messages import msg
from ..core.schema import aliases, match_columns, normalise_id
from ..core.settings import settings
from ..core.utils import keywords_after
from .rules import Rules, load_rules

__all__ = ["read_plans", "check_plans", "PLAN_COLUMNS", "PROBLEM_COLUMNS"]

PLAN_COLUMNS = ["mine_id", "year", "target_ha", "standard", "max_final_slope_deg",
                "bench_height_m", "bench_width_m", "topsoil_cm", "target_cover_pct", "money_wan",
                "deadline"]
PROBLEM_COLUMNS = ["mine_id", "year", "zone_id", "field", "code", "problem"]
def __getattr__(name: str):
    if name == "PARAMETER_ALIASES":  # 0.2: now the plan_parameters section of the alias table
        return {f: [f, *names] for f, names in aliases()["plan_parameters"].items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def read_plans(path: str | os.PathLike, *, encoding: str | None = None) -> pd.DataFrame:
    """Read a plans table (CSV in UTF-8 or GBK, or XLSX) into the columns of
    :data:`PLAN_COLUMNS`."""
    from ..io.tables import read_raw

    table = read_raw(path, encoding=encoding, as_text=True)
    matched = {**match_columns(table.columns, "plans"),
               **match_columns(table.columns, "plan_parameters")}
    frame = table.rename(columns={c: f if k == 1.0 else f"_scaled_{f}"
                                  for c, (f, k) in matched.items()})
    if "mine_id" not in frame.columns or "year" not in frame.columns:
        raise ValidationError(f"{path}: a plans table needs the columns mine_id (矿山编号) and "
                              f"year (年度); it has {list(table.columns)}.")
    for fld, factor in {(f, k) for f, k in matched.values() if k != 1.0}:
        # a figure in another unit (亩) counts where no figure in the canonical unit is given
        other = pd.to_numeric(frame.pop(f"_scaled_{fld}"), errors="coerce") * factor
        given = pd.to_numeric(frame[fld], errors="coerce") if fld in frame \
            else pd.Series(np.nan, index=frame.index)
        frame[fld] = given.fillna(other)
    for col in PLAN_COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    frame = frame.apply(lambda col: col.str.strip() if col.dtype == object or
                        str(col.dtype) in ("str", "string") else col).replace({"": None})
    frame = _checked_values(frame, path)
    return frame[PLAN_COLUMNS + [c for c in frame.columns if c not in PLAN_COLUMNS]]


#: Plausible bounds of plan values; outside them a row is refused. The area bound is the area of
#: Ordos (86,752 km²): no plan can reclaim more than the whole city.
YEAR_RANGE = (1990, 2100)
MAX_TARGET_HA = 8_675_200.0


def _checked_values(frame: pd.DataFrame, path) -> pd.DataFrame:
    """Numbers, years and dates parsed; every bad value is refused with its row and field."""
    problems = []

    def bad(mask: pd.Series, column: str, why: str) -> None:
        for i in np.flatnonzero(mask.to_numpy()):
            problems.append(f"row {i + 2}, {column} = {frame[column].iloc[i]!r}: {why}")

    out = frame.copy()
    for col in ["target_ha", "money_wan", *aliases()["plan_parameters"]]:
        raw = frame[col]
        number = pd.to_numeric(raw, errors="coerce")
        bad(raw.notna() & number.isna(), col, "not a number")
        bad(number.notna() & ~np.isfinite(number.astype(float)), col, "not a finite number")
        bad(number < 0, col, "negative")
        out[col] = number
    bad(out["target_ha"] > MAX_TARGET_HA, "target_ha",
        f"larger than Ordos itself ({MAX_TARGET_HA:,.0f} ha)")
    year = pd.to_numeric(frame["year"], errors="coerce")
    bad(year.isna() | (year % 1 != 0) | ~year.between(*YEAR_RANGE), "year",
        f"not a whole year in {YEAR_RANGE[0]}–{YEAR_RANGE[1]}")
    bad(frame["mine_id"].isna(), "mine_id", "empty")
    ids = frame["mine_id"].map(_id_or_none)
    bad(frame["mine_id"].notna() & ids.isna(), "mine_id", "contains ';' or control characters")
    deadline = pd.to_datetime(frame["deadline"], errors="coerce", format="mixed")
    deadline = deadline.where(deadline.dt.year.between(*YEAR_RANGE))  # "-5" is no date
    bad(frame["deadline"].notna() & deadline.isna(), "deadline",
        f"not a date (YYYY-MM-DD) in {YEAR_RANGE[0]}–{YEAR_RANGE[1]}")
    problems += _conflicting_rows(frame, ids, year)
    if problems:
        raise ValidationError(f"{path}: {len(problems)} bad value(s) in the plans table; no "
                              "plan was read:\n- " + "\n- ".join(problems[:30]))
    out["year"] = year.astype("Int64")
    out["deadline"] = deadline
    out["mine_id"] = ids
    return out


def _conflicting_rows(frame: pd.DataFrame, ids: pd.Series, year: pd.Series) -> list[str]:
    """One row per mine and year: rows of one mine-year that disagree are refused, naming them
    (rows that repeat each other exactly count once)."""
    out = []
    keyed = frame.assign(_mine=ids, _year=year).dropna(subset=["_mine", "_year"])
    fields = [c for c in PLAN_COLUMNS if c not in ("mine_id", "year")]
    for (mine, yr), group in keyed.groupby(["_mine", "_year"], sort=True):
        if len(group) > 1 and len(group[fields].astype(str).drop_duplicates()) > 1:
            rows = ", ".join(str(i + 2) for i in group.index)
            out.append(f"rows {rows}: mine {mine!r}, year {int(yr)} has more than one plan "
                       "that disagree; keep one row per mine and year")
    return out


def _id_or_none(value):
    from ..core.schema import Invalid

    try:
        return normalise_id(value)
    except Invalid:
        return None


@keywords_after(1, ("zones", "sites", "rules"))
def check_plans(plans: pd.DataFrame, *, zones: pd.DataFrame, sites: pd.DataFrame,
                rules: Rules | None = None, lang: str | None = None) -> pd.DataFrame:
    """Plans whose standard is weaker than their zone's unified standard, or whose target area,
    deadline, money or standard is missing. One row per problem (:data:`PROBLEM_COLUMNS`).

    ``zones`` must carry the rule columns (:func:`ordos_geo.zoning.rules.apply_rules`); ``sites`` the
    ``zone_id`` of each site.
    """
    rules = rules if rules is not None else load_rules()
    lang = settings.get("lang", lang)
    zone_of = sites.assign(site_id=sites["site_id"].astype(str)).set_index("site_id")["zone_id"]
    zone_std = zones.set_index("zone_id")
    rows: list[dict] = []

    def add(plan, zone_id, field, code, **values):
        rows.append({"mine_id": plan.mine_id, "year": plan.year, "zone_id": zone_id,
                     "field": field, "code": code,
                     "problem": msg(code, lang=lang, mine=plan.mine_id, year=plan.year, **values)})

    for plan in plans.itertuples(index=False):
        zone_id = zone_of.get(str(plan.mine_id))
        if zone_id is None:
            add(plan, None, "mine_id", "plan_mine_unknown")
            continue
        if not (pd.notna(plan.target_ha) and plan.target_ha > 0):
            add(plan, zone_id, "target_ha", "plan_target_missing")
        if pd.isna(plan.deadline):
            add(plan, zone_id, "deadline", "plan_deadline_missing")
        if pd.isna(plan.money_wan):
            add(plan, zone_id, "money_wan", "plan_money_missing")
        values = _plan_parameters(plan, rules)
        named = plan.standard if isinstance(plan.standard, str) and plan.standard.strip() else None
        if named is not None and named not in rules.standards and values is not None:
            add(plan, zone_id, "standard", "plan_standard_unknown", standard=named,
                allowed=", ".join(rules.standards))  # reported, though explicit values follow
        if values is None:
            add(plan, zone_id, "standard", "plan_standard_missing"
                if plan.standard is None or pd.isna(plan.standard) else "plan_standard_unknown",
                standard=plan.standard, allowed=", ".join(rules.standards))
            continue
        zone = zone_std.loc[zone_id]
        for p, spec in rules.parameters.items():
            mine, required = values.get(p), zone[p]
            if mine is None or np.isnan(mine):
                continue
            low, high = spec.get("min", 0), spec.get("max")
            if mine < low or (high is not None and mine > high):
                add(plan, zone_id, p, "plan_value_out_of_range", parameter=spec[lang],
                    value=f"{mine:g}", low=f"{low:g}", high="∞" if high is None else f"{high:g}")
                continue
            weaker = mine > required if spec["stricter"] == "lower" else mine < required
            if weaker:
                add(plan, zone_id, p, "plan_standard_weaker", parameter=rules.parameters[p][lang],
                    value=f"{mine:g}", required=f"{required:g}", zone=zone_id)
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS)


def _plan_parameters(plan, rules: Rules) -> dict[str, float] | None:
    """The plan's parameter values: the named standard's, overridden by explicit columns."""
    explicit = {p: getattr(plan, p) for p in rules.parameters if hasattr(plan, p)
                and pd.notna(getattr(plan, p))}
    name = plan.standard if isinstance(plan.standard, str) and plan.standard.strip() else None
    if name is not None and name not in rules.standards:
        return None if not explicit else explicit
    if name is None and not explicit:
        return None
    base = {p: float(rules.standards[name][p]) for p in rules.parameters} if name else {}
    base.update({p: float(v) for p, v in explicit.items()})
    return base
