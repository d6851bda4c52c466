"""The command line of the green-mine register and the supervision rules: ``register …``,
``spot-check``, ``score``, ``rectification``, ``lookback``, ``fund``, ``capacity`` (the parser
of each, and the function that runs it). Split from :mod:`ordos_geo.cli` to keep both short.

Every command that reads a register verifies its chain first (a register changed outside
ordos_geo is refused, exit 1) and prints the register's head, which every table it writes
carries in a ``register_head`` column."""

from __future__ import annotations

import argparse
import math
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


def _number(low: float, high: float, *, low_open: bool = False, whole: bool = False):
    """An argparse type: a finite number in range (a whole one with ``whole``)."""

    def parse(text: str):
        try:
            value = float(text)
            if whole and text.strip().lstrip("+-").isdigit():
                exact = int(text)  # a large whole number stays exact
                if low <= exact <= high:
                    return exact
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value > high or value < low or \
                (low_open and value == low) or (whole and not value.is_integer()):
            raise argparse.ArgumentTypeError(
                f"{text!r}: give a finite {'whole ' if whole else ''}number in "
                f"{'(' if low_open else '['}{low:g}, {high:g}]")
        return int(value) if whole else value

    return parse


_YEAR = _number(1990, 2100, whole=True)
_SHARE = _number(0, 1, low_open=True)


def add_register(sub, common, reading, h) -> None:
    """``register init|import|add|show|history|export|blacklist|review|map|verify|upgrade DB`` — DB a
    .gpkg file or a postgresql:// URL."""
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
    _add_add(rs, common, h, db_help)
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
    mp.add_argument("--year", type=_YEAR, help=h("the year whose spot checks are outlined"))
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
    vf = rs.add_parser("verify", parents=[common],
                       help=h("check the register's hash chain and mine rows (exit 1 when broken)"))
    vf.add_argument("db", help=db_help)
    vf.add_argument("--head", help=h("a published head (N:digits) the register must still hold"))
    vf.add_argument("--out", type=Path, help=h("write every problem found to this CSV/XLSX"))
    up = rs.add_parser("upgrade", parents=[common],
                       help=h("bring a register of ordos_geo 0.1 (schema 1) to the hash chain"))
    up.add_argument("db", help=db_help)


def _add_add(rs, common, h, db_help: str) -> None:
    add = rs.add_parser("add", parents=[common], help=h("record one event"))
    add.add_argument("db", help=db_help)
    add.add_argument("--mine-id", help=h("the mine (矿山编号)"))
    add.add_argument("--event", required=True, help=h("the event, e.g. spot_check or 抽查"))
    add.add_argument("--date", required=True, help=h("date of the event, YYYY-MM-DD"))
    for name, text in (("level", "national (国家级) or regional (自治区级)"),
                       ("score", "score of a verification"), ("score-max", "the sheet's maximum"),
                       ("due-date", "rectification deadline, YYYY-MM-DD"),
                       ("refers-to", "the finding (event number) this event concerns"),
                       ("supersedes", "the event number a correction replaces"),
                       ("corrected-event", "a correction's event kind (void withdraws)"),
                       ("corrected-date", "a correction's new date for the event it corrects"),
                       ("evaluator-org", "third-party evaluator organisation"),
                       ("checked-by", "who checked (核查人)"), ("evaluated-by", "who evaluated (评估人)"),
                       ("tracked-by", "who tracks (跟踪人)"), ("responsible", "who answers for it (责任人)"),
                       ("name", "the mine's new name (mine_changed)"),
                       ("banner", "the mine's new banner (mine_changed)"),
                       ("note", "note")):
        add.add_argument(f"--{name}", help=h(text))


def add_supervision(sub, common, reading, h) -> None:
    """``spot-check``, ``score``, ``rectification``, ``lookback``, ``fund``, ``capacity``."""
    sc = sub.add_parser("spot-check", parents=[common],
                        help=h("plan the year's quarterly spot checks per banner"))
    sc.add_argument("register", help=h("the register (.gpkg or postgresql:// URL) or a register "
                                       "CSV/XLSX"))
    sc.add_argument("--year", type=_YEAR, required=True, help=h("the year planned"))
    sc.add_argument("--seed", type=_number(0, 2**63 - 1, whole=True),
                    help=h("random seed to reproduce a plan (default: drawn from the operating "
                           "system and recorded)"))
    sc.add_argument("--rate", type=_SHARE,
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
    sh.add_argument("--pass-line", type=_number(0, 1000, low_open=True),
                    help=h("pass line (required for 2024)"))
    sh.add_argument("--out", type=Path, required=True, help=h("output .csv or .xlsx"))
    rc = sub.add_parser("rectification", parents=[common],
                        help=h("rectification items, the removal list and the sanctions"))
    rc.add_argument("register", help=h("the register: a .gpkg file or a postgresql:// URL"))
    rc.add_argument("--as-of", help=h("state on this date (default today)"))
    rc.add_argument("--months", type=_number(1, 120, whole=True),
                    help=h("months to rectify when no deadline was set (default 6)"))
    rc.add_argument("--required-mines", type=Path,
                    help=h("CSV/XLSX of the mines that must be green by now (mine_id)"))
    rc.add_argument("--out", type=Path, required=True, help=h("output folder"))
    lb = sub.add_parser("lookback", parents=[common],
                        help=h("the yearly look-back (回头看) per banner"))
    lb.add_argument("register", help=h("the register: a .gpkg file or a postgresql:// URL"))
    lb.add_argument("--year", type=_YEAR, required=True, help=h("the year looked back on"))
    lb.add_argument("--out", type=Path, required=True, help=h("output .csv or .xlsx"))
    fd = sub.add_parser("fund", parents=[common],
                        help=h("restoration-fund accrual per mine and year (must reach 100 %%)"))
    fd.add_argument("table", type=Path, help=h("CSV/XLSX: mine_id, year, accrued, required"))
    fd.add_argument("--required-share", type=_number(0, 10, low_open=True), default=1.0,
                    help=h("accrued / required that passes (default 1.0)"))
    fd.add_argument("--out", type=Path, required=True, help=h("output .csv or .xlsx"))
    cp = sub.add_parser("capacity", parents=[common],
                        help=h("months and years produced above the approved capacity"))
    cp.add_argument("production", type=Path,
                    help=h("CSV/XLSX: mine_id, month, output, approved_capacity (万吨/年)"))
    cp.add_argument("--unit", choices=["t", "万吨"],
                    help=h("unit of output (default: the header's, else t)"))
    cp.add_argument("--monthly-share", type=_SHARE, default=0.10,
                    help=h("monthly line as a share of the annual capacity (default 0.10)"))
    cp.add_argument("--out", type=Path, required=True, help=h("output .csv or .xlsx"))


def msg_(code: str, **values) -> str:
    from ._messages import msg

    return msg(code, **values)


def _check_out(path: Path) -> None:
    """A table goes to .csv or .xlsx: refused before any work (exit 2)."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        from ._errors import UsageError

        raise UsageError(msg_("table_suffix", path=repr(str(path))))


def _head(reg) -> str:
    """Print the register's head and return it (every register report carries it)."""
    head = reg.head()
    print(msg_("reg_head_line", head=head, n=head.split(":")[0]))
    return head


def _with_head(table, head: str):
    return table.assign(register_head=head)


# --- register ---------------------------------------------------------------------------------
def _register(args: argparse.Namespace) -> int:
    from . import register

    action = args.register_command
    if action == "init":
        with register.init(args.db, sites=_register_sites(args.sites)) as reg:
            print(msg_("register_created", db=args.db, n=len(reg.mines())))
            _head(reg)
        return 0
    if action == "upgrade":
        done = register.upgrade(args.db)
        print(msg_("reg_upgraded", db=args.db, n=done["events"], mines=done["mines"],
                   blacklist=done["blacklist"], head=done["head"]))
        return 0
    with register.open_register(args.db, verify=action != "verify") as reg:
        return _REGISTER_ACTIONS[action](reg, args)


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
    _head(reg)
    return 0


def _register_add(reg, args: argparse.Namespace) -> int:
    fields = {k: getattr(args, k) for k in ("level", "score", "score_max", "due_date",
                                             "refers_to", "supersedes", "corrected_event",
                                             "corrected_date", "evaluator_org", "checked_by",
                                             "evaluated_by", "tracked_by", "responsible",
                                             "name", "banner", "note")
              if getattr(args, k) is not None}
    event_id = reg.add(mine_id=args.mine_id, event=args.event, date=args.date, **fields)
    print(msg_("register_added", event_id=event_id, mine=args.mine_id or "—", event=args.event))
    _head(reg)
    return 0


def _register_show(reg, args: argparse.Namespace) -> int:
    from ._register_state import summary_by_banner

    state = reg.state(as_of=args.as_of, banner=args.banner)
    table = state if args.banner else summary_by_banner(state)
    print(_text_table(table))
    _head(reg)
    return 0


def _register_history(reg, args: argparse.Namespace) -> int:
    history = reg.history(mine_id=args.mine_id)
    print(_text_table(history.drop(columns=["prev_hash", "detail"]).assign(
        hash=history["hash"].str[:16])))
    _head(reg)
    return 0


def _register_export(reg, args: argparse.Namespace) -> int:
    from .export import write_register

    _print_written([write_register(reg, args.out, history=args.history)])
    _head(reg)
    return 0


def _register_verify(reg, args: argparse.Namespace) -> int:
    found = reg.verify(head=args.head)
    print(found)
    if args.out is not None:
        from .export import write_table

        _check_out(args.out)
        _print_written([write_table(found.problems, args.out)])
    return 0 if found.ok else 1


def _register_blacklist(reg, args: argparse.Namespace) -> int:
    reg.blacklist(organisation=args.org, date=args.date, reason=args.reason,
                  responsible=args.responsible)
    print(_text_table(reg.blacklisted()))
    _head(reg)
    return 0


def _register_map(reg, args: argparse.Namespace) -> int:
    from . import maps

    from ._register_checks import effective_events

    head = reg.head()
    checked = None
    if args.year is not None:
        events = effective_events(reg.history())
        checked = set(events.loc[(events["event"] == "spot_check") &
                                 (events["date"].dt.year == args.year), "mine_id"])
    page = maps.map_supervision(reg.mines(geometry=True), reg.state(as_of=args.as_of),
                                year=args.year, register_head=head, checked=checked)
    _print_written([maps.save_map(page, args.out)])
    _head(reg)
    return 0


def _register_review(reg, args: argparse.Namespace) -> int:
    print(_text_table(reg.review_list()[["event_id", "mine_id", "date", "evaluator_org", "score",
                                         "blacklisted_on", "blacklist_reason",
                                         "after_blacklisting"]]))
    _head(reg)
    return 0


_REGISTER_ACTIONS = {"blacklist": _register_blacklist, "review": _register_review,
                     "map": _register_map, "verify": _register_verify,
                     "import": _register_import, "add": _register_add, "show": _register_show,
                     "history": _register_history, "export": _register_export}


# --- spot checks ------------------------------------------------------------------------------
def _spot_check(args: argparse.Namespace) -> int:
    from . import register, supervision

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
        head = _head(reg)
        choice = _plan_choice(reg.plans(year=args.year), args, int(head.split(":")[0]),
                              default_rate)
        state = reg.state(as_of=f"{args.year}-01-01", upto=choice["upto"])
        plan = _draw(state, args.year, seed=choice["seed"], rate=choice["rate"])
        meta = {"register": source, "register_head": head, "upto": choice["upto"],
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
    from ._errors import UsageError
    from ._names import NameRefused, clean_name

    rate = args.rate if args.rate is not None else default_rate
    if args.redraw:
        try:
            reason = clean_name(args.note)  # a reason in words: what a name must be, at least
        except NameRefused:
            reason = None
        if not args.responsible or reason is None:
            raise UsageError(msg_("spot_redraw_needs"))
        if args.seed is not None:
            raise UsageError(msg_("spot_redraw_seed"))
        return {"seed": None, "upto": n_events, "rate": rate, "source": "os"}
    if not len(earlier):
        if args.seed is not None:
            raise UsageError(msg_("spot_seed_first", year=args.year))
        return {"seed": None, "upto": n_events, "rate": rate, "source": "os"}
    latest = earlier.iloc[-1]
    recorded = dict(year=args.year, date=str(latest["date"])[:10], seed=int(latest["seed"]),
                    event_id=int(latest["event_id"]), rate=float(latest["rate"]))
    if args.seed is None or int(args.seed) != recorded["seed"]:
        raise UsageError(msg_("spot_already_planned", **recorded))
    if args.rate is not None and float(args.rate) != recorded["rate"]:
        raise UsageError(msg_("spot_rate_differs", **recorded))
    return {"seed": recorded["seed"], "upto": int(latest["upto"]), "rate": recorded["rate"],
            "source": "recorded"}


def _draw(state, year: int, *, seed, rate):
    from . import supervision

    return supervision.spot_check_plan(state, year=year, seed=seed, rate=rate)


def _digest(plan) -> str:
    import hashlib

    text = plan[["banner", "mine_id", "quarter"]].to_csv(index=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_plan(plan, args, extra: dict) -> int:
    import json

    from . import export, io, supervision

    meta = {"year": args.year, "seed": int(plan.attrs["seed"]),
            "coverage_years": supervision.rules()["spot_checks"]["coverage_years"],
            "n_planned": len(plan), "plan_sha256": _digest(plan), **extra}
    table = _with_head(plan, extra["register_head"]) if "register_head" in extra else plan
    with io.output_set(args.out) as out:
        written = [io.write_csv(table, out.dir / "spot_checks.csv"),
                   export.write_table(table, out.dir / "spot_checks.xlsx")]
        with io.atomic_path(out.dir / "spot_checks.json") as tmp:
            tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        written.append(out.dir / "spot_checks.json")
    _print_written([out.final(p) for p in written])
    print(msg_("spot_seed" if meta["recorded"] else "spot_seed_table", seed=meta["seed"]))
    return 0


def state_of_table(table, *, year: int):
    """A register state on 1 January of ``year`` from a register table: a history (an
    ``event`` column) gives its events' state, the same as the register's; a state export
    (``register export``) or a listing table gives its rows (``listed`` or ``status``)."""
    import pandas as pd

    from . import register

    if "event" in table.columns:
        register.check_exported_chain(table, "<table>")
        events = register.events_of_table(table)
        return register.current_state(events, mines=register.mines_of_table(table),
                                      as_of=f"{year}-01-01")
    from ._register_checks import canonical_value

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


# --- supervision ------------------------------------------------------------------------------
def _score(args: argparse.Namespace) -> int:
    from . import export, supervision

    _check_out(args.out)
    result = supervision.score_sheet(args.sheet, scale=args.scale, pass_line=args.pass_line)
    _print_written([export.write_table(result, args.out)])
    print(_text_table(result[["mine_id", "total", "passed", "explanation"]]))
    return 0


def _rectification(args: argparse.Namespace) -> int:
    from . import export, io, register, supervision

    with register.open_register(args.register) as reg:
        head = _head(reg)
        events, state = reg.history(), reg.state(as_of=args.as_of)
    items = supervision.rectification_items(events, as_of=args.as_of, months=args.months)
    rule = supervision.default_months()
    if args.months is not None and args.months != rule:
        print(msg_("rect_months_note", months=args.months, rule=rule))
    tables = {"rectification_items": items,
              "removal_list": supervision.removal_list(items, state),
              "sanctions": supervision.sanctions(items, state, as_of=args.as_of,
                                                 required_mines=_required(args.required_mines))}
    with io.output_set(args.out) as out:
        written = []
        for name, table in tables.items():
            table = _with_head(io.dates_as_text(table), head)
            written.append(io.write_csv(table, out.dir / f"{name}.csv"))
            written.append(export.write_table(table, out.dir / f"{name}.xlsx"))
    _print_written([out.final(p) for p in written])
    return 0


def _required(path: Path | None) -> list[str] | None:
    """The mine ids of a CSV/XLSX (column mine_id or 矿山编号)."""
    if path is None:
        return None
    from ._schema import normalise_id
    from ._tables import read_user_table

    table = read_user_table(path, table="required_mines", what=msg_("what_required"),
                            required=["mine_id"])
    return [m for m in (normalise_id(v) for v in table.frame["mine_id"].dropna()) if m]


def _lookback(args: argparse.Namespace) -> int:
    from . import export, register, supervision

    _check_out(args.out)
    with register.open_register(args.register) as reg:
        head = _head(reg)
        table = supervision.lookback(reg.history(), reg.mines(), year=args.year)
    _print_written([export.write_table(_with_head(table, head), args.out)])
    print(_text_table(table))
    return 0


def _fund(args: argparse.Namespace) -> int:
    from . import export, supervision

    _check_out(args.out)
    result = supervision.fund_check(args.table, required_share=args.required_share)
    _print_written([export.write_table(result, args.out)])
    return 0


def _capacity(args: argparse.Namespace) -> int:
    from . import export, supervision

    _check_out(args.out)
    result = supervision.capacity_check(args.production, unit=args.unit,
                                        monthly_share=args.monthly_share)
    _print_written([export.write_table(result, args.out)])
    return 0


#: The commands of this module and the functions that run them.
COMMANDS = {"register": _register, "spot-check": _spot_check, "score": _score, "fund": _fund,
            "capacity": _capacity, "rectification": _rectification, "lookback": _lookback}
