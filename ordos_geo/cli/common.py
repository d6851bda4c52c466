"""What the command modules share: argparse types that refuse nonsense, reading the sites of a
command, printing problems, written paths and tables, and the register head every register
report carries."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
from pathlib import Path

from ..core.messages import msg

__all__ = ["at_least", "bounded", "GAP", "AREA", "COUNT", "YEAR", "SHARE", "date_type",
           "reading_options", "read_sites", "print_problems", "write_report", "attribution_of", "print_written", "print_or_write",
           "text_table", "read_scenes", "check_out", "print_head", "with_head",
           "progress_summary_path", "report_beside"]


def at_least(kind: str, low: float, *, strict: bool):
    """An argparse type: a finite number ``> low`` (strict) or ``>= low``; else a usage error."""
    def parse(text: str):
        try:
            value = float(text) if kind == "float" else int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'number' if kind == 'float' else 'whole number'}") from None
        if not math.isfinite(value) or value < low or (strict and value == low):
            raise argparse.ArgumentTypeError(
                f"{text!r}: give a finite number {'>' if strict else '≥'} {low:g}")
        return value

    return parse


GAP = at_least("float", 0.0, strict=False)
AREA = at_least("float", 0.0, strict=True)
COUNT = at_least("int", 1, strict=False)
SEED = at_least("int", 0, strict=False)  # NumPy's generators take 0 and up


def bounded(low: float, high: float, *, low_open: bool = False, whole: bool = False):
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


YEAR = bounded(1990, 2100, whole=True)
SHARE = bounded(0, 1, low_open=True)


def date_type(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def read_sites(args: argparse.Namespace):
    """The sites of a command, read and validated with the shared reading options; repairs,
    filled banners and warnings are printed (the report is in ``args.site_report``)."""
    from .. import sites
    from ..core.settings import settings

    tolerance = getattr(args, "boundary_tolerance_m", None)
    with settings.context(**({} if tolerance is None else {"boundary_tolerance_m": tolerance})), \
            _with_options_hint(), _report_when_refused(args):
        frame, report = sites.read_sites(
            args.sites, layer=args.layer, encoding=args.encoding, crs=args.crs,
            gcj02=args.gcj02, kind=args.kind, point_radius_m=getattr(args, "point_radius_m", None),
            refused="report" if getattr(args, "drop_refused", False) else "raise")
    args.site_report = report
    print_problems(report)
    dropped = int(report.attrs.get("n_features", 0)) - len(frame)
    if dropped:
        print(msg("dropped_refused", n=dropped, total=report.attrs.get("n_features", 0)))
    return frame


@contextlib.contextmanager
def _with_options_hint():
    """A refused sites file: the message goes on with what the planner can do about it."""
    from ..core.errors import ValidationError

    try:
        yield
    except ValidationError as exc:
        report = exc.report
        features = report is not None and (report["severity"] == "error").any() and \
            report.loc[report["severity"] == "error", "feature_index"].notna().all()
        if not features:  # the file itself is refused: no feature to leave out
            raise
        far = report.attrs.get("max_outside_m")
        more = msg("validation_option_tolerance", distance_m=round(far),
                   enough_m=math.floor(far) + 1) if far else ""
        raise ValidationError(f"{exc}\n{msg('validation_options', more=more)}",
                              report=report) from None


@contextlib.contextmanager
def _report_when_refused(args: argparse.Namespace):
    """A refused sites file whose message cannot show every problem: its whole report is written
    beside the command's output (:func:`report_beside`) and the message ends naming it."""
    from .. import io
    from ..core.errors import ValidationError

    try:
        yield
    except ValidationError as exc:
        report = exc.report
        if report is None:
            raise
        problems = int((report["severity"] != "info").sum())
        hidden = problems - min(REFUSED_SHOWN, int((report["severity"] == "error").sum()))
        if hidden <= 0:
            raise
        try:
            path = io.write_csv(report, getattr(args, "report_at", None) or report_beside(args))
        except OSError:  # the refusal is the news: it goes out even if its report cannot
            raise exc from None
        raise ValidationError(f"{exc}\n{msg('more_in_report_at', n=hidden, path=path)}",
                              report=report) from None


#: Problems a command prints of a sites file it reads; the rest are in its report file.
SHOWN = 30
#: Errors the message of a refused sites file lists (``sites.read_sites``: the first ten).
REFUSED_SHOWN = 10
#: Commands whose ``--out`` is a file (their report is ``<stem>.validation.csv`` beside it).
_FILE_OUT = ("map", "export")


def print_problems(report, limit: int = SHOWN, *, path: Path | None = None) -> None:
    """The first ``limit`` repairs, warnings and errors. The line saying how many more there
    are names the report file that holds them: ``path``, once written; a command that writes it
    later leaves ``path`` out and :func:`write_report` prints that line."""
    shown = report[report["severity"] != "info"]
    for row in shown.head(limit).itertuples():
        print(f"[{row.severity}] {row.feature_id} {row.field}: {row.problem}")
    if len(shown) > limit and path is not None:
        print(msg("more_in_report_at", n=len(shown) - limit, path=path))


def write_report(args: argparse.Namespace, path: Path, *, out=None) -> list[Path]:
    """The read report at ``path`` when it holds repairs or warnings (``out``: the output set
    ``path`` is staged in); the problems :func:`print_problems` left out are counted in a line
    naming the report's final path."""
    from .. import io

    report = getattr(args, "site_report", None)
    if report is None or not (report["severity"] != "info").any():
        return []
    written = io.write_csv(report, path)
    hidden = int((report["severity"] != "info").sum()) - SHOWN
    if hidden > 0:
        print(msg("more_in_report_at", n=hidden,
                  path=out.final(written) if out is not None else written))
    return [written]


def report_beside(args: argparse.Namespace) -> Path:
    """Where a command's reading report goes when it is not in its output set: beside
    ``--out`` (a file: ``<stem>.validation.csv``; a folder: ``<folder>.validation.csv``), else
    beside the register (``<sites file>.validation.csv``; a PostgreSQL register: in the current
    folder, as ``validate`` writes it)."""
    out = getattr(args, "out", None)
    if out is not None and getattr(args, "command", None) != "register":
        return out.with_name(f"{out.stem if args.command in _FILE_OUT else out.name}"
                             ".validation.csv")
    db = str(getattr(args, "db", "") or "")
    folder = Path(db).parent if db.lower().endswith(".gpkg") else Path()
    return folder / f"{Path(args.sites).name}.validation.csv"


def attribution_of(path: Path, frame) -> str:
    """The attribution a GeoPackage written by ordos_geo carries, else one from the data."""
    from .. import io
    from ..publish import maps

    text = io.read_metadata(path).get("attribution") if path.suffix.lower() == ".gpkg" \
        else None
    return f"{text} · {maps.reference_attribution()}" if text else \
        maps.attribution_for(frame, source=str(path))


def print_written(paths) -> None:
    for path in paths:
        print(msg("wrote", what=Path(path).suffix.lstrip("."), path=path))


def print_or_write(text: str, out: Path | None) -> int:
    if out is None:
        print(text, end="")
        return 0
    from ..io import atomic_path

    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    print(msg("wrote", what=out.suffix.lstrip("."), path=out))
    return 0


def text_table(frame) -> str:
    """A table for the terminal as people read it: headers and values in the user's language
    (:func:`ordos_geo.publish.export.readable_table`), dates as YYYY-MM-DD, empty cells blank,
    every row."""
    import pandas as pd

    from ..publish.export import readable_table

    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    out = readable_table(out)
    return out.astype(object).where(out.notna(), "").to_string(index=False) if len(out) else "—"


def read_scenes(source: str) -> list:
    from .. import imagery

    if source.endswith(".json") or source.startswith(("http://", "https://")):
        return imagery.scenes_from_stac(source)
    return imagery.read_manifest(source)


def progress_summary_path(path: Path) -> Path:
    """The progress summary a command reads: ``path`` itself (a missing file is named by its
    reader), or in the output folder of ``ordos-geo progress`` its ``progress_summary.csv``."""
    if not path.is_dir():
        return path
    summary = path / "progress_summary.csv"
    if not summary.is_file():
        from ..core.errors import InputFileError

        raise InputFileError(msg("decl_no_summary", path=path))
    return summary


def check_out(path: Path) -> None:
    """A table goes to .csv or .xlsx: refused before any work (exit 2)."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        from ..core.errors import UsageError

        raise UsageError(msg("table_suffix", path=repr(str(path))))


def print_head(reg) -> str:
    """Print the register's head and return it (every register report carries it)."""
    head = reg.head()
    print(msg("reg_head_line", head=head, n=head.split(":")[0]))
    return head


def with_head(table, head: str):
    return table.assign(register_head=head)


def reading_options(h, *, positional: str = "sites") -> argparse.ArgumentParser:
    """How a command reads its sites file: the same options as ``validate`` everywhere."""
    reading = argparse.ArgumentParser(add_help=False)
    reading.add_argument(positional, type=Path,
                         help=h("sites: GeoJSON, GeoPackage, Shapefile (.shp/.zip) or corner CSV"))
    reading.add_argument("--layer", help=h("GeoPackage layer, or Shapefile name inside a zip"))
    reading.add_argument("--encoding", help=h("attribute encoding (default: detected), e.g. GBK"))
    reading.add_argument("--crs", help=h("declared CRS of the sites, e.g. EPSG:4525"))
    reading.add_argument("--gcj02", action="store_true",
                         help=h("the sites are GCJ-02 (Amap/Tencent web maps): convert to WGS84"))
    reading.add_argument("--kind", choices=["mine", "pit", "dump", "other"],
                         help=h("kind of every feature whose kind is empty or absent"))
    reading.add_argument("--point-radius-m", type=bounded(0, 20_000, low_open=True), metavar="M",
                         help=h("draw point features (mine locations) as circles of this radius"))
    reading.add_argument("--boundary-tolerance-m", type=GAP, metavar="M",
                         help=h("how far outside the indicative city boundary a site may lie "
                                "(default 200)"))
    reading.add_argument("--drop-refused", action="store_true",
                         help=h("leave refused features out (listed in the report) instead of "
                                "refusing the file"))
    return reading


def add_scheduler(parser, h) -> None:
    """``--scheduler ADDRESS``: run the heavy part on a Dask cluster (see
    :mod:`ordos_geo.core.cluster`)."""
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help=h("Dask scheduler to run on, e.g. tcp://10.0.0.5:8786 (default: "
                               "DASK_SCHEDULER_ADDRESS, else this machine)"))
