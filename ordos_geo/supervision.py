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
    index = {header_key(c): c for c in table.columns}
    found = {f: next((index[header_key(a)] for a in names if header_key(a) in index), None)
             for f, names in _SHEET.items()}
    missing = [f for f, c in found.items() if c is None]
    if missing:
        raise ValidationError(msg("sheet_columns", path=path, missing=", ".join(missing),
                                  columns=", ".join(map(str, table.columns))))
    return found


def _prerequisite_columns(table: pd.DataFrame) -> dict[str, str]:
    index = {header_key(c): c for c in table.columns}
    out = {}
    for key, spec in rules()["prerequisites"].items():
        for name in [key, spec["zh"], *spec.get("aliases", [])]:
            if header_key(name) in index:
                out[key] = index[header_key(name)]
                break
    return out


def score_sheet(sheet: str | os.PathLike | pd.DataFrame, *, scale: str = "2020",
                pass_line: float | None = None, category_share: float | None = None
                ) -> pd.DataFrame:
    """Pass or fail per mine from a score sheet (CSV/XLSX or a frame; one row per category or
    per item: ``mine_id, category, max_points, score``, plus prerequisite columns 是/否), with
    the explanation of every failure (:data:`SCORE_COLUMNS` plus one ``<category>`` column of
    points per category). Sheets whose maxima do not add up to the scale's total are refused,
    naming the mine."""
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
    rows = [_judge(mine, per.loc[mine], float(spec["total"]), float(line), share,
                   prereq.get(mine, {}), scale, path)
            for mine in per.index.get_level_values(0).unique()]
    return pd.DataFrame(rows)


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
    last_spot_check, open_findings, overdue``). See the module text for the rules."""
    rate = float(rate if rate is not None else rules()["spot_checks"]["rate"])
    years = int(coverage_years or rules()["spot_checks"]["coverage_years"])
    if not 0 < rate <= 1:
        raise ValidationError(msg("spot_rate", rate=rate))
    w = {"open_findings": 2.0, "overdue": 3.0, "per_year_unchecked": 0.5, **(weights or {})}
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
    flagged = (findings.to_numpy(dtype=float) > 0) | overdue.to_numpy(dtype=bool)
    weight = (1.0 + w["open_findings"] * (findings.to_numpy(dtype=float) > 0)
              + w["overdue"] * overdue.to_numpy(dtype=bool) + w["per_year_unchecked"] * age)
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
    return table[list(found.values())].set_axis(list(found), axis=1)


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
