"""Supervision of the green-mine list by the rules of the city notice: score sheets, quarterly
spot checks, rectification and removal, sanctions, the yearly look-back; the restoration fund
and output above capacity (:mod:`ordos_geo.register._fund_capacity`). The numbers are data
(``resources/supervision.yaml``) and parameters, each checked (NaN, infinity, sign, range:
:class:`UsageError`).

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
only listed mines; k checks give each quarter ⌊k/4⌋ or ⌈k/4⌉, the remainder in quarters drawn
at random (:func:`quarters_for`); each banner draws from its own stream, keyed by its name; the
seed, drawn from the operating system when not given, reproduces the plan. Every mine not
checked (nor listed) in the last ``coverage_years`` (5) is taken first — so every listed mine
is checked at least once in any 5 consecutive years (the sample is larger than the floor in a
year that has to catch up); the rest is drawn at random, weighted towards open findings,
removable mines (the register's one rectification rule), bad trajectories, failed plan checks
and long-unchecked mines.
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets

import numpy as np
import pandas as pd

from ..core.errors import UsageError, ValidationError
from ..core.messages import msg
from ..core.params import check_number
from ..core.schema import header_key, normalise_id
from ..core.utils import keywords_after
from ..io.tables import parse_number, read_user_table, table_problem
from ._checks import effective_events
from ._fund_capacity import CAPACITY_COLUMNS, FUND_COLUMNS, capacity_check, fund_check
from ._ids import spellings, stored_id
from ._rectification import ITEM_COLUMNS, REMOVABLE, default_months, finding_items
from ._state import as_of_day, current_state
from ._supervision_rules import rules

__all__ = ["rules", "default_months", "score_sheet", "spot_check_plan", "fund_check", "capacity_check",
           "rectification_items", "removal_list", "sanctions", "lookback", "ITEM_COLUMNS",
           "protected_overlap", "quarterly_report", "QUARTER_COLUMNS",
           "LOOKBACK_COLUMNS",
           "SCORE_COLUMNS", "SPOT_CHECK_COLUMNS", "FUND_COLUMNS", "CAPACITY_COLUMNS"]

SCORE_COLUMNS = ["mine_id", "scale", "total", "max_total", "passed", "explanation"]
SPOT_CHECK_COLUMNS = ["banner", "mine_id", "name", "quarter", "reason", "weight", "year", "seed"]


# --- score sheets -------------------------------------------------------------------------------
_YES = {"true", "1", "yes", "y", "是", "满足", "符合", "有效", "√", "✓"}
_NO = {"false", "0", "no", "n", "否", "不满足", "不符合", "无效", "×", "✗"}


def _prerequisite_columns(table: pd.DataFrame) -> dict[str, str]:
    index = {header_key(c): c for c in table.columns}
    out = {}
    for key, spec in rules()["prerequisites"].items():
        for name in [key, spec["zh"], *spec.get("aliases", [])]:
            if header_key(name) in index:
                out[key] = index[header_key(name)]
                break
    return out


@keywords_after(1, ("protected",))
def protected_overlap(mines, *, protected) -> pd.Series:
    """Hectares of each mine (``site_id`` or ``mine_id``; any CRS) inside the protected areas
    (生态保护红线, nature reserves: any polygon layer), measured in the equal-area CRS; indexed
    by mine id."""
    import geopandas as gpd

    from ..core import projection

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
        raise UsageError(msg("sheet_scale", scale=scale, allowed=", ".join(rules()["scales"])))
    line = pass_line if pass_line is not None else spec["pass_total"]
    if line is None:
        raise UsageError(msg("sheet_pass_line", scale=scale))
    line = check_number("pass_line", line, low=0, high=float(spec["total"]), low_open=True)
    share = category_share if category_share is not None else spec["category_share"]
    if share is not None:
        share = check_number("category_share", share, low=0, high=1, low_open=True)
    sheet = read_user_table(sheet, table="score_sheet", what=msg("what_score_sheet"),
                            required=["mine_id", "category", "max_points", "score"])
    table, cols, path = sheet.raw, sheet.source, sheet.path
    if table.empty:
        raise ValidationError(msg("table_no_rows", path=path, what=msg("what_score_sheet")))
    frame = pd.DataFrame({
        "mine_id": table[cols["mine_id"]].map(_mine_id),
        "category": table[cols["category"]].astype(str).str.strip().map(_category(spec)),
        "max_points": _numbers_of(table[cols["max_points"]]),
        "score": _numbers_of(table[cols["score"]])})
    _refuse_bad_rows(frame, table, cols, path, spec)
    per = frame.groupby(["mine_id", "category"], sort=True)[["max_points", "score"]].sum()
    prereq = _prerequisites(table, cols["mine_id"], path)
    overlap = protected_overlap(mines, protected=protected) if mines is not None and protected is not None \
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


def _numbers_of(column: pd.Series) -> np.ndarray:
    """A column as floats (the one number reader: full-width digits, thousands in threes);
    NaN where a cell is no number."""
    return np.array([np.nan if (v := parse_number(x)) is None else v for x in column],
                    dtype=float)


def _mine_id(value):
    try:
        return normalise_id(value) if pd.notna(value) else None
    except ValueError:
        return None


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
        raise table_problem(str(path), problems)


def _prerequisites(table: pd.DataFrame, id_col: str, path) -> dict[str, dict[str, bool]]:
    """Per mine, each prerequisite met (True) or not (False): 是/否 and their spellings; any
    other value is refused, naming the row, the column and the values allowed; a
    prerequisite column left blank on every row of a mine is refused too (not answered is not
    met)."""
    cols = _prerequisite_columns(table)
    out: dict[str, dict[str, bool]] = {}
    problems = []
    first_row: dict[str, int] = {}
    for k, row in enumerate(table.itertuples(index=False), start=2):
        values = dict(zip(table.columns, row))
        mine = _mine_id(values[id_col])
        first_row.setdefault(mine, k)
        for key, col in cols.items():
            raw = values[col]
            value = header_key(raw) if pd.notna(raw) else ""
            if not value:
                continue
            if value not in _YES and value not in _NO:
                problems.append(msg("sheet_prerequisite_value", row=k, column=repr(str(col)),
                                    value=repr(raw), allowed="是/否、满足/不满足、符合/不符合"))
                continue
            out.setdefault(mine, {})[key] = out.get(mine, {}).get(key, True) and value in _YES
    for mine, k in first_row.items():
        for key, col in cols.items():
            if key not in out.get(mine, {}):
                problems.append(msg("sheet_prerequisite_blank", row=k, column=repr(str(col)),
                                    mine=repr(mine)))
    if problems:
        raise table_problem(str(path), problems)
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
                    seed: int | None = None, coverage_years: int | None = None,
                    weights: dict[str, float] | None = None) -> pd.DataFrame:
    """The year's spot checks per banner (:data:`SPOT_CHECK_COLUMNS`, ``quarter`` Q1–Q4) from a
    register state at the start of the year (``Register.state(as_of=f"{year}-01-01")``, or any
    table with ``mine_id, banner, listed`` and optionally ``name, listed_date,
    last_spot_check, open_findings, overdue, removable`` — and, to weight them,
    ``trajectory`` (a ``degrading`` or ``still_disturbed`` reclamation trajectory) and
    ``plan_problems`` (the number of failed plan checks)). See the module text for the rules.

    Without ``seed`` one is drawn from the operating system (``secrets``): the plan cannot be
    computed before it is drawn, and the seed, in the ``seed`` column and ``plan.attrs``,
    reproduces it afterwards. Each banner has its own random stream, keyed by the banner's
    name: adding a banner changes no other banner's plan."""
    year = int(check_number("year", year, low=1990, high=2100, whole=True))
    rate = check_number("rate", rate if rate is not None else rules()["spot_checks"]["rate"],
                        low=0, high=1, low_open=True)
    years = int(check_number("coverage_years", coverage_years if coverage_years is not None
                             else rules()["spot_checks"]["coverage_years"], low=1, high=50,
                             whole=True))
    seed = secrets.randbits(63) if seed is None else _seed(seed)
    w = {"open_findings": 2.0, "overdue": 3.0, "per_year_unchecked": 0.5, "trajectory": 2.0,
         "plan_problems": 1.0}
    for key, value in (weights or {}).items():
        if key not in w:
            raise UsageError(msg("param_unknown", name=repr(key), allowed=", ".join(w)))
        w[key] = check_number(f"weights[{key}]", value, low=0, high=1e6)
    listed = state[state["listed"].fillna(False).astype(bool)].copy()
    listed["banner"] = listed["banner"].fillna("—")
    rows = []
    for banner, group in sorted(listed.groupby("banner"), key=lambda kv: kv[0]):
        rng = np.random.default_rng([seed, year, _banner_key(banner)])
        rows += _banner_plan(group.sort_values("mine_id"), banner, year, rate, years, w, rng)
    out = pd.DataFrame(rows, columns=SPOT_CHECK_COLUMNS[:-1])
    out["seed"] = seed
    out.attrs.update({"seed": seed, "year": year, "rate": rate, "coverage_years": years})
    return out


def _seed(value) -> int:
    """A seed as given: a whole number 0 … 2⁶³ − 1, kept exact (not through a float)."""
    try:
        seed = int(value) if isinstance(value, (int, np.integer)) and not isinstance(
            value, bool) else int(str(value).strip())
    except ValueError:
        seed = -1
    if not 0 <= seed < 2**63:
        raise UsageError(msg("param_range", name="seed", value=repr(value),
                             range=f"[0, {2**63 - 1}]" + msg("param_whole")))
    return seed


def _banner_key(banner: str) -> int:
    """A banner's own random stream: a number from its name (not its position)."""
    return int.from_bytes(hashlib.sha256(str(banner).encode("utf-8")).digest()[:8], "little")


def quarters_for(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` checks spread over Q1–Q4 (0–3): each quarter ⌊n/4⌋ or ⌈n/4⌉ checks, the
    remainder in quarters drawn at random, the order shuffled."""
    counts = np.full(4, n // 4)
    counts[rng.choice(4, size=n % 4, replace=False)] += 1
    quarters = np.repeat(np.arange(4), counts)
    rng.shuffle(quarters)
    return quarters


def _last_seen(group: pd.DataFrame) -> np.ndarray:
    """Per mine, the year of its last spot check, else of its listing (NaN when unknown)."""
    def year_of(col):
        if col not in group:
            return np.full(len(group), np.nan)
        return pd.to_datetime(group[col], errors="coerce").dt.year.to_numpy(dtype=float)

    checked, listed = year_of("last_spot_check"), year_of("listed_date")
    return np.where(np.isnan(checked), listed, checked)


def _flags(group: pd.DataFrame) -> dict[str, np.ndarray]:
    """What raises a mine's weight: open findings, a removable (overdue or failed re-check)
    item — the register's one answer (``removable``, else ``overdue``) — a bad trajectory,
    failed plan checks."""
    def column(name, default):
        return group[name] if name in group else pd.Series(default, index=group.index)

    removable = column("removable", None)
    if removable.isna().all():
        removable = column("overdue", False)
    return {"open_findings": pd.to_numeric(column("open_findings", 0), errors="coerce")
            .fillna(0).to_numpy(dtype=float) > 0,
            "overdue": removable.fillna(False).astype(bool).to_numpy(),
            "trajectory": column("trajectory", None).isin(["degrading", "still_disturbed"])
            .to_numpy(dtype=bool),
            "plan_problems": pd.to_numeric(column("plan_problems", 0), errors="coerce")
            .fillna(0).to_numpy(dtype=float) > 0}


def _banner_plan(group, banner, year, rate, years, w, rng) -> list[dict]:
    n = len(group)
    quota = math.ceil(rate * n - 1e-9)
    seen = _last_seen(group)
    age = np.where(np.isnan(seen), years, year - seen)
    due = age >= years  # not checked (nor listed) in the last `years` years
    order = list(np.flatnonzero(due)[np.argsort(-age[due], kind="stable")])
    reasons = {i: msg("spot_due", years=years) for i in order}
    flags = _flags(group)
    flagged = np.logical_or.reduce(list(flags.values()))
    weight = 1.0 + w["per_year_unchecked"] * np.maximum(age, 0) + sum(
        w[k] * v for k, v in flags.items())
    weight[due] = np.nan  # taken whatever the draw
    rest = np.flatnonzero(~due)
    need = max(quota - len(order), 0)
    if need and len(rest):
        pick = rng.choice(rest, size=min(need, len(rest)), replace=False,
                          p=weight[rest] / weight[rest].sum())
        reasons.update({int(i): msg("spot_weighted") if flagged[i] else msg("spot_random")
                        for i in pick})
        order += [int(i) for i in pick]
    quarters = quarters_for(len(order), rng)
    names = group.get("name", pd.Series(None, index=group.index)).to_numpy(dtype=object)
    ids = group["mine_id"].to_numpy(dtype=object)
    return [{"banner": banner, "mine_id": ids[i], "name": names[i], "quarter": f"Q{q + 1}",
             "reason": reasons[i], "weight": float(weight[i]), "year": int(year)}
            for i, q in zip(order, quarters)]


# --- rectification, removal, look-back, demonstration mines, sanctions ---------------------------
def rectification_items(events: pd.DataFrame, *, as_of=None, months: int | None = None
                        ) -> pd.DataFrame:
    """Every finding as a rectification item (:data:`ITEM_COLUMNS`) on ``as_of`` (default
    today) — the register's one rule (:mod:`ordos_geo.register._rectification`): due on its latest
    ``rectification_due`` date, else ``months`` (6) after it was found; closed by a
    ``rectified`` of its problem after it and after its last failed re-check (a later
    ``finding`` that refers to it). ``status``: ``rectified``, ``failed_recheck``, ``overdue``
    (due before ``as_of`` and not closed) or ``open``."""
    months = int(check_number("months", months if months is not None else default_months(),
                              low=1, high=120, whole=True))
    return finding_items(events, as_of=_day(as_of), months=months)


def _day(as_of) -> pd.Timestamp:
    try:
        return as_of_day(as_of)
    except ValueError:
        raise UsageError(msg("reg_bad_as_of", value=repr(as_of))) from None


@keywords_after(1, ("state",))
def removal_list(items: pd.DataFrame, *, state: pd.DataFrame) -> pd.DataFrame:
    """Listed mines with an overdue or failed-at-re-check rectification item: ``mine_id,
    banner, name, reason`` (the items that put each there)."""
    bad = items[items["status"].isin(REMOVABLE)]
    listed = state[state["listed"].fillna(False).astype(bool)].set_index("mine_id")
    rows = []
    for mine, group in bad.groupby("mine_id", sort=True):
        if mine not in listed.index:
            continue
        reason = "；".join(msg("removal_reason", finding=int(r.finding_id),
                               status=msg(f"item_{r.status}"),
                               due=pd.Timestamp(r.due).strftime("%Y-%m-%d"))
                          for r in group.itertuples())
        rows.append({"mine_id": mine, "banner": listed.loc[mine, "banner"],
                     "name": listed.loc[mine, "name"] if "name" in listed else None,
                     "reason": reason})
    return pd.DataFrame(rows, columns=["mine_id", "banner", "name", "reason"])


@keywords_after(1, ("state",))
def sanctions(items: pd.DataFrame, *, state: pd.DataFrame, as_of=None,
              required_mines: list[str] | None = None) -> pd.DataFrame:
    """The measures the notice names for mines that refuse rectification or miss their
    green-mine target, each with the rule that triggered it (``resources/supervision.yaml``):
    ``mine_id, measure, measure_zh, rule``. ``required_mines`` are the mines that must be
    listed by ``as_of`` (the green-mine target); those not listed have ``target_missed``."""
    day = _day(as_of)
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
    stored, lookup = set(state["mine_id"].dropna()), spellings(state["mine_id"])
    for mine in required_mines or []:
        mine = stored_id(mine, stored, lookup)  # m1 is the mine the register stores as M1
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


@keywords_after(1, ("mines",))
def lookback(events: pd.DataFrame, *, mines: pd.DataFrame, year: int,
             per_banner: int | None = None) -> pd.DataFrame:
    """The city's yearly look-back (回头看) per banner (:data:`LOOKBACK_COLUMNS`): listed mines
    at the year's end, mines spot-checked, findings, rectified items, items overdue at the
    year's end, mines removed and public notices in the year, demonstration mines (样板项目)
    among the listed and whether the banner has fewer than ``per_banner`` (2)."""
    year = int(check_number("year", year, low=1990, high=2100, whole=True))
    need = int(check_number("per_banner", per_banner if per_banner is not None
                            else rules()["demonstration"]["per_banner"], low=0, high=1000,
                            whole=True))
    end = pd.Timestamp(f"{year}-12-31")
    state = current_state(events, mines=mines, as_of=end)
    eff = effective_events(events)
    eff = eff[pd.to_datetime(eff["date"]).dt.year == year].drop(
        columns=["name", "banner"], errors="ignore").merge(
        mines[["mine_id", "banner"]], on="mine_id", how="left")
    items = finding_items(events, as_of=end)
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
                     "rectified": int((pd.to_datetime(it["closed"]).dt.year == year).sum()),
                     "overdue": int((it["status"] == "overdue").sum()),
                     "removed": int((ev["event"] == "removed").sum()),
                     "public_notices": int((ev["event"] == "public_notice").sum()),
                     "demonstration": n_demo, "demonstration_short": n_demo < need})
    return pd.DataFrame(rows, columns=LOOKBACK_COLUMNS)


QUARTER_COLUMNS = ["banner", "quarter", "due", "planned", "done", "findings"]


@keywords_after(1, ("events",))
def quarterly_report(plan: pd.DataFrame, *, events: pd.DataFrame, year: int) -> pd.DataFrame:
    """The quarterly report per banner (due at each quarter's end): spot checks planned, done
    (a ``spot_check`` of a planned mine in that quarter) and findings recorded at them."""
    eff = effective_events(events)
    eff = eff[pd.to_datetime(eff["date"]).dt.year == year]
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
