"""The command line of the green-mine register and the supervision rules: ``register …``,
``spot-check``, ``score``, ``rectification``, ``lookback``, ``fund``, ``capacity`` (the parser
of each, and the function that runs it). Split from :mod:`ordos_geo.cli` to keep both short."""

from __future__ import annotations

import argparse
from pathlib import Path


def _print_written(paths) -> None:
    from .cli import _print_written as show

    show(paths)


def _print_problems(report) -> None:
    from .cli import _print_problems as show

    show(report)


def _text_table(frame) -> str:
    from .cli import _text_table as text

    return text(frame)


def add_register(sub, common, reading, h) -> None:
    """``register init|import|add|show|history|export DB`` — DB a .gpkg file or a
    postgresql:// URL."""
    reg = sub.add_parser("register", parents=[common],
                         help=h("the green-mine register: listing, checks and sign-offs"))
    rs = reg.add_subparsers(dest="register_command", required=True, metavar="ACTION")
    db_help = h("the register: a .gpkg file or a postgresql:// URL")
    init = rs.add_parser("init", parents=[common], help=h("create a register"))
    init.add_argument("db", help=db_help)
    init.add_argument("--sites", type=Path, help=h("sites file whose mines (kind mine) to enter"))
    imp = rs.add_parser("import", parents=[common],
                        help=h("import a listing or history table (CSV/XLSX); all or nothing"))
    imp.add_argument("db", help=db_help)
    imp.add_argument("table", type=Path, help=h("CSV or XLSX table"))
    imp.add_argument("--sites", type=Path, help=h("sites file giving new mines their boundary"))
    add = rs.add_parser("add", parents=[common], help=h("record one event"))
    add.add_argument("db", help=db_help)
    add.add_argument("--mine-id", required=True, help=h("the mine (矿山编号)"))
    add.add_argument("--event", required=True, help=h("the event, e.g. spot_check or 抽查"))
    add.add_argument("--date", required=True, help=h("date of the event, YYYY-MM-DD"))
    for name, text in (("level", "national (国家级) or regional (自治区级)"),
                       ("score", "score of a verification"), ("score-max", "the sheet's maximum"),
                       ("due-date", "rectification deadline, YYYY-MM-DD"),
                       ("refers-to", "the finding (event number) this event concerns"),
                       ("supersedes", "the event number a correction replaces"),
                       ("corrected-event", "a correction's event kind (void withdraws)"),
                       ("evaluator-org", "third-party evaluator organisation"),
                       ("checked-by", "who checked (核查人)"), ("evaluated-by", "who evaluated (评估人)"),
                       ("tracked-by", "who tracks (跟踪人)"), ("responsible", "who answers for it (责任人)"),
                       ("note", "note")):
        add.add_argument(f"--{name}", help=h(text))
    show = rs.add_parser("show", parents=[common], help=h("current state per banner"))
    show.add_argument("db", help=db_help)
    show.add_argument("--banner", help=h("one banner's mines, one row a mine"))
    show.add_argument("--as-of", help=h("state on this date (default today)"))
    hist = rs.add_parser("history", parents=[common], help=h("every event as recorded"))
    hist.add_argument("db", help=db_help)
    hist.add_argument("--mine-id", help=h("one mine's events"))
    bl = rs.add_parser("blacklist", parents=[common],
                       help=h("put a third-party evaluator on the blacklist"))
    bl.add_argument("db", help=db_help)
    bl.add_argument("--org", required=True, help=h("third-party evaluator organisation"))
    bl.add_argument("--date", required=True, help=h("date of the event, YYYY-MM-DD"))
    bl.add_argument("--reason", required=True, help=h("note"))
    bl.add_argument("--responsible", required=True, help=h("who answers for it (责任人)"))
    mp = rs.add_parser("map", parents=[common],
                       help=h("offline HTML map of the register: listed, checked, findings, overdue"))
    mp.add_argument("db", help=db_help)
    mp.add_argument("--year", type=int, help=h("the year whose spot checks are outlined"))
    mp.add_argument("--as-of", help=h("state on this date (default today)"))
    mp.add_argument("--out", type=Path, required=True, help=h("the HTML file to write"))
    rv = rs.add_parser("review", parents=[common],
                       help=h("verifications by evaluators blacklisted later, to review"))
    rv.add_argument("db", help=db_help)
    ex = rs.add_parser("export", parents=[common],
                       help=h("export the current state (or --history) to CSV, XLSX or GeoPackage"))
    ex.add_argument("db", help=db_help)
    ex.add_argument("--out", type=Path, required=True, help=h("output .csv, .xlsx or .gpkg"))
    ex.add_argument("--history", action="store_true", help=h("every event instead of the state"))


def add_supervision(sub, common, reading, h) -> None:
    """``spot-check`` and ``score``: the supervision rules of the notice."""
    sc = sub.add_parser("spot-check", parents=[common],
                        help=h("plan the year's quarterly spot checks per banner"))
    sc.add_argument("register", help=h("the register (.gpkg or postgresql:// URL) or a register "
                                       "CSV/XLSX"))
    sc.add_argument("--year", type=int, required=True, help=h("the year planned"))
    sc.add_argument("--seed", type=int, default=0, help=h("random seed (recorded with the plan)"))
    sc.add_argument("--rate", type=float, default=0.2,
                    help=h("share of each banner's listed mines (default 0.2)"))
    sc.add_argument("--out", type=Path, required=True, help=h("output folder"))
    sh = sub.add_parser("score", parents=[common],
                        help=h("pass or fail per mine from a score sheet, explained"))
    sh.add_argument("sheet", type=Path, help=h("score sheet, CSV or XLSX"))
    sh.add_argument("--scale", choices=["2020", "2024"], default="2020",
                    help=h("indicator system (default 2020: 1000 points)"))
    sh.add_argument("--pass-line", type=float, help=h("pass line (required for 2024)"))
    sh.add_argument("--out", type=Path, required=True, help=h("output .csv or .xlsx"))
    rc = sub.add_parser("rectification", parents=[common],
                        help=h("rectification items, the removal list and the sanctions"))
    rc.add_argument("register", help=h("the register: a .gpkg file or a postgresql:// URL"))
    rc.add_argument("--as-of", help=h("state on this date (default today)"))
    rc.add_argument("--months", type=int, default=6,
                    help=h("months to rectify when no deadline was set (default 6)"))
    rc.add_argument("--required-mines", type=Path,
                    help=h("CSV/XLSX of the mines that must be green by now (mine_id)"))
    rc.add_argument("--out", type=Path, required=True, help=h("output folder"))
    lb = sub.add_parser("lookback", parents=[common],
                        help=h("the yearly look-back (回头看) per banner"))
    lb.add_argument("register", help=h("the register: a .gpkg file or a postgresql:// URL"))
    lb.add_argument("--year", type=int, required=True, help=h("the year looked back on"))
    lb.add_argument("--out", type=Path, required=True, help=h("output .csv or .xlsx"))
    fd = sub.add_parser("fund", parents=[common],
                        help=h("restoration-fund accrual per mine and year (must reach 100 %%)"))
    fd.add_argument("table", type=Path, help=h("CSV/XLSX: mine_id, year, accrued, required"))
    fd.add_argument("--required-share", type=float, default=1.0,
                    help=h("accrued / required that passes (default 1.0)"))
    fd.add_argument("--out", type=Path, required=True, help=h("output .csv or .xlsx"))
    cp = sub.add_parser("capacity", parents=[common],
                        help=h("months and years produced above the approved capacity"))
    cp.add_argument("production", type=Path,
                    help=h("CSV/XLSX: mine_id, month, output, approved_capacity (万吨/年)"))
    cp.add_argument("--unit", choices=["t", "万吨"], default="t", help=h("unit of output"))
    cp.add_argument("--monthly-share", type=float, default=0.10,
                    help=h("monthly line as a share of the annual capacity (default 0.10)"))
    cp.add_argument("--out", type=Path, required=True, help=h("output .csv or .xlsx"))


def _register(args: argparse.Namespace) -> int:
    from . import register

    action = args.register_command
    if action == "init":
        with register.init(args.db, sites=_register_sites(args.sites)) as reg:
            print(msg_("register_created", db=args.db, n=len(reg.mines())))
        return 0
    with register.open_register(args.db) as reg:
        return _REGISTER_ACTIONS[action](reg, args)


def msg_(code: str, **values) -> str:
    from ._messages import msg

    return msg(code, **values)


def _register_sites(path: Path | None):
    """A sites file for the register (its mines and their boundaries), read and validated."""
    if path is None:
        return None
    from . import sites

    frame, report = sites.read_sites(path)
    _print_problems(report)
    return frame


def _register_import(reg, args: argparse.Namespace) -> int:
    counts = reg.import_table(args.table, sites=_register_sites(args.sites))
    print(msg_("register_imported", path=args.table, **counts))
    return 0


def _register_add(reg, args: argparse.Namespace) -> int:
    fields = {k: getattr(args, k) for k in ("level", "score", "score_max", "due_date",
                                             "refers_to", "supersedes", "corrected_event",
                                             "evaluator_org", "checked_by", "evaluated_by",
                                             "tracked_by", "responsible", "note")
              if getattr(args, k) is not None}
    event_id = reg.add(mine_id=args.mine_id, event=args.event, date=args.date, **fields)
    print(msg_("register_added", event_id=event_id, mine=args.mine_id, event=args.event))
    return 0


def _register_show(reg, args: argparse.Namespace) -> int:
    from .register import summary_by_banner

    state = reg.state(as_of=args.as_of, banner=args.banner)
    table = state if args.banner else summary_by_banner(state)
    print(_text_table(table))
    return 0


def _register_history(reg, args: argparse.Namespace) -> int:
    print(_text_table(reg.history(mine_id=args.mine_id)))
    return 0


def _register_export(reg, args: argparse.Namespace) -> int:
    from .export import write_register

    _print_written([write_register(reg, args.out, history=args.history)])
    return 0


def _spot_check(args: argparse.Namespace) -> int:
    import json

    from . import export, io, register, supervision

    source = str(args.register)
    if source.lower().endswith((".csv", ".xlsx", ".xlsm")):
        state = _state_of_table(register.read_register_table(source))
    else:
        with register.open_register(source) as reg:
            state = reg.state(as_of=f"{args.year}-01-01")
    plan = supervision.spot_check_plan(state, year=args.year, seed=args.seed, rate=args.rate)
    meta = {"year": args.year, "seed": args.seed, "rate": args.rate, "register": source,
            "coverage_years": supervision.rules()["spot_checks"]["coverage_years"],
            "n_listed": int(state["listed"].sum()), "n_planned": len(plan)}
    with io.output_set(args.out) as out:
        written = [io.write_csv(plan, out.dir / "spot_checks.csv"),
                   export.write_table(plan, out.dir / "spot_checks.xlsx")]
        with io.atomic_path(out.dir / "spot_checks.json") as tmp:
            tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        written.append(out.dir / "spot_checks.json")
    _print_written([out.final(p) for p in written])
    return 0


def _state_of_table(table):
    """A register state from a listing table (status listed/removed; optional last check)."""
    import pandas as pd

    from .register import _canonical

    status = table.get("status", pd.Series("listed", index=table.index)).map(
        lambda v: _canonical("status", v) or "listed")
    return pd.DataFrame({"mine_id": table["mine_id"].astype(str), "name": table.get("name"),
                         "banner": table.get("banner"), "listed": status == "listed",
                         "listed_date": pd.to_datetime(table.get("listed_date"), errors="coerce")})


def _score(args: argparse.Namespace) -> int:
    from . import export, supervision

    result = supervision.score_sheet(args.sheet, scale=args.scale, pass_line=args.pass_line)
    _print_written([export.write_table(result, args.out)])
    print(_text_table(result[["mine_id", "total", "passed", "explanation"]]))
    return 0


def _rectification(args: argparse.Namespace) -> int:
    from . import export, io, register, supervision

    with register.open_register(args.register) as reg:
        events, state = reg.history(), reg.state(as_of=args.as_of)
    items = supervision.rectification_items(events, as_of=args.as_of, months=args.months)
    tables = {"rectification_items": items,
              "removal_list": supervision.removal_list(items, state),
              "sanctions": supervision.sanctions(items, state, as_of=args.as_of,
                                                 required_mines=_required(args.required_mines))}
    with io.output_set(args.out) as out:
        written = []
        for name, table in tables.items():
            written.append(io.write_csv(io.dates_as_text(table), out.dir / f"{name}.csv"))
            written.append(export.write_table(io.dates_as_text(table),
                                              out.dir / f"{name}.xlsx"))
    _print_written([out.final(p) for p in written])
    return 0


def _required(path: Path | None) -> list[str] | None:
    """The mine ids of a CSV/XLSX (column mine_id or 矿山编号)."""
    if path is None:
        return None
    from .register import read_register_table

    return read_register_table(path)["mine_id"].dropna().astype(str).tolist()


def _lookback(args: argparse.Namespace) -> int:
    from . import export, register, supervision

    with register.open_register(args.register) as reg:
        table = supervision.lookback(reg.history(), reg.mines(), year=args.year)
    _print_written([export.write_table(table, args.out)])
    print(_text_table(table))
    return 0


def _fund(args: argparse.Namespace) -> int:
    from . import export, supervision

    result = supervision.fund_check(args.table, required_share=args.required_share)
    _print_written([export.write_table(result, args.out)])
    return 0


def _capacity(args: argparse.Namespace) -> int:
    from . import export, supervision

    result = supervision.capacity_check(args.production, unit=args.unit,
                                        monthly_share=args.monthly_share)
    _print_written([export.write_table(result, args.out)])
    return 0


def _register_blacklist(reg, args: argparse.Namespace) -> int:
    reg.blacklist(organisation=args.org, date=args.date, reason=args.reason,
                  responsible=args.responsible)
    print(_text_table(reg.blacklisted()))
    return 0


def _register_map(reg, args: argparse.Namespace) -> int:
    from . import maps

    page = maps.map_supervision(reg.mines(geometry=True), reg.state(as_of=args.as_of),
                                year=args.year)
    _print_written([maps.save_map(page, args.out)])
    return 0


def _register_review(reg, args: argparse.Namespace) -> int:
    print(_text_table(reg.review_list()[["event_id", "mine_id", "date", "evaluator_org", "score",
                                         "blacklisted_on", "blacklist_reason"]]))
    return 0


_REGISTER_ACTIONS = {"blacklist": _register_blacklist, "review": _register_review,
                     "map": _register_map,
                     "import": _register_import, "add": _register_add, "show": _register_show,
                     "history": _register_history, "export": _register_export}


#: The commands of this module and the functions that run them.
COMMANDS = {"register": _register, "spot-check": _spot_check, "score": _score, "fund": _fund,
            "capacity": _capacity, "rectification": _rectification, "lookback": _lookback}
