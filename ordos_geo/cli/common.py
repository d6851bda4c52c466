"""What the command modules share: argparse types that refuse nonsense, reading the sites of a
command, printing problems, written paths and tables, and the register head every register
report carries."""

from __future__ import annotations

import argparse
import datetime as dt
import math
from pathlib import Path

from ..core.messages import msg

__all__ = ["at_least", "bounded", "GAP", "AREA", "COUNT", "YEAR", "SHARE", "date_type",
           "reading_options", "read_sites", "print_problems", "write_report", "attribution_of", "print_written", "print_or_write",
           "text_table", "read_scenes", "check_out", "print_head", "with_head"]


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

    frame, report = sites.read_sites(args.sites, layer=args.layer, encoding=args.encoding,
                                     crs=args.crs, gcj02=args.gcj02, kind=args.kind)
    args.site_report = report
    print_problems(report)
    return frame


def print_problems(report, limit: int = 30) -> None:
    shown = report[report["severity"] != "info"]
    for row in shown.head(limit).itertuples():
        print(f"[{row.severity}] {row.feature_id} {row.field}: {row.problem}")
    if len(shown) > limit:
        print(msg("more_in_report", n=len(shown) - limit))


def write_report(args: argparse.Namespace, path: Path) -> list[Path]:
    """The read report beside the outputs when it holds repairs or warnings."""
    from .. import io

    report = getattr(args, "site_report", None)
    if report is None or not (report["severity"] != "info").any():
        return []
    return [io.write_csv(report, path)]


def attribution_of(path: Path, frame) -> str:
    """The attribution a GeoPackage written by ordos_geo carries, else one from the data."""
    from .. import io
    from ..publish import maps

    text = io.read_metadata(path).get("attribution") if path.suffix.lower() == ".gpkg" \
        else None
    return f"{text} · {maps.REFERENCE_ATTRIBUTION}" if text else \
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
    """A table for the terminal: dates as YYYY-MM-DD, empty cells blank, every row."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out.astype(object).where(out.notna(), "").to_string(index=False) if len(out) else "—"


def read_scenes(source: str) -> list:
    from .. import imagery

    if source.endswith(".json") or source.startswith(("http://", "https://")):
        return imagery.scenes_from_stac(source)
    return imagery.read_manifest(source)


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
    return reading
