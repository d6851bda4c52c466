"""``map`` (an offline HTML map) and ``export`` (sites and zones for GIS staff)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..core.errors import UsageError
from ..core.messages import msg
from .common import (
    attribution_of,
    print_written,
    progress_summary_path,
    read_sites,
    write_report,
)

__all__ = ["add", "COMMANDS"]


def add(sub, common, reading, h) -> None:
    """``map`` and ``export``."""
    _add_map(sub, common, reading, h)
    _add_export(sub, common, reading, h)


def _add_map(sub, common, reading, h) -> None:
    mp = sub.add_parser("map", parents=[common, reading],
                        help=h("write an offline interactive HTML map"))
    mp.add_argument("--zones", type=Path, help=h("zones.geojson from `ordos-geo zones`"))
    mp.add_argument("--progress", type=Path,
                    help=h("output folder of `ordos-geo progress` or its progress_summary.csv "
                           "(adds the year slider)"))
    mp.add_argument("--basemap", choices=["none", "tianditu", "osm", "amap"], default="none",
                    help=h("background map (default none: works with no network)"))
    mp.add_argument("--attribution",
                    help=h("the data's sources shown on the map (default: from the file: "
                           "its GeoPackage metadata, else its name)"))
    mp.add_argument("--out", type=Path, required=True, help=h("the HTML file to write"))


def _add_export(sub, common, reading, h) -> None:
    ex = sub.add_parser("export", parents=[common, reading],
                        help=h("export sites (and zones) for GIS staff"))
    ex.add_argument("--zones", type=Path, help=h("zones.geojson to export too"))
    ex.add_argument("--format", choices=["geojson", "gpkg", "shp", "xlsx"], required=True,
                    help=h("output format (xlsx: a report table with labels for people)"))
    ex.add_argument("--out-encoding", choices=["UTF-8", "GBK"], default="UTF-8",
                    help=h("Shapefile attribute encoding written (default UTF-8; GBK for older "
                           "software)"))
    ex.add_argument("--gk", action="store_true",
                    help=h("also write CGCS2000 3-degree Gauss-Krüger copies in the same format, "
                           "one per zone: <out>_cgcs2000_gk<zone> (gpkg or shp; GeoJSON is "
                           "lon/lat by RFC 7946)"))
    ex.add_argument("--attribution", help=h("the data's sources, kept in the GeoPackage metadata"))
    ex.add_argument("--out", type=Path, required=True,
                    help=h("output file (geojson/gpkg/xlsx) or folder (shp)"))


def _map(args: argparse.Namespace) -> int:
    from ..imagery import reclamation
    from ..publish import maps
    from ..zoning import zones

    frame = read_sites(args)
    credit = f"{args.attribution} · {maps.reference_attribution()}" if args.attribution else \
        attribution_of(args.sites, frame)
    zoned = zones.read_zones(args.zones) if args.zones else None
    if args.progress:  # with --zones too: the zones are a layer under the progress
        summary = reclamation.read_summary(progress_summary_path(args.progress))
        m = maps.map_progress(frame, summary,
                              basemap=args.basemap, attribution=credit, zones=zoned)
    elif zoned is not None:
        m = maps.map_zones(zoned, frame, basemap=args.basemap, attribution=credit)
    else:
        m = maps.map_overview(frame, basemap=args.basemap, attribution=credit)
    from .. import io

    io.check_output_file(args.out)
    with io.file_set(args.out.parent) as out:
        written = [maps.save_map(m, out.dir / args.out.name)]
        written += write_report(args, out.dir / f"{args.out.stem}.validation.csv",
                                 out=out)
    print_written(out.final(p) for p in written)
    return 0


def _export_targets(out: Path, fmt: str, names: list[str]) -> dict[str, Path]:
    """Where each layer goes: the sites at ``--out`` (a ``.shp`` name, or a folder holding
    ``sites.shp`` as before), other layers beside it as ``<stem>_<layer><suffix>``."""
    suffix = {"geojson": ".geojson", "shp": ".shp", "xlsx": ".xlsx", "gpkg": ".gpkg"}[fmt]
    if fmt == "shp" and out.suffix.lower() != ".shp":  # a folder (the 0.1 form)
        return {name: out / f"{name}.shp" for name in names}
    first = out if out.suffix else out.with_suffix(suffix)
    return {name: first if k == 0 else first.with_name(f"{first.stem}_{name}{first.suffix}")
            for k, name in enumerate(names)}


def _check_export_out(out: Path, fmt: str) -> None:
    """``--out`` an existing folder is the Shapefile's folder form only; for another format it
    is a usage error (a file named after the folder is not what was asked)."""
    if out.is_dir() and fmt != "shp":
        suffix = f".{fmt}"
        raise UsageError(msg("export_out_is_dir", path=out, format=fmt, suffix=suffix,
                             example=out / f"sites{suffix}"))
    allowed = _SUFFIXES[fmt]
    if out.suffix.lower() in _DATA_SUFFIXES and out.suffix.lower() not in allowed:
        raise UsageError(msg("export_out_suffix", path=out, format=fmt,
                             allowed=", ".join(allowed)))


#: What ``--out`` may end in for each ``--format`` (a Shapefile may also be a folder), and the
#: suffixes of other data files a user might type by mistake.
_SUFFIXES = {"geojson": (".geojson", ".json"), "gpkg": (".gpkg",), "shp": (".shp",),
             "xlsx": (".xlsx",)}
_DATA_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".xlsx", ".xls", ".csv", ".zip",
                  ".kml", ".dbf", ".html"}


def _export_layers(args: argparse.Namespace) -> dict:
    """The sites (with ``area_mu`` and, with ``--zones``, ``zone_id``) and the zones."""
    from ..core import projection
    from ..zoning import zones

    frame = read_sites(args)
    frame = frame.assign(area_mu=(frame["area_ha"] * projection.HA_TO_MU).round(3))
    layers = {"sites": frame}
    if args.zones:
        zoned = zones.read_zones(args.zones)
        layers["sites"] = frame.assign(
            zone_id=frame["site_id"].astype(str).map(zones.zone_of_sites(zoned)))
        layers["zones"] = zoned
    return layers


def _export(args: argparse.Namespace) -> int:
    from .. import io
    from ..publish import export

    if args.gk and args.format in ("geojson", "xlsx"):
        raise UsageError(msg("gk_format", format=args.format))
    _check_export_out(args.out, args.format)
    first = _export_targets(args.out, args.format, ["sites"])["sites"]
    args.report_at = first.with_name(f"{first.stem}.validation.csv")  # if the sites are refused
    layers = _export_layers(args)
    targets = _export_targets(args.out, args.format, list(layers))
    # GK copies named after --out: the GeoPackage's for all layers, a Shapefile's per layer
    gk = ({targets["sites"]: layers} if args.format == "gpkg" else
          {targets[name]: {name: layer} for name, layer in layers.items()}) if args.gk else {}
    gk_targets = [export.gk_path(base, zone) for base, group in gk.items()
                  for zone in export.gk_zones(group)]
    for target in [*targets.values(), *gk_targets]:
        io.check_output_file(target)
    folder = Path(os.path.commonpath([p.parent.absolute()
                                      for p in [*targets.values(), *gk_targets]]))
    credit = args.attribution or attribution_of(args.sites, layers["sites"]).split(" · ")[0]
    with io.file_set(folder) as out:
        def staged(path: Path) -> Path:
            return out.dir / path.absolute().relative_to(folder)

        written = []
        if args.format == "gpkg":
            written.append(export.write_gpkg_with_metadata(
                layers, staged(targets["sites"]),
                sources=[str(args.sites)] + ([str(args.zones)] if args.zones else []),
                parameters={"format": "gpkg"}, attribution=credit))
        for name, layer in layers.items():
            flat = io.flatten_lists(layer)
            if args.format == "geojson":
                written.append(io.write_geojson(flat, staged(targets[name])))
            elif args.format == "shp":
                written += io.write_shapefile(flat, staged(targets[name]),
                                                  encoding=args.out_encoding)
            elif args.format == "xlsx":
                written.append(export.write_table(layer, staged(targets[name])))
        for base, group in gk.items():  # one copy per 3° zone: each feature near its meridian
            written += export.write_gk_copies({n: io.flatten_lists(f) for n, f in group.items()},
                                              staged(base), encoding=args.out_encoding)
        if gk:
            from ..core.settings import settings

            print(msg("gk_zones_written", zones=("、" if settings.lang == "zh" else ", ").join(
                str(z) for z in export.gk_zones(layers))))
        written += write_report(args, staged(first.with_name(f"{first.stem}.validation.csv")),
                                 out=out)
    print_written(out.final(p) for p in written)
    return 0


#: Each command and the function that runs it.
COMMANDS = {"map": _map, "export": _export}
