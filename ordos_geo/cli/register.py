"""The green-mine register: ``register init|import|add|show|history|export|blacklist|review|map|
verify|upgrade DB`` (DB a .gpkg file or a postgresql:// URL).

Every action that reads a register verifies its chain first (a register changed outside
ordos_geo is refused, exit 1) and prints the register's head, which every table it writes
carries in a ``register_head`` column."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.messages import msg
from .common import (
    YEAR,
    check_out,
    print_head,
    print_written,
    read_sites,
    reading_options,
    report_beside,
    text_table,
    write_report,
)

__all__ = ["add", "COMMANDS"]


def add(sub, common, reading, h) -> None:
    """``register init|import|add|show|history|export|blacklist|review|map|verify|upgrade DB`` — DB a
    .gpkg file or a postgresql:// URL."""
    reg = sub.add_parser("register", parents=[common],
                         help=h("the green-mine register: listing, checks and sign-offs"))
    rs = reg.add_subparsers(dest="register_command", required=True, metavar="ACTION",
                            help=h("what to do with the register"))
    db_help = h("the register: a .gpkg file or a postgresql:// URL")
    init = _with_sites(rs, "init", common, h, h("create a register"),
                       h("sites file whose mines (kind mine) to enter"))
    init.add_argument("db", help=db_help)
    imp = _with_sites(rs, "import", common, h,
                      h("import a listing or history table (CSV/XLSX); all or nothing"),
                      h("sites file giving new mines their boundary"))
    imp.add_argument("db", help=db_help)
    imp.add_argument("table", type=Path, help=h("CSV or XLSX table"))
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
    mp.add_argument("--year", type=YEAR, help=h("the year whose spot checks are outlined"))
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


def _with_sites(rs, name: str, common, h, text: str, sites_text: str) -> argparse.ArgumentParser:
    """The parser of ``register NAME``: its ``--sites`` read as every command reads its sites
    (``--kind``, ``--layer``, ``--crs`` …), the help saying what the register takes from it."""
    parser = rs.add_parser(name, parents=[common, reading_options(h, positional="--sites")],
                           help=text)
    next(a for a in parser._actions if a.dest == "sites").help = sites_text
    return parser


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


def _register(args: argparse.Namespace) -> int:
    from .. import register

    action = args.register_command
    register.check_location(args.db)  # before a report or folder is written beside it
    if action == "init":
        with register.init(args.db, sites=_register_sites(args)) as reg:
            print(msg("register_created", db=register.masked_location(args.db),
                      n=len(reg.mines())))
            print_head(reg)
        return 0
    if action == "upgrade":
        done = register.upgrade(args.db)
        print(msg("reg_upgraded", db=register.masked_location(args.db), n=done["events"],
                  mines=done["mines"], blacklist=done["blacklist"], head=done["head"]))
        return 0
    with register.open_register(args.db, verify=action != "verify") as reg:
        return _REGISTER_ACTIONS[action](reg, args)


def _register_sites(args: argparse.Namespace):
    """The ``--sites`` file for the register (its mines and their boundaries), read and
    validated with the reading options; its report, when it holds repairs or warnings, beside
    the register."""
    if args.sites is None:
        return None
    frame = read_sites(args)
    print_written(write_report(args, report_beside(args)))
    return frame


def _register_import(reg, args: argparse.Namespace) -> int:
    counts = reg.import_table(args.table, sites=_register_sites(args))
    print(msg("register_imported", path=args.table, **counts))
    print_head(reg)
    return 0


def _register_add(reg, args: argparse.Namespace) -> int:
    fields = {k: getattr(args, k) for k in ("level", "score", "score_max", "due_date",
                                             "refers_to", "supersedes", "corrected_event",
                                             "corrected_date", "evaluator_org", "checked_by",
                                             "evaluated_by", "tracked_by", "responsible",
                                             "name", "banner", "note")
              if getattr(args, k) is not None}
    event_id = reg.add(mine_id=args.mine_id, event=args.event, date=args.date, **fields)
    from ..publish.symbology import value_labels

    events = reg.history(mine_id=args.mine_id) if args.mine_id else reg.history()
    stored = events.set_index("event_id").loc[event_id]  # as the register holds it
    label = value_labels().get(stored["event"], stored["event"])
    print(msg("register_added", event_id=event_id, mine=stored["mine_id"] or "—", event=label))
    print_head(reg)
    return 0


def _register_show(reg, args: argparse.Namespace) -> int:
    from ..register import summary_by_banner

    state = reg.state(as_of=args.as_of, banner=args.banner)
    table = state if args.banner else summary_by_banner(state)
    print(text_table(table))
    print_head(reg)
    return 0


def _register_history(reg, args: argparse.Namespace) -> int:
    history = reg.history(mine_id=args.mine_id)
    print(text_table(history.drop(columns=["prev_hash", "detail"]).assign(
        hash=history["hash"].str[:16])))
    print_head(reg)
    return 0


def _register_export(reg, args: argparse.Namespace) -> int:
    from ..publish.export import write_register

    print_written([write_register(reg, args.out, history=args.history)])
    print_head(reg)
    return 0


def _register_verify(reg, args: argparse.Namespace) -> int:
    found = reg.verify(head=args.head)
    print(found)
    if args.out is not None:
        from ..publish.export import write_table

        check_out(args.out)
        print_written([write_table(found.problems, args.out)])
    return 0 if found.ok else 1


def _register_blacklist(reg, args: argparse.Namespace) -> int:
    reg.blacklist(organisation=args.org, date=args.date, reason=args.reason,
                  responsible=args.responsible)
    print(text_table(reg.blacklisted()))
    print_head(reg)
    return 0


def _register_map(reg, args: argparse.Namespace) -> int:
    from ..publish import maps
    from ..register import effective_events

    head = reg.head()
    checked = None
    if args.year is not None:
        events = effective_events(reg.history())
        checked = set(events.loc[(events["event"] == "spot_check") &
                                 (events["date"].dt.year == args.year), "mine_id"])
    page = maps.map_supervision(reg.mines(geometry=True), reg.state(as_of=args.as_of),
                                year=args.year, register_head=head, checked=checked)
    print_written([maps.save_map(page, args.out)])
    print_head(reg)
    return 0


def _register_review(reg, args: argparse.Namespace) -> int:
    print(text_table(reg.review_list()[["event_id", "mine_id", "date", "evaluator_org", "score",
                                         "blacklisted_on", "blacklist_reason",
                                         "after_blacklisting"]]))
    print_head(reg)
    return 0


_REGISTER_ACTIONS = {"blacklist": _register_blacklist, "review": _register_review,
                     "map": _register_map, "verify": _register_verify,
                     "import": _register_import, "add": _register_add, "show": _register_show,
                     "history": _register_history, "export": _register_export}


#: Each command and the function that runs it.
COMMANDS = {"register": _register}
