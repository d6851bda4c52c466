"""Supervision of the green-mine list by the rules of the city notice: score sheets and
quarterly spot checks (more rules follow: rectification and removal, capacity, funds,
evaluators). The numbers are data (``resources/supervision.yaml``) and parameters.

>>> result = og.supervision.score_sheet("评分表.xlsx", scale="2020")   # pass/fail, explained
>>> plan = og.supervision.spot_check_plan(register.state(as_of="2026-01-01"), year=2026, seed=7)

**Score sheets.** The 2020 *Green Mine Evaluation Indicators* (绿色矿山评价指标): 1000 points in six
first-level categories whose maxima the sheet gives (and which must add up to 1000); a mine
passes with a total ≥ 800 **and** every category ≥ 75 % of its maximum **and** every prerequisite
met (valid licences, no unremedied penalty in 3 years, no major accident, not on the
abnormal-operation list, normal production with ≥ 3 years of reserves, no overlap with protected
areas). The 2024 national indicators (自然资规〔2024〕1号): 100 points; their pass line is a
required parameter until the bureau sets it. A failure is explained: "资源综合利用 142/200 = 71 %
< 75 %".

**Spot checks.** Per banner and year, at least ceil(rate × listed green mines) (rate 20 %),
only listed mines, spread over the four quarters so that the counts differ by at most one,
reproducible from the recorded seed. Every mine not checked (nor listed) in the last
``coverage_years`` (5) is taken first — so every listed mine is checked at least once in any
5 consecutive years (the sample is larger than the floor in a year that has to catch up); the
rest is drawn at random, weighted towards open findings, overdue rectification and long-unchecked
mines.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ._errors import ValidationError
from ._messages import msg
from ._schema import header_key, normalise_id

__all__ = ["rules", "score_sheet", "spot_check_plan", "fund_check", "capacity_check",
           "rectification_items", "removal_list", "sanctions", "lookback", "ITEM_COLUMNS",
           "protected_overlap", "quarterly_report", "QUARTER_COLUMNS",
           "LOOKBACK_COLUMNS",
           "SCORE_COLUMNS", "SPOT_CHECK_COLUMNS", "FUND_COLUMNS", "CAPACITY_COLUMNS"]

SCORE_COLUMNS = ["mine_id", "scale", "total", "max_total", "passed", "explanation"]
SPOT_CHECK_COLUMNS = ["banner", "mine_id", "name", "quarter", "reason", "weight", "year"]


@lru_cache(maxsize=1)
def rules() -> dict:
    """The supervision table (``resources/supervision.yaml``)."""
    text = resources.files("ordos_geo").joinpath("resources/supervision.yaml").read_text("utf-8")
    return yaml.safe_load(text)


# --- score sheets -------------------------------------------------------------------------------
_SHEET = {"mine_id": ["mine_id", "矿山编号", "编号"], "category": ["category", "一级指标", "指标类别"],
          "max_points": ["max_points", "分值", "满分", "标准分"], "score": ["score", "得分", "评分"]}
_YES = {"true", "1", "yes", "y", "是", "满足", "符合", "有效", "√"}
_NO = {"false", "0", "no", "n", "否", "不满足", "不符合", "无效", "×"}


def _columns(table: pd.DataFrame, path) -> dict[str, str]:
    """The sheet's source column for each field of :data:`_SHEET` (every missing one named)."""
    return dict(zip(_SHEET, _named(table, _SHEET, path).attrs["source_columns"]))


def _prerequisite_columns(table: pd.DataFrame) -> dict[str, str]:
    index = {header_key(c): c for c in table.columns}
    out = {}
    for key, spec in rules()["prerequisites"].items():
        for name in [key, spec["zh"], *spec.get("aliases", [])]:
            if header_key(name) in index:
                out[key] = index[header_key(name)]
                break
    return out


def protected_overlap(mines, protected) -> pd.Series:
    """Hectares of each mine (``site_id`` or ``mine_id``; any CRS) inside the protected areas
    (生态保护红线, nature reserves: any polygon layer), measured in the equal-area CRS; indexed
    by mine id."""
    import geopandas as gpd

    from . import projection

    ids = mines["mine_id"] if "mine_id" in mines.columns and "site_id" not in mines.columns \
        else mines["site_id"]
    zone = gpd.GeoSeries([projection.to_equal_area(protected.geometry).union_all()],
                         crs=projection.equal_area_crs())
    inside = projection.to_equal_area(mines.geometry).intersection(zone.iloc[0])
    return pd.Series((inside.area / 10_000.0).to_numpy(), index=ids.astype(str).to_numpy(),
                     name="protected_ha")


def score_sheet(sheet: str | os.PathLike | pd.DataFrame, *, scale: str = "2020",
                pass_line: float | None = None, category_share: float | None = None,
                mines=None, protected=None) -> pd.DataFrame:
    """Pass or fail per mine from a score sheet (CSV/XLSX or a frame; one row per category or
    per item: ``mine_id, category, max_points, score``, plus prerequisite columns 是/否), with
    the explanation of every failure (:data:`SCORE_COLUMNS` plus one ``<category>`` column of
    points per category). Sheets whose maxima do not add up to the scale's total are refused,
    naming the mine. With ``mines`` (their boundaries) and a ``protected`` polygon layer the
    protected-area prerequisite is also checked on the map: a mine that overlaps it fails
    (``protected_ha`` > 0), whatever the sheet says."""
    spec = rules()["scales"].get(str(scale))
    if spec is None:
        raise ValidationError(msg("sheet_scale", scale=scale, allowed=", ".join(rules()["scales"])))
    line = pass_line if pass_line is not None else spec["pass_total"]
    if line is None:
        raise ValidationError(msg("sheet_pass_line", scale=scale))
    share = category_share if category_share is not None else spec["category_share"]
    path = sheet if not isinstance(sheet, pd.DataFrame) else "<table>"
    table = _read_sheet(sheet)
    cols = _columns(table, path)
    frame = pd.DataFrame({
        "mine_id": table[cols["mine_id"]].map(lambda v: normalise_id(v) if pd.notna(v) else None),
        "category": table[cols["category"]].astype(str).str.strip().map(_category(spec)),
        "max_points": pd.to_numeric(table[cols["max_points"]], errors="coerce").astype(float),
        "score": pd.to_numeric(table[cols["score"]], errors="coerce").astype(float)})
    _refuse_bad_rows(frame, table, cols, path, spec)
    per = frame.groupby(["mine_id", "category"], sort=True)[["max_points", "score"]].sum()
    prereq = _prerequisites(table, cols["mine_id"])
    overlap = protected_overlap(mines, protected) if mines is not None and protected is not None \
        else None
    if overlap is not None:
        for mine, ha in overlap.items():
            if ha > 0:
                prereq.setdefault(mine, {})["no_protected_overlap"] = False
    rows = [_judge(mine, per.loc[mine], float(spec["total"]), float(line), share,
                   prereq.get(mine, {}), scale, path)
            for mine in per.index.get_level_values(0).unique()]
    out = pd.DataFrame(rows)
    if overlap is not None:
        out.insert(5, "protected_ha", out["mine_id"].map(overlap).fillna(0.0).round(4))
    return out


def _read_sheet(sheet) -> pd.DataFrame:
    if isinstance(sheet, pd.DataFrame):
        return sheet.copy()
    path = Path(sheet)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pd.read_excel(path, dtype=object)
    from .io import read_table

    return read_table(path)[0]


def _category(spec: dict):
    cats = spec.get("categories")
    if not cats:
        return lambda name: name
    index = {header_key(n): key for key, c in cats.items()
             for n in [key, c["zh"], *c.get("aliases", [])]}
    return lambda name: index.get(header_key(name), f"?{name}")


def _refuse_bad_rows(frame, table, cols, path, spec) -> None:
    problems = []
    for k, row in enumerate(frame.itertuples(index=False), start=2):
        raw = table.iloc[k - 2]
        if row.mine_id is None:
            problems.append(msg("sheet_row", row=k, field="mine_id", value=str(raw[cols["mine_id"]])))
        if str(row.category).startswith("?"):
            allowed = "、".join(c["zh"] for c in spec["categories"].values())
            problems.append(msg("sheet_category", row=k, value=row.category[1:], allowed=allowed))
        for field in ("max_points", "score"):
            value = getattr(row, field)
            if not (math.isfinite(value) and value >= 0):
                problems.append(msg("sheet_row", row=k, field=field, value=str(raw[cols[field]])))
        if row.score > row.max_points:
            problems.append(msg("sheet_above_max", row=k, score=row.score, top=row.max_points))
    if problems:
        raise ValidationError(f"{path}:\n- " + "\n- ".join(problems[:30]))


def _prerequisites(table: pd.DataFrame, id_col: str) -> dict[str, dict[str, bool]]:
    """Per mine, each prerequisite met (True), not met (False); unknown values are not met."""
    cols = _prerequisite_columns(table)
    out: dict[str, dict[str, bool]] = {}
    for _, row in table.iterrows():
        mine = normalise_id(row[id_col]) if pd.notna(row[id_col]) else None
        for key, col in cols.items():
            value = str(row[col]).strip().casefold() if pd.notna(row[col]) else ""
            if value:
                met = value in _YES and value not in _NO
                out.setdefault(mine, {})[key] = out.get(mine, {}).get(key, True) and met
    return out


def _judge(mine: str, per: pd.DataFrame, total_max: float, line: float, share: float | None,
           prereq: dict[str, bool], scale: str, path) -> dict:
    """One mine's verdict and its reasons (zh/en catalogue)."""
    max_total = float(per["max_points"].sum())
    if not math.isclose(max_total, total_max, abs_tol=1e-6):
        raise ValidationError(msg("sheet_total", path=path, mine=mine, got=f"{max_total:g}",
                                  want=f"{total_max:g}"))
    total = float(per["score"].sum())
    reasons = []
    if total < line:
        reasons.append(msg("sheet_total_low", total=f"{total:g}", line=f"{line:g}"))
    spec = rules()["scales"][str(scale)].get("categories") or {}
    for category, row in per.iterrows():
        ratio = row["score"] / row["max_points"] if row["max_points"] else 1.0
        if share is not None and ratio < share - 1e-12:
            name = spec.get(category, {}).get("zh", category)
            reasons.append(msg("sheet_category_low", category=name, score=f"{row['score']:g}",
                               top=f"{row['max_points']:g}", pct=f"{100 * ratio:.1f}".rstrip("0")
                               .rstrip("."), share=f"{100 * share:g}"))
    for key, met in prereq.items():
        if not met:
            reasons.append(msg("sheet_prerequisite", name=rules()["prerequisites"][key]["zh"]))
    out = {"mine_id": mine, "scale": str(scale), "total": total, "max_total": max_total,
           "passed": not reasons, "explanation": "；".join(reasons) or msg("sheet_passed")}
    out.update({f"points_{c}": float(r["score"]) for c, r in per.iterrows()})
    return out


# --- spot checks --------------------------------------------------------------------------------
def spot_check_plan(state: pd.DataFrame, *, year: int, rate: float | None = None,
                    seed: int = 0, coverage_years: int | None = None,
                    weights: dict[str, float] | None = None) -> pd.DataFrame:
    """The year's spot checks per banner (:data:`SPOT_CHECK_COLUMNS`, ``quarter`` Q1–Q4) from a
    register state at the start of the year (``Register.state(as_of=f"{year}-01-01")``, or any
    table with ``mine_id, banner, listed`` and optionally ``name, listed_date,
    last_spot_check, open_findings, overdue`` — and, to weight them, ``trajectory`` (a
    ``degrading`` or ``still_disturbed`` reclamation trajectory) and ``plan_problems`` (the
    number of failed plan checks)). See the module text for the rules."""
    rate = float(rate if rate is not None else rules()["spot_checks"]["rate"])
    years = int(coverage_years or rules()["spot_checks"]["coverage_years"])
    if not 0 < rate <= 1:
        raise ValidationError(msg("spot_rate", rate=rate))
    w = {"open_findings": 2.0, "overdue": 3.0, "per_year_unchecked": 0.5, "trajectory": 2.0,
         "plan_problems": 1.0, **(weights or {})}
    listed = state[state["listed"].fillna(False).astype(bool)].copy()
    listed["banner"] = listed["banner"].fillna("—")
    rows = []
    for k, (banner, group) in enumerate(sorted(listed.groupby("banner"), key=lambda kv: kv[0])):
        rng = np.random.default_rng([int(seed), int(year), k])
        rows += _banner_plan(group.sort_values("mine_id"), banner, year, rate, years, w, rng)
    return pd.DataFrame(rows, columns=SPOT_CHECK_COLUMNS)


def _last_seen(group: pd.DataFrame) -> np.ndarray:
    """Per mine, the year of its last spot check, else of its listing (NaN when unknown)."""
    def year_of(col):
        if col not in group:
            return np.full(len(group), np.nan)
        return pd.to_datetime(group[col], errors="coerce").dt.year.to_numpy(dtype=float)

    checked, listed = year_of("last_spot_check"), year_of("listed_date")
    return np.where(np.isnan(checked), listed, checked)


def _banner_plan(group, banner, year, rate, years, w, rng) -> list[dict]:
    n = len(group)
    quota = math.ceil(rate * n - 1e-9)
    seen = _last_seen(group)
    age = np.where(np.isnan(seen), years, year - seen)
    due = age >= years  # not checked (nor listed) in the last `years` years
    order = list(np.flatnonzero(due)[np.argsort(-age[due], kind="stable")])
    reasons = {i: msg("spot_due", years=years) for i in order}
    findings = group.get("open_findings", pd.Series(0, index=group.index)).fillna(0)
    overdue = group.get("overdue", pd.Series(False, index=group.index)).fillna(False)
    bad_trend = group.get("trajectory", pd.Series(None, index=group.index)).isin(
        ["degrading", "still_disturbed"]).to_numpy(dtype=bool)
    plan_bad = group.get("plan_problems", pd.Series(0, index=group.index)).fillna(0) \
        .to_numpy(dtype=float) > 0
    flagged = (findings.to_numpy(dtype=float) > 0) | overdue.to_numpy(dtype=bool) | bad_trend | \
        plan_bad
    weight = (1.0 + w["open_findings"] * (findings.to_numpy(dtype=float) > 0)
              + w["overdue"] * overdue.to_numpy(dtype=bool) + w["per_year_unchecked"] * age
              + w["trajectory"] * bad_trend + w["plan_problems"] * plan_bad)
    weight[due] = np.nan  # taken whatever the draw
    rest = np.flatnonzero(~due)
    need = max(quota - len(order), 0)
    if need and len(rest):
        pick = rng.choice(rest, size=min(need, len(rest)), replace=False,
                          p=weight[rest] / weight[rest].sum())
        reasons.update({int(i): msg("spot_weighted") if flagged[i] else msg("spot_random")
                        for i in pick})
        order += [int(i) for i in pick]
    quarters = np.arange(len(order)) % 4
    rng.shuffle(quarters)  # counts per quarter differ by at most one
    names = group.get("name", pd.Series(None, index=group.index)).to_numpy(dtype=object)
    ids = group["mine_id"].to_numpy(dtype=object)
    return [{"banner": banner, "mine_id": ids[i], "name": names[i], "quarter": f"Q{q + 1}",
             "reason": reasons[i], "weight": float(weight[i]), "year": int(year)}
            for i, q in zip(order, quarters)]


# --- restoration fund ---------------------------------------------------------------------------
FUND_COLUMNS = ["mine_id", "year", "accrued", "required", "accrual_share", "passed"]
_FUND = {"mine_id": ["mine_id", "矿山编号"], "year": ["year", "年度", "年份"],
         "accrued": ["accrued", "已计提", "计提金额", "已提取"],
         "required": ["required", "应计提", "应提取", "应计提金额"]}


def _named(table: pd.DataFrame, names: dict[str, list[str]], path) -> pd.DataFrame:
    """The columns of ``names`` (canonical → accepted spellings) under their canonical names."""
    index = {header_key(c): c for c in table.columns}
    found = {f: next((index[header_key(a)] for a in spellings if header_key(a) in index), None)
             for f, spellings in names.items()}
    missing = [f for f, c in found.items() if c is None]
    if missing:
        raise ValidationError(msg("sheet_columns", path=path, missing=", ".join(missing),
                                  columns=", ".join(map(str, table.columns))))
    out = table[list(found.values())].set_axis(list(found), axis=1)
    out.attrs["source_columns"] = list(found.values())
    return out


def _numbers(frame: pd.DataFrame, cols: list[str], path) -> pd.DataFrame:
    """The columns as numbers ≥ 0; every bad cell is named (row, field, value)."""
    out = frame.copy()
    problems = []
    for col in cols:
        values = pd.to_numeric(out[col].astype(str).str.replace(",", "").str.strip(),
                               errors="coerce")
        for k in np.flatnonzero(~(values >= 0).to_numpy()):
            problems.append(msg("sheet_row", row=int(k) + 2, field=col, value=str(frame[col].iloc[k])))
        out[col] = values.astype(float)
    if problems:
        raise ValidationError(f"{path}:\n- " + "\n- ".join(problems[:30]))
    return out


def fund_check(table: str | os.PathLike | pd.DataFrame, *,
               required_share: float | None = None) -> pd.DataFrame:
    """The restoration-fund accrual of each mine and year (:data:`FUND_COLUMNS`): ``accrued /
    required`` must reach ``required_share`` (default 100 %); ``passed`` says whether it does.
    Columns: ``mine_id, year, accrued, required`` (矿山编号, 年度, 已计提, 应计提)."""
    share = float(required_share if required_share is not None
                  else rules()["fund"]["required_share"])
    path = table if not isinstance(table, pd.DataFrame) else "<table>"
    frame = _numbers(_named(_read_sheet(table), _FUND, path), ["accrued", "required"], path)
    frame["mine_id"] = frame["mine_id"].map(lambda v: normalise_id(v) if pd.notna(v) else None)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["accrual_share"] = np.where(frame["required"] > 0,
                                          frame["accrued"] / frame["required"], np.inf)
    frame["passed"] = frame["accrual_share"] >= share - 1e-12
    return frame[FUND_COLUMNS]


# --- output above approved capacity -------------------------------------------------------------
CAPACITY_COLUMNS = ["mine_id", "period", "output_t", "approved_t_per_year", "line_t",
                    "above_t", "flagged", "tickets_withheld_t"]
_PRODUCTION = {"mine_id": ["mine_id", "矿山编号"], "month": ["month", "月份", "年月"],
               "output": ["output", "产量", "月产量"],
               "approved": ["approved_capacity", "核定产能", "核定生产能力", "核定产能(万吨/年)"]}


def capacity_check(table: str | os.PathLike | pd.DataFrame, *, unit: str = "t",
                   monthly_share: float | None = None, yearly_share: float | None = None
                   ) -> pd.DataFrame:
    """Months and years produced above the approved capacity (:data:`CAPACITY_COLUMNS`).

    The table gives ``mine_id, month`` (YYYY-MM), ``output`` (tonnes, or 万吨 with
    ``unit="万吨"``) and ``approved_capacity`` (万吨/年, as approved). A month is flagged when its
    output exceeds ``monthly_share`` (10 %) of the annual approved capacity — the national
    major-hazard criterion read as written: exactly 10 % is not flagged, one tonne more is — and
    the coal tickets (煤管票) to withhold are the tonnes above that line; a year is flagged when
    its output exceeds ``yearly_share`` (110 %) of the capacity."""
    spec = rules()["capacity"]
    month_line = float(monthly_share if monthly_share is not None else spec["monthly_share"])
    year_line = float(yearly_share if yearly_share is not None else spec["yearly_share"])
    path = table if not isinstance(table, pd.DataFrame) else "<table>"
    frame = _numbers(_named(_read_sheet(table), _PRODUCTION, path), ["output", "approved"], path)
    frame["mine_id"] = frame["mine_id"].map(lambda v: normalise_id(v) if pd.notna(v) else None)
    month = pd.to_datetime(frame["month"].astype(str).str.strip(), format="mixed", errors="coerce")
    bad = np.flatnonzero(month.isna().to_numpy())
    if len(bad):
        raise ValidationError(f"{path}:\n- " + "\n- ".join(
            msg("sheet_row", row=int(k) + 2, field="month", value=str(frame["month"].iloc[k]))
            for k in bad[:30]))
    scale = {"t": 1.0, "吨": 1.0, "万吨": 10_000.0}.get(unit)
    if scale is None:
        raise ValidationError(msg("capacity_unit", unit=unit))
    frame["output_t"] = frame["output"] * scale
    frame["approved_t_per_year"] = frame["approved"] * 10_000.0  # 万吨/年 → t/yr
    monthly = pd.DataFrame({
        "mine_id": frame["mine_id"], "period": month.dt.strftime("%Y-%m"),
        "output_t": frame["output_t"], "approved_t_per_year": frame["approved_t_per_year"],
        "line_t": frame["approved_t_per_year"] * month_line})
    yearly = monthly.assign(period=month.dt.strftime("%Y")).groupby(
        ["mine_id", "period"], as_index=False).agg(
        output_t=("output_t", "sum"), approved_t_per_year=("approved_t_per_year", "max"))
    yearly["line_t"] = yearly["approved_t_per_year"] * year_line
    out = pd.concat([monthly, yearly], ignore_index=True)
    out["above_t"] = (out["output_t"] - out["line_t"]).clip(lower=0.0)
    out["flagged"] = out["output_t"] > out["line_t"] + 1e-6
    out["tickets_withheld_t"] = np.where(out["period"].str.len() == 7, out["above_t"], 0.0)
    return out.sort_values(["mine_id", "period"], kind="stable").reset_index(drop=True)[
        CAPACITY_COLUMNS]


# --- rectification, removal, look-back, demonstration mines, sanctions ---------------------------
ITEM_COLUMNS = ["mine_id", "finding_id", "found", "due", "closed", "status", "rechecks_failed"]


def rectification_items(events: pd.DataFrame, *, as_of=None, months: int | None = None
                        ) -> pd.DataFrame:
    """Every finding as a rectification item (:data:`ITEM_COLUMNS`): due on its latest
    ``rectification_due`` date, else ``months`` (6) after it was found; ``closed`` by a
    ``rectified`` that refers to it (or one without reference dated on or after it); a later
    ``finding`` that refers to it is a failed re-check. ``status``: ``rectified``,
    ``failed_recheck``, ``overdue`` (due before ``as_of`` and not closed) or ``open``."""
    from .register import effective_events

    months = int(months if months is not None else rules()["rectification"]["months"])
    day = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    eff = effective_events(events)
    eff = eff[eff["date"] <= day].sort_values(["date", "event_id"], kind="stable")
    found = eff[eff["event"] == "finding"]
    refs = found["refers_to"].dropna().astype(int)
    failed = refs.value_counts()
    dues = eff[(eff["event"] == "rectification_due") & eff["refers_to"].notna()]
    due = dues.assign(ref=dues["refers_to"].astype(int)).drop_duplicates("ref", keep="last") \
        .set_index("ref")["due_date"]  # the latest deadline set for each finding
    fixed = eff[eff["event"] == "rectified"]
    by_ref = fixed.dropna(subset=["refers_to"]).assign(
        ref=lambda f: f["refers_to"].astype(int)).groupby("ref")["date"].min()
    blanket = fixed[fixed["refers_to"].isna()][["mine_id", "date"]]
    rows = []
    for f in found.itertuples(index=False):
        fid = int(f.event_id)
        deadline = due.get(fid, pd.NaT)
        deadline = f.date + pd.DateOffset(months=months) if pd.isna(deadline) else deadline
        sweeps = blanket.loc[(blanket["mine_id"] == f.mine_id) & (blanket["date"] >= f.date), "date"]
        closed = min([d for d in (by_ref.get(fid, pd.NaT), sweeps.min()) if pd.notna(d)],
                     default=pd.NaT)
        n_failed = int(failed.get(fid, 0))
        status = ("failed_recheck" if n_failed else "rectified" if pd.notna(closed)
                  else "overdue" if deadline < day else "open")
        rows.append({"mine_id": f.mine_id, "finding_id": fid, "found": f.date, "due": deadline,
                     "closed": closed, "status": status, "rechecks_failed": n_failed})
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def removal_list(items: pd.DataFrame, state: pd.DataFrame) -> pd.DataFrame:
    """Listed mines with an overdue or failed-at-re-check rectification item: ``mine_id,
    banner, name, reason`` (the items that put each there)."""
    bad = items[items["status"].isin(["overdue", "failed_recheck"])]
    listed = state[state["listed"].fillna(False).astype(bool)].set_index("mine_id")
    rows = []
    for mine, group in bad.groupby("mine_id", sort=True):
        if mine not in listed.index:
            continue
        reason = "；".join(msg("removal_reason", finding=int(r.finding_id), status=r.status,
                               due=pd.Timestamp(r.due).strftime("%Y-%m-%d"))
                          for r in group.itertuples())
        rows.append({"mine_id": mine, "banner": listed.loc[mine, "banner"],
                     "name": listed.loc[mine, "name"] if "name" in listed else None,
                     "reason": reason})
    return pd.DataFrame(rows, columns=["mine_id", "banner", "name", "reason"])


def sanctions(items: pd.DataFrame, state: pd.DataFrame, *, as_of=None,
              required_mines: list[str] | None = None) -> pd.DataFrame:
    """The measures the notice names for mines that refuse rectification or miss their
    green-mine target, each with the rule that triggered it (``resources/supervision.yaml``):
    ``mine_id, measure, measure_zh, rule``. ``required_mines`` are the mines that must be
    listed by ``as_of`` (the green-mine target); those not listed have ``target_missed``."""
    day = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    facts: dict[str, set[str]] = {}
    for r in items.itertuples():
        if r.status == "overdue":
            facts.setdefault(r.mine_id, set()).add("overdue")
            if r.due + pd.DateOffset(months=12) < day:
                facts[r.mine_id].add("overdue_over_12_months")
        if r.rechecks_failed >= 1:
            facts.setdefault(r.mine_id, set()).add("failed_recheck")
        if r.rechecks_failed >= 2:
            facts[r.mine_id].add("failed_recheck_twice")
    removed = state.loc[state["removed_date"].notna() & ~state["listed"].fillna(False)
                        .astype(bool), "mine_id"]
    for mine in removed:
        facts.setdefault(mine, set()).add("removed")
    listed = set(state.loc[state["listed"].fillna(False).astype(bool), "mine_id"])
    for mine in required_mines or []:
        if mine not in listed:
            facts.setdefault(mine, set()).add("target_missed")
    rows = []
    for mine in sorted(facts):
        for measure, spec in rules()["sanctions"].items():
            hit = [rule for rule in spec["when"] if rule in facts[mine]]
            if hit:
                rows.append({"mine_id": mine, "measure": measure, "measure_zh": spec["zh"],
                             "rule": hit[0]})
    return pd.DataFrame(rows, columns=["mine_id", "measure", "measure_zh", "rule"])


LOOKBACK_COLUMNS = ["banner", "listed", "checked", "findings", "rectified", "overdue", "removed",
                    "public_notices", "demonstration", "demonstration_short"]


def lookback(events: pd.DataFrame, mines: pd.DataFrame, *, year: int,
             per_banner: int | None = None) -> pd.DataFrame:
    """The city's yearly look-back (回头看) per banner (:data:`LOOKBACK_COLUMNS`): listed mines
    at the year's end, mines spot-checked, findings, rectified items, items overdue at the
    year's end, mines removed and public notices in the year, demonstration mines (样板项目)
    among the listed and whether the banner has fewer than ``per_banner`` (2)."""
    from .register import current_state, effective_events

    need = int(per_banner if per_banner is not None else rules()["demonstration"]["per_banner"])
    end = pd.Timestamp(f"{year}-12-31")
    state = current_state(events, mines=mines, as_of=end)
    eff = effective_events(events)
    eff = eff[eff["date"].dt.year == year].merge(mines[["mine_id", "banner"]], on="mine_id",
                                                  how="left")
    items = rectification_items(events, as_of=end)
    items = items.merge(mines[["mine_id", "banner"]], on="mine_id", how="left")
    demo = set(effective_events(events).query("event == 'demonstration'")["mine_id"])
    banners = sorted(set(mines["banner"].dropna()))
    rows = []
    for banner in banners:
        ev, st = eff[eff["banner"] == banner], state[state["banner"] == banner]
        it = items[items["banner"] == banner]
        listed = st[st["listed"].astype(bool)]
        n_demo = int(listed["mine_id"].isin(demo).sum())
        rows.append({"banner": banner, "listed": len(listed),
                     "checked": ev.loc[ev["event"] == "spot_check", "mine_id"].nunique(),
                     "findings": int((ev["event"] == "finding").sum()),
                     "rectified": int((it["closed"].dt.year == year).sum()),
                     "overdue": int((it["status"] == "overdue").sum()),
                     "removed": int((ev["event"] == "removed").sum()),
                     "public_notices": int((ev["event"] == "public_notice").sum()),
                     "demonstration": n_demo, "demonstration_short": n_demo < need})
    return pd.DataFrame(rows, columns=LOOKBACK_COLUMNS)


QUARTER_COLUMNS = ["banner", "quarter", "due", "planned", "done", "findings"]


def quarterly_report(plan: pd.DataFrame, events: pd.DataFrame, *, year: int) -> pd.DataFrame:
    """The quarterly report per banner (due at each quarter's end): spot checks planned, done
    (a ``spot_check`` of a planned mine in that quarter) and findings recorded at them."""
    from .register import effective_events

    eff = effective_events(events)
    eff = eff[eff["date"].dt.year == year]
    quarter = "Q" + eff["date"].dt.quarter.astype(str)
    done = set(zip(eff.loc[eff["event"] == "spot_check", "mine_id"],
                   quarter[eff["event"] == "spot_check"]))
    found = eff.loc[eff["event"] == "finding"].assign(quarter=quarter)
    rows = []
    for (banner, q), group in plan.groupby(["banner", "quarter"], sort=True):
        mines = set(group["mine_id"])
        end = pd.Timestamp(f"{year}-{3 * int(q[1]):02d}-01") + pd.offsets.MonthEnd(0)
        rows.append({"banner": banner, "quarter": q, "due": end.strftime("%Y-%m-%d"),
                     "planned": len(mines), "done": sum((m, q) in done for m in mines),
                     "findings": int((found["mine_id"].isin(mines) &
                                      (found["quarter"] == q)).sum())})
    return pd.DataFrame(rows, columns=QUARTER_COLUMNS)
