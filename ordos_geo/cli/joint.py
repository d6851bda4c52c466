"""Joint remediation inside the zones: ``terrain``, ``earthworks``, ``zone-sheets``."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import (
    add_scheduler,
    attribution_of,
    print_written,
    progress_summary_path,
    read_sites,
    report_beside,
    write_report,
)

__all__ = ["add", "COMMANDS"]


def add(sub, common, reading, h) -> None:
    """``terrain`` and ``earthworks``: joint remediation inside the zones."""
    tr = sub.add_parser("terrain", parents=[common, reading],
                        help=h("slope, steep and flat hectares, pit and dump volumes from a DEM"))
    tr.add_argument("--dem", type=Path, required=True, help=h("DEM GeoTIFF in a projected CRS"))
    tr.add_argument("--out", type=Path, required=True, help=h("output folder"))
    add_scheduler(tr, h)
    ew = sub.add_parser("earthworks", parents=[common, reading],
                        help=h("cut-fill balancing between the mines of each zone"))
    ew.add_argument("--dem", type=Path, required=True, help=h("DEM GeoTIFF in a projected CRS"))
    ew.add_argument("--zones", type=Path, help=h("zones.geojson from `ordos-geo zones`"))
    ew.add_argument("--out", type=Path, required=True, help=h("output folder"))
    zs = sub.add_parser("zone-sheets", parents=[common, reading],
                        help=h("one printable sheet per zone (一区一图一表), PNG and PDF"))
    zs.add_argument("--zones", type=Path, required=True,
                    help=h("zones.geojson from `ordos-geo zones`"))
    zs.add_argument("--dem", type=Path, help=h("DEM GeoTIFF in a projected CRS"))
    zs.add_argument("--progress", type=Path,
                    help=h("output folder of `ordos-geo progress` or its progress_summary.csv "
                           "(adds the year slider)"))
    zs.add_argument("--landcover", type=Path,
                    help=h("output folder of `ordos-geo accuracy --zones` or its "
                           "areas_by_region.csv (class hectares ± 95 %% per zone)"))
    zs.add_argument("--out", type=Path, required=True, help=h("output folder"))


def _terrain(args: argparse.Namespace) -> int:
    from .. import io
    from ..core import cluster
    from ..joint import terrain
    from ..publish import export

    frame = read_sites(args)
    with cluster.connect(args.scheduler) as client:
        table = terrain.terrain_stats(frame, args.dem, client=client)
    with io.output_set(args.out) as out:
        written = [io.write_csv(table.round(3), out.dir / "terrain.csv"),
                   export.write_table(table.round(3), out.dir / "terrain.xlsx")]
        written += write_report(args, out.dir / "validation_report.csv", out=out)
    print_written([out.final(p) for p in written])
    return 0


def _earthworks(args: argparse.Namespace) -> int:
    from .. import io
    from ..joint import earthworks, suitability, terrain
    from ..publish import export, maps
    from ..zoning import rules, zones

    frame = read_sites(args)
    if args.zones:
        zone_table = zones.read_zones(args.zones)
    else:
        built = zones.build_zones(frame)
        zone_table = rules.apply_rules(built.zones, sites=built.sites)
    zone_of = zones.zone_of_sites(zone_table, sites=frame)
    table = terrain.terrain_stats(frame, args.dem)
    flows, per_zone, kept = earthworks.zone_balances(frame, terrain=table, zone_of=zone_of)
    facts = suitability.suitability_facts(zone_table, sites=frame, terrain=table,
                                          zone_of=zone_of, retention=kept)
    suited = suitability.suitability(facts, zones=zone_table)
    lines = earthworks.flow_lines(flows, sites=frame)
    with io.output_set(args.out) as out:
        written = [io.write_csv(flows.round(1), out.dir / "flows.csv"),
                   io.write_geojson(lines, out.dir / "flows.geojson"),
                   io.write_csv(per_zone.round(2), out.dir / "earthworks_zones.csv"),
                   io.write_csv(kept.round(2), out.dir / "retention.csv"),
                   io.write_csv(suited, out.dir / "suitability.csv"),
                   maps.save_map(maps.map_zones(
                       zone_table, frame, flows=lines,
                       retained=frame[frame["site_id"].astype(str).isin(
                           kept.loc[kept["retained"], "site_id"])]),
                       out.dir / "earthworks_map.html"),
                   export.write_table(per_zone.round(2), out.dir / "earthworks.xlsx")]
        written += write_report(args, out.dir / "validation_report.csv", out=out)
    print_written([out.final(p) for p in written])
    return 0


def _landcover(path: Path):
    """``areas_by_region.csv`` of ``ordos-geo accuracy --zones`` (or its folder), checked."""
    from ..core.errors import InputFileError, ValidationError
    from ..core.messages import msg
    from ..io.tables import read_raw

    table = path / "areas_by_region.csv" if path.is_dir() else path
    if not table.is_file():
        raise InputFileError(msg("file_missing", path=table))
    frame = read_raw(table, as_text=True)
    missing = [c for c in ("region", "class", "map_ha", "estimated_ha", "ci95_ha")
               if c not in frame.columns]
    if missing:
        raise ValidationError(f"{table}: no column {missing}; give the areas_by_region.csv "
                              "`ordos-geo accuracy --zones` writes.")
    for col in ("map_ha", "estimated_ha", "ci95_ha"):
        frame[col] = [_number(table, k, col, v) for k, v in enumerate(frame[col])]
    frame["class"] = [_class_cell(table, k, v) for k, v in enumerate(frame["class"])]
    return frame


def _same_zones(path, landcover, zone_table) -> None:
    """The table's zones are (some of) the zones drawn: else refused; those that are not, said."""
    from ..core.errors import ValidationError
    from ..core.messages import msg

    theirs = {r[5:] for r in landcover["region"].astype(str) if r.startswith("zone:")}
    ours = set(zone_table["zone_id"].astype(str))
    if not theirs & ours:
        raise ValidationError(msg("sheets_lc_zones", path=path, n=len(theirs), ours=len(ours),
                                  ids=", ".join(sorted(theirs)[:3])))
    if theirs - ours:
        print(msg("sheets_lc_stray", path=path, n=len(theirs - ours),
                  ids=", ".join(sorted(theirs - ours)[:5])))


def _number(table, k: int, col: str, text) -> float:
    """A hectare cell: empty (no estimate) or a finite number ≥ 0; else refused by line."""
    import math

    from ..core.errors import ValidationError

    text = str(text).strip()
    if text == "":
        return float("nan")
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value < 0:
        raise ValidationError(f"{table}, line {k + 2}: {col} = {text!r} is not a number of "
                              "hectares (finite, ≥ 0).")
    return value


def _class_cell(table, k: int, text) -> str:
    """A class cell: empty (a region's note row) or a class of landcover.yaml."""
    from ..core.errors import ValidationError
    from ..imagery.accuracy import class_code

    text = str(text).strip()
    if text in ("", "nan"):
        return ""
    try:
        code = class_code(text)
    except ValueError:
        code = None
    if code is None:
        raise ValidationError(f"{table}, line {k + 2}: class = {text!r} is no class of "
                              "landcover.yaml.")
    return str(code)


def _zone_sheets(args: argparse.Namespace) -> int:
    from ..imagery import reclamation
    from ..joint import earthworks, terrain
    from ..publish import sheets
    from ..zoning import zones

    frame = read_sites(args)
    zone_table = zones.read_zones(args.zones)
    zone_of = zones.zone_of_sites(zone_table, sites=frame)
    flows = kept = per_zone = None
    if args.dem:
        table = terrain.terrain_stats(frame, args.dem)
        flows, per_zone, kept = earthworks.zone_balances(frame, terrain=table, zone_of=zone_of)
        flows = earthworks.flow_lines(flows, sites=frame)
    progress = reclamation.read_summary(progress_summary_path(args.progress)) \
        if args.progress else None
    landcover = _landcover(args.landcover) if args.landcover else None
    if landcover is not None:  # a table of other zones would leave every sheet without it
        _same_zones(args.landcover, landcover, zone_table)
    written = sheets.write_zone_sheets(zone_table, frame, args.out, flows=flows,
                                       retained=kept, earthworks=per_zone, progress=progress,
                                       attribution=attribution_of(args.sites, frame),
                                       landcover=landcover)
    written += write_report(args, report_beside(args))  # the sheets' set holds no tables
    print_written(written)
    return 0


#: Each command and the function that runs it.
COMMANDS = {"terrain": _terrain, "earthworks": _earthworks, "zone-sheets": _zone_sheets}
