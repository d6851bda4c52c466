"""The command line of the findings from imagery: ``disturbance`` (suspected disturbance outside
licences, new disturbance inside, register findings, a map) and ``declarations`` (declared vs
detected reclamation). Split from :mod:`ordos_geo.cli` to keep both short."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def add_findings(sub, common, reading, h) -> None:
    """The parsers of ``disturbance`` and ``declarations``."""
    from .cli import _AREA, _COUNT, _GAP

    ds = sub.add_parser("disturbance", parents=[common, reading],
                        help=h("suspected disturbance outside licences from imagery"))
    ds.add_argument("--imagery", required=True,
                    help=h("scene manifest (CSV/YAML) or static STAC catalog (catalog.json)"))
    ds.add_argument("--search-m", type=_GAP, default=None,
                    help=h("search distance around mine boundaries, m (default 2000)"))
    ds.add_argument("--min-ha", type=_AREA, default=None,
                    help=h("minimum mapping unit, ha (default 0.5)"))
    ds.add_argument("--min-dates", type=_COUNT, default=None,
                    help=h("clear dates a suspect must be seen on (default 2)"))
    ds.add_argument("--allowed", type=Path,
                    help=h("layer of permitted land (approved temporary use, roads, towns)"))
    ds.add_argument("--since", type=_date,
                    help=h("new disturbance inside licences from this date, YYYY-MM-DD"))
    ds.add_argument("--rules", type=Path, help=h("an edited copy of disturbance.yaml"))
    for name, text in (("checked-by", "who checked (核查人)"), ("tracked-by", "who tracks (跟踪人)"),
                       ("responsible", "who answers for it (责任人)")):
        ds.add_argument(f"--{name}", default="", help=h(text))
    ds.add_argument("--out", type=Path, required=True, help=h("output folder"))
    dc = sub.add_parser("declarations", parents=[common],
                        help=h("declared vs detected reclamation"))
    dc.add_argument("table", type=Path,
                    help=h("declarations CSV/XLSX: mine_id, year, declared_reclaimed_ha"))
    dc.add_argument("--progress", type=Path, required=True,
                    help=h("output folder of `ordos-geo progress` (or its progress_summary.csv)"))
    dc.add_argument("--rules", type=Path, help=h("an edited copy of disturbance.yaml"))
    dc.add_argument("--out", type=Path, required=True, help=h("output folder"))


def _disturbance(args: argparse.Namespace) -> int:
    from . import disturbance, io, maps
    from ._messages import msg
    from .cli import _print_written, _read_sites, _scenes, _write_report

    frame = _read_sites(args)
    allowed = io.read_vector(args.allowed).frame if args.allowed else None
    result = disturbance.detect(frame, _scenes(str(args.imagery)), search_m=args.search_m,
                                min_ha=args.min_ha, min_dates=args.min_dates, allowed=allowed,
                                since=args.since, rules=args.rules)
    findings = disturbance.findings_table(result.suspected, checked_by=args.checked_by,
                                          tracked_by=args.tracked_by,
                                          responsible=args.responsible)
    with io.output_set(args.out) as out:
        written = [io.write_geojson(result.suspected, out.dir / "suspected_outside.geojson"),
                   io.write_csv(findings, out.dir / "findings.csv"),
                   io.write_csv(result.new_inside, out.dir / "new_inside.csv"),
                   maps.save_map(maps.map_disturbance(frame, result.suspected),
                                 out.dir / "disturbance_map.html")]
        written += _write_report(args, out.dir / "validation_report.csv")
    print(msg("dist_summary", n_out=len(result.suspected),
              ha_out=round(float(result.suspected["area_ha"].sum()), 2),
              n_in=len(result.new_inside), n_scenes=len(result.scenes)))
    if len(findings) and not (args.checked_by and args.tracked_by and args.responsible):
        print(msg("dist_unsigned"))
    _print_written(out.final(p) for p in written)
    return 0


def _declarations(args: argparse.Namespace) -> int:
    from . import disturbance, io, reclamation
    from ._errors import InputFileError
    from ._messages import msg
    from .cli import _print_written

    summary_path = args.progress if args.progress.is_file() else \
        args.progress / "progress_summary.csv"
    if not summary_path.exists():
        raise InputFileError(msg("decl_no_summary", path=args.progress))
    table = disturbance.compare_declarations(disturbance.read_declarations(args.table),
                                             reclamation.read_summary(summary_path),
                                             rules=args.rules)
    over = table[table["status"] == "over_declared"]
    with io.output_set(args.out) as out:
        written = [io.write_csv(table, out.dir / "declarations.csv"),
                   io.write_csv(over, out.dir / "over_declared.csv")]
    print(msg("decl_summary", n=len(table), n_over=len(over)))
    _print_written(out.final(p) for p in written)
    return 0


#: Each command and the function that runs it.
COMMANDS = {"disturbance": _disturbance, "declarations": _declarations}
