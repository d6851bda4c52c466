"""The supervision rules: ``spot-check`` (the year's quarterly spot checks per banner, drawn from
a seed the register records), ``score``, ``rectification``, ``lookback``, ``fund``,
``capacity``. A command that reads a register verifies it first and prints its head."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.messages import msg
from .common import (
    SHARE,
    YEAR,
    bounded,
    check_out,
    print_head,
    print_written,
    text_table,
    with_head,
)

__all__ = ["add", "COMMANDS", "state_of_table"]


def add(sub, common, reading, h) -> None:
    """``spot-check``, ``score``, ``rectification``, ``lookback``, ``fund``, ``capacity``."""
    sc = sub.add_parser("spot-check", parents=[common],
                        help=h("plan the year's quarterly spot checks per banner"))
    sc.add_argument("register", help=h("the register (.gpkg or postgresql:// URL) or a register "
                                       "CSV/XLSX"))
    sc.add_argument("--year", type=YEAR, required=True, help=h("the year planned"))
    sc.add_argument("--seed", type=bounded(0, 2**63 - 1, whole=True),
                    help=h("random seed to reproduce a plan (default: drawn from the operating "
                           "system and recorded)"))
    sc.add_argument("--rate", type=SHARE,
                    help=h("share of each banner's listed mines (default 0.2)"))
    sc.add_argument("--redraw", action="store_true",
                    help=h("draw again a year already planned (needs --responsible and --note)"))
    sc.add_argument("--responsible", help=h("who answers for it (责任人)"))
    sc.add_argument("--note", help=h("note"))
    sc.add_argument("--out", type=Path, required=True, help=h("output folder"))
    sh = sub.add_parser("score", parents=[common],
                        help=h("pass or fail per mine from a score sheet, explained"))
    sh.add_argument("sheet", type=Path, help=h("score sheet, CSV or XLSX"))
    sh.add_argument("--scale", choices=["2020", "2024"], default="2020",
                    help=h("indicator system (default 2020: 1000 points)"))
    sh.add_argument("--pass-line", type=bounded(0, 1000, low_open=True),
                    help=h("pass line (required for 2024)"))
    sh.add_argument("--out", type=Path, required=True, help=h("output .csv or .xlsx"))
    rc = sub.add_parser("rectification", parents=[common],
                        help=h("rectification items, the removal list and the sanctions"))
    rc.add_argument("register", help=h("the register: a .gpkg file or a postgresql:// URL"))
    rc.add_argument("--as-of", help=h("state on this date (default today)"))
    rc.add_argument("--months", type=bounded(1, 120, whole=True),
                    help=h("months to rectify when no deadline was set (default 6)"))
    rc.add_argument("--required-mines", type=Path,
                    help=h("CSV/XLSX of the mines that must be green by now (mine_id)"))
    rc.add_argument("--out", type=Path, required=True, help=h("output folder"))
    lb = sub.add_parser("lookback", parents=[common],
                        help=h("the yearly look-back (回头看) per banner"))
    lb.add_argument("register", help=h("the register: a .gpkg file or a postgresql:// URL"))
    lb.add_argument("--year", type=YEAR, required=True, help=h("the year looked back on"))
    lb.add_argument("--out", type=Path, required=True, help=h("output .csv or .xlsx"))
    fd = sub.add_parser("fund", parents=[common],
                        help=h("restoration-fund accrual per mine and year (must reach 100 %%)"))
    fd.add_argument("table", type=Path, help=h("CSV/XLSX: mine_id, year, accrued, required"))
    fd.add_argument("--required-share", type=bounded(0, 10, low_open=True), default=1.0,
                    help=h("accrued / required that passes (default 1.0)"))
    fd.add_argument("--out", type=Path, required=True, help=h("output .csv or .xlsx"))
    cp = sub.add_parser("capacity", parents=[common],
                        help=h("months and years produced above the approved capacity"))
    cp.add_argument("production", type=Path,
                    help=h("CSV/XLSX: mine_id, month, output, approved_capacity (万吨/年)"))
    cp.add_argument("--unit", choices=["t", "万吨"],
                    help=h("unit of output (default: the header's, else t)"))
    cp.add_argument("--monthly-share", type=SHARE, default=0.10,
                    help=h("monthly line as a share of the annual capacity (default 0.10)"))
    cp.add_argument("--out", type=Path, required=True, help=h("output .csv or .xlsx"))


def _spot_check(args: argparse.Namespace) -> int:
    from .. import register
    from ..register import supervision

    source = str(args.register)
    default_rate = float(supervision.rules()["spot_checks"]["rate"])
    if source.lower().endswith((".csv", ".xlsx", ".xlsm")):
        state = state_of_table(register.read_register_table(source), year=args.year)
        rate = args.rate if args.rate is not None else default_rate
        plan = _draw(state, args.year, seed=args.seed, rate=rate)
        return _write_plan(plan, args, {"register": source, "rate": rate, "recorded": False,
                                        "seed_source": "given" if args.seed is not None
                                        else "os"})
    with register.open_register(source) as reg:
        head = print_head(reg)
        choice = _plan_choice(reg.plans(year=args.year), args, int(head.split(":")[0]),
                              default_rate)
        state = reg.state(as_of=f"{args.year}-01-01", upto=choice["upto"])
        plan = _draw(state, args.year, seed=choice["seed"], rate=choice["rate"])
        meta = {"register": register.masked_location(source), "register_head": head,
                "upto": choice["upto"],
                "rate": choice["rate"], "recorded": True, "seed_source": choice["source"]}
        if choice["source"] == "os":
            meta["event_id"] = reg.record_plan(
                {"year": args.year, "seed": int(plan.attrs["seed"]), "rate": choice["rate"],
                 "upto": choice["upto"], "n_planned": len(plan), "plan_sha256": _digest(plan),
                 "seed_source": "os"}, responsible=args.responsible, note=args.note)
    return _write_plan(plan, args, meta)


def _plan_choice(earlier, args, n_events: int, default_rate: float) -> dict:
    """How a register's plan for a year is drawn: the first from a seed of the operating
    system (recorded); later ones reproduce the latest recorded plan exactly — its seed, rate
    and events — and a new draw needs --redraw with --responsible and a --note in words."""
    from ..core.errors import UsageError
    from ..register import NameRefused, clean_name

    rate = args.rate if args.rate is not None else default_rate
    if args.redraw:
        try:
            reason = clean_name(args.note)  # a reason in words: what a name must be, at least
        except NameRefused:
            reason = None
        if not args.responsible or reason is None:
            raise UsageError(msg("spot_redraw_needs"))
        if args.seed is not None:
            raise UsageError(msg("spot_redraw_seed"))
        return {"seed": None, "upto": n_events, "rate": rate, "source": "os"}
    if not len(earlier):
        if args.seed is not None:
            raise UsageError(msg("spot_seed_first", year=args.year))
        return {"seed": None, "upto": n_events, "rate": rate, "source": "os"}
    latest = earlier.iloc[-1]
    recorded = dict(year=args.year, date=str(latest["date"])[:10], seed=int(latest["seed"]),
                    event_id=int(latest["event_id"]), rate=float(latest["rate"]))
    if args.seed is None or int(args.seed) != recorded["seed"]:
        raise UsageError(msg("spot_already_planned", **recorded))
    if args.rate is not None and float(args.rate) != recorded["rate"]:
        raise UsageError(msg("spot_rate_differs", **recorded))
    return {"seed": recorded["seed"], "upto": int(latest["upto"]), "rate": recorded["rate"],
            "source": "recorded"}


def _draw(state, year: int, *, seed, rate):
    from ..register import supervision

    return supervision.spot_check_plan(state, year=year, seed=seed, rate=rate)


def _digest(plan) -> str:
    import hashlib

    text = plan[["banner", "mine_id", "quarter"]].to_csv(index=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_plan(plan, args, extra: dict) -> int:
    import json

    from .. import io
    from ..publish import export
    from ..register import supervision

    meta = {"year": args.year, "seed": int(plan.attrs["seed"]),
            "coverage_years": supervision.rules()["spot_checks"]["coverage_years"],
            "n_planned": len(plan), "plan_sha256": _digest(plan), **extra}
    table = with_head(plan, extra["register_head"]) if "register_head" in extra else plan
    with io.output_set(args.out) as out:
        written = [io.write_csv(table, out.dir / "spot_checks.csv"),
                   export.write_table(table, out.dir / "spot_checks.xlsx")]
        with io.atomic_path(out.dir / "spot_checks.json") as tmp:
            tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        written.append(out.dir / "spot_checks.json")
    print_written([out.final(p) for p in written])
    print(msg("spot_seed" if meta["recorded"] else "spot_seed_table", seed=meta["seed"]))
    return 0


def state_of_table(table, *, year: int):
    """A register state on 1 January of ``year`` from a register table: a history (an
    ``event`` column) gives its events' state, the same as the register's; a state export
    (``register export``) or a listing table gives its rows (``listed`` or ``status``)."""
    import pandas as pd

    from .. import register

    if "event" in table.columns:
        register.check_exported_chain(table, "<table>")
        events = register.events_of_table(table)
        return register.current_state(events, mines=register.mines_of_table(table),
                                      as_of=f"{year}-01-01")
    from ..register import canonical_value

    if "listed" in table.columns:
        listed = table["listed"].map(lambda v: str(v).strip().casefold() in (
            "true", "1", "是", "yes", "在录"))
    else:
        listed = table.get("status", pd.Series("listed", index=table.index)).map(
            lambda v: canonical_value("status", v) or "listed") == "listed"
    out = pd.DataFrame({"mine_id": table["mine_id"].astype(str), "name": table.get("name"),
                        "banner": table.get("banner"), "listed": listed.astype(bool),
                        "listed_date": pd.to_datetime(table.get("listed_date"), errors="coerce")})
    for col in ("last_spot_check",):
        if col in table.columns:
            out[col] = pd.to_datetime(table[col], errors="coerce")
    for col in ("open_findings",):
        if col in table.columns:
            out[col] = pd.to_numeric(table[col], errors="coerce").fillna(0)
    for col in ("overdue", "removable"):
        if col in table.columns:
            out[col] = table[col].map(lambda v: str(v).strip().casefold() in (
                "true", "1", "是", "yes"))
    return out


def _score(args: argparse.Namespace) -> int:
    from ..publish import export
    from ..register import supervision

    check_out(args.out)
    result = supervision.score_sheet(args.sheet, scale=args.scale, pass_line=args.pass_line)
    print_written([export.write_table(result, args.out)])
    print(text_table(result[["mine_id", "total", "passed", "explanation"]]))
    return 0


def _rectification(args: argparse.Namespace) -> int:
    from .. import io, register
    from ..publish import export
    from ..register import supervision

    with register.open_register(args.register) as reg:
        head = print_head(reg)
        events, state = reg.history(), reg.state(as_of=args.as_of)
    items = supervision.rectification_items(events, as_of=args.as_of, months=args.months)
    rule = supervision.default_months()
    if args.months is not None and args.months != rule:
        print(msg("rect_months_note", months=args.months, rule=rule))
    tables = {"rectification_items": items,
              "removal_list": supervision.removal_list(items, state=state),
              "sanctions": supervision.sanctions(items, state=state, as_of=args.as_of,
                                                 required_mines=_required(args.required_mines))}
    with io.output_set(args.out) as out:
        written = []
        for name, table in tables.items():
            table = with_head(io.dates_as_text(table), head)
            written.append(io.write_csv(table, out.dir / f"{name}.csv"))
            written.append(export.write_table(table, out.dir / f"{name}.xlsx"))
    print_written([out.final(p) for p in written])
    return 0


def _required(path: Path | None) -> list[str] | None:
    """The mine ids of a CSV/XLSX (column mine_id or 矿山编号)."""
    if path is None:
        return None
    from ..core.schema import normalise_id
    from ..io.tables import read_user_table

    table = read_user_table(path, table="required_mines", what=msg("what_required"),
                            required=["mine_id"])
    return [m for m in (normalise_id(v) for v in table.frame["mine_id"].dropna()) if m]


def _lookback(args: argparse.Namespace) -> int:
    from .. import register
    from ..publish import export
    from ..register import supervision

    check_out(args.out)
    with register.open_register(args.register) as reg:
        head = print_head(reg)
        table = supervision.lookback(reg.history(), mines=reg.mines(), year=args.year)
    print_written([export.write_table(with_head(table, head), args.out)])
    print(text_table(table))
    return 0


def _fund(args: argparse.Namespace) -> int:
    from ..publish import export
    from ..register import supervision

    check_out(args.out)
    result = supervision.fund_check(args.table, required_share=args.required_share)
    print_written([export.write_table(result, args.out)])
    return 0


def _capacity(args: argparse.Namespace) -> int:
    from ..publish import export
    from ..register import supervision

    check_out(args.out)
    result = supervision.capacity_check(args.production, unit=args.unit,
                                        monthly_share=args.monthly_share)
    print_written([export.write_table(result, args.out)])
    return 0


#: Each command and the function that runs it.
COMMANDS = {"spot-check": _spot_check, "score": _score, "rectification": _rectification, "lookback": _lookback, "fund": _fund, "capacity": _capacity}
