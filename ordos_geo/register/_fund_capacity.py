"""Two checks on tables a mine or a banner reports: the restoration fund accrued against what is
required (:func:`fund_check`) and output against the approved capacity (:func:`capacity_check`).
Both read through the one table reader (units in headers, Chinese headers, ordos_geo's own
headers) and name every bad row."""

from __future__ import annotations

import logging
import math
import os
import re

import numpy as np
import pandas as pd

from ..core.errors import UsageError
from ..core.messages import msg
from ..core.params import check_number
from ..core.schema import normalise_id
from ..io.tables import UserTable, numbers, read_user_table, shown, split_unit, table_problem
from ._checks import today
from ._supervision_rules import rules

__all__ = ["fund_check", "capacity_check", "FUND_COLUMNS", "CAPACITY_COLUMNS", "parse_month"]

log = logging.getLogger("ordos_geo")
FUND_COLUMNS = ["mine_id", "year", "accrued", "required", "accrual_share", "passed"]
CAPACITY_COLUMNS = ["mine_id", "period", "output_t", "approved_t_per_year", "line_t",
                    "above_t", "flagged", "tickets_withheld_t", "months", "complete", "n_rows"]


def _mine_ids(table: UserTable, problems: list[str]) -> pd.Series:
    out = []
    for k, value in enumerate(table.frame["mine_id"], start=2):
        try:
            mine = normalise_id(value) if value is not None and not (
                isinstance(value, float) and math.isnan(value)) else None
        except ValueError:
            mine = None
        if mine is None:
            problems.append(msg("table_cell", row=k, field=table.source["mine_id"],
                                value=shown(value), why=msg("bad_mine_id")))
        out.append(mine)
    return pd.Series(out, index=table.frame.index, dtype=object)


# --- restoration fund ---------------------------------------------------------------------------
def fund_check(table: str | os.PathLike | pd.DataFrame, *,
               required_share: float | None = None) -> pd.DataFrame:
    """The restoration-fund accrual of each mine and year (:data:`FUND_COLUMNS`, amounts in
    万元): ``accrued / required`` must reach ``required_share`` (default 100 %); ``passed``
    says whether it does. Columns: ``mine_id, year, accrued, required`` (矿山编号, 年度,
    已计提, 应计提; amounts in 万元 unless the header names 元). Refused, naming rows: a year
    that is not a whole number between 1990 and next year, a mine and year given twice, a
    required amount that is not > 0 (leave out a mine-year that owes nothing)."""
    share = check_number("required_share", required_share if required_share is not None
                         else rules()["fund"]["required_share"], low=0, high=10, low_open=True)
    source = read_user_table(table, table="fund", what=msg("what_fund"),
                             required=["mine_id", "year", "accrued", "required"])
    problems: list[str] = []
    try:
        frame = numbers(source, ["accrued", "required"], positive=("required",))
    except Exception as exc:  # noqa: BLE001 - collected with the others below
        problems += str(exc).split("\n- ")[1:]
        frame = source.frame.copy()
    frame["mine_id"] = _mine_ids(source, problems)
    frame["year"] = _years(source, problems)
    rows = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)
    for (mine, year), group in frame.groupby(["mine_id", "year"], dropna=True):
        if len(group) > 1:
            problems.append(msg("fund_duplicate", mine=mine, year=int(year),
                                rows=", ".join(map(str, rows[group.index]))))
    if problems:
        raise table_problem(source.path, problems)
    frame["year"] = frame["year"].astype(int)
    frame["accrual_share"] = frame["accrued"] / frame["required"]
    frame["passed"] = frame["accrual_share"] >= share - 1e-12
    return frame[FUND_COLUMNS].reset_index(drop=True)


def _years(table: UserTable, problems: list[str]) -> pd.Series:
    lo, hi = 1990, today().year + 1
    out = []
    for k, value in enumerate(table.frame["year"], start=2):
        try:
            number = float(str(value).strip())
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and number.is_integer() and lo <= number <= hi):
            problems.append(msg("table_cell", row=k, field=table.source["year"],
                                value=shown(value), why=msg("fund_year", lo=lo, hi=hi)))
            number = math.nan
        out.append(number)
    return pd.Series(out, index=table.frame.index)


# --- output above approved capacity -------------------------------------------------------------
_MONTH_TEXT = [re.compile(p) for p in (
    r"^(\d{4})\s*[-/.]\s*(\d{1,2})$", r"^(\d{4})(\d{2})$", r"^(\d{4})\s*年\s*(\d{1,2})\s*月(份)?$")]
_DAY_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(\s+.*)?$")


def parse_month(value) -> pd.Period | str:
    """A month from ``2025-01``, ``2025/1``, ``2025.01``, ``202501``, ``2025年1月``, a date on the
    1st (``2025-01-01``, or a spreadsheet date cell); ``"day"`` for a date on another day,
    ``"number"`` for a number that is not YYYYMM (a spreadsheet shows ``2025.10`` as 2025.1),
    ``"?"`` for anything else."""
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "year"):
        stamp = pd.Timestamp(value)
        if stamp.day == 1 and stamp == stamp.normalize():
            return _period(stamp.year, stamp.month)
        return "day"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and 199001 <= number <= 210012:
            return _period(int(number) // 100, int(number) % 100)
        return "number"
    text = str(value).strip() if value is not None else ""
    for pattern in _MONTH_TEXT:
        found = pattern.match(text)
        if found:
            return _period(int(found.group(1)), int(found.group(2)))
    day = _DAY_TEXT.match(text)
    if day:
        if int(day.group(3)) == 1 and not (day.group(4) or "").strip(" 0:"):
            return _period(int(day.group(1)), int(day.group(2)))
        return "day"
    return "?"


def _period(year: int, month: int) -> pd.Period | str:
    """The month; ``"future"`` after the current month (output not yet produced)."""
    if not (1990 <= year <= 2100 and 1 <= month <= 12):
        return "?"
    month_ = pd.Period(year=year, month=month, freq="M")
    return "future" if month_ > pd.Period(today(), freq="M") else month_


def capacity_check(table: str | os.PathLike | pd.DataFrame, *, unit: str | None = None,
                   monthly_share: float | None = None, yearly_share: float | None = None
                   ) -> pd.DataFrame:
    """Months and years produced above the approved capacity (:data:`CAPACITY_COLUMNS`).

    The table gives ``mine_id, month`` (2025-01, 2025/1, 202501, 2025年1月, a date on the 1st;
    a date on another day, a number such as 2025.1 and a month still ahead are refused), ``output`` (tonnes; 万吨 with ``unit="万吨"`` or a header such as ``产量(万吨)``)
    and ``approved_capacity`` (万吨/年, or the unit its header names) — the capacity in force
    that month. A month is flagged when its output exceeds ``monthly_share`` (10 %) of the
    annual capacity in force — the national major-hazard criterion read as written: exactly
    10 % is not flagged, one tonne more is — and the coal tickets (煤管票) to withhold are the
    tonnes above that line. A year is flagged when its output exceeds ``yearly_share`` (110 %)
    of the capacity in force month by month (Σ capacity/12); a year with months missing is
    marked ``complete`` False, its line prorated to the months reported. Rows of one mine and
    month are summed (``n_rows``; each case logged); rows of one month with different
    capacities are refused. Units are checked for plausibility: a capacity above the
    ``capacity.max_wan_t_per_year`` of ``supervision.yaml`` or a median month outside
    ``capacity.plausible_ratio`` of the capacity's monthly average is refused, naming it."""
    spec = rules()["capacity"]
    month_line = check_number("monthly_share", monthly_share if monthly_share is not None
                              else spec["monthly_share"], low=0, high=1, low_open=True)
    year_line = check_number("yearly_share", yearly_share if yearly_share is not None
                             else spec["yearly_share"], low=0, high=10, low_open=True)
    source = read_user_table(table, table="production", what=msg("what_production"),
                             required=["mine_id", "month", "output", "approved_capacity"])
    frame = _production(source, unit)
    _plausible(frame, spec, source)
    monthly = _monthly(frame, source, month_line)
    yearly = _yearly(monthly, year_line)
    out = pd.concat([monthly, yearly], ignore_index=True)
    out["above_t"] = (out["output_t"] - out["line_t"]).clip(lower=0.0)
    out["flagged"] = out["output_t"] > out["line_t"] + 1e-6
    out["tickets_withheld_t"] = np.where(out["period"].str.len() == 7, out["above_t"], 0.0)
    return out.sort_values(["mine_id", "period"], kind="stable").reset_index(drop=True)[
        CAPACITY_COLUMNS]


def _production(source: UserTable, unit: str | None) -> pd.DataFrame:
    """Mine, month, output (t) and capacity (万吨/年) of every row; bad cells named."""
    factors = {"t": 1.0, "吨": 1.0, "万吨": 10_000.0}
    if unit is not None and unit not in factors:
        raise UsageError(msg("capacity_unit", unit=unit))
    if unit is not None and "output" in source.factor and \
            source.factor["output"] != factors[unit]:
        raise UsageError(msg("capacity_unit_clash", unit=unit,
                             column=repr(source.source["output"])))
    problems: list[str] = []
    try:
        frame = numbers(source, ["output", "approved_capacity"], positive=("approved_capacity",),
                        default_factor={"output": factors.get(unit or "t", 1.0)})
    except Exception as exc:  # noqa: BLE001 - collected with the others below
        problems += str(exc).split("\n- ")[1:]
        frame = source.frame.copy()
    frame["mine_id"] = _mine_ids(source, problems)
    months = []
    for k, value in enumerate(source.frame["month"], start=2):
        month = parse_month(value)
        if isinstance(month, str):
            problems.append(msg("table_cell", row=k, field=source.source["month"],
                                value=shown(value), why=msg(f"capacity_{month}" if month in (
                                    "day", "number", "future") else "capacity_month")))
            month = None
        months.append(month)
    if problems:
        raise table_problem(source.path, problems)
    frame["month"] = months
    frame["row"] = np.arange(2, len(frame) + 2)
    return frame.rename(columns={"output": "output_t", "approved_capacity": "capacity"})


def _plausible(frame: pd.DataFrame, spec: dict, source: UserTable) -> None:
    top = float(spec["max_wan_t_per_year"])
    problems = [msg("capacity_too_big", row=int(r), value=float(v))
                for r, v in zip(frame["row"], frame["capacity"]) if v > top]
    lo, hi = (float(x) for x in spec["plausible_ratio"])
    unit = split_unit(source.source["output"])[1] or "t"
    for mine, group in frame.groupby("mine_id"):
        positive = group[group["output_t"] > 0]
        if not len(positive):
            continue
        output = float(positive["output_t"].median())
        line = float((positive["capacity"] * 10_000.0 / 12.0).median())
        ratio = output / line
        if not lo <= ratio <= hi:
            problems.append(msg("capacity_ratio", mine=mine, output=output, line=line,
                                ratio=ratio, unit=unit))
    if problems:
        raise table_problem(source.path, problems)


def _monthly(frame: pd.DataFrame, source: UserTable, share: float) -> pd.DataFrame:
    problems, rows = [], []
    for (mine, month), group in frame.groupby(["mine_id", "month"], sort=True):
        numbers_ = ", ".join(map(str, group["row"]))
        if group["capacity"].nunique() > 1:
            problems.append(msg("capacity_capacity_clash", mine=mine, month=str(month),
                                rows=numbers_))
            continue
        if len(group) > 1:
            log.warning(msg("capacity_summed", mine=mine, month=str(month), n=len(group),
                            rows=numbers_))
        capacity = float(group["capacity"].iloc[0]) * 10_000.0
        rows.append({"mine_id": mine, "period": str(month), "output_t": group["output_t"].sum(),
                     "approved_t_per_year": capacity, "line_t": capacity * share,
                     "months": 1, "complete": True, "n_rows": len(group)})
    if problems:
        raise table_problem(source.path, problems)
    return pd.DataFrame(rows, columns=["mine_id", "period", "output_t", "approved_t_per_year",
                                       "line_t", "months", "complete", "n_rows"])


def _yearly(monthly: pd.DataFrame, share: float) -> pd.DataFrame:
    """Each mine's years: output summed, the line the capacity in force month by month."""
    by = monthly.assign(year=monthly["period"].str[:4])
    out = by.groupby(["mine_id", "year"], as_index=False).agg(
        output_t=("output_t", "sum"), capacity_sum=("approved_t_per_year", "sum"),
        months=("period", "size"), n_rows=("n_rows", "sum"))
    out["approved_t_per_year"] = out["capacity_sum"] / out["months"]
    out["line_t"] = out["capacity_sum"] / 12.0 * share
    out["complete"] = out["months"] == 12
    for r in out[~out["complete"]].itertuples():
        log.warning(msg("capacity_incomplete", mine=r.mine_id, year=r.year, months=r.months))
    return out.rename(columns={"year": "period"})[
        ["mine_id", "period", "output_t", "approved_t_per_year", "line_t", "months",
         "complete", "n_rows"]]
