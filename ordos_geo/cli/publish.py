"""``map`` (an offline HTML map) and ``export`` (sites and zones for GIS staff)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..core.errors import UsageError
from ..core.messages import msg
from .common import attribution_of, print_written, read_sites, write_report

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
                    help=h("progress_summary.csv from `ordos-geo progress` (adds the year slider)"))
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
    ex.add_argument("--format", choices=["geojson", "gpkg", "shp", "xlsx"], required=True)
    ex.add_argument("--out-encoding", choices=["UTF-8", "GBK"], default="UTF-8",
                    help=h("Shapefile attribute encoding written (default UTF-8; GBK for older "
                           "software)"))
    ex.add_argument("--gk", action="store_true",
                    help=h("also write a CGCS2000 Gauss-Krüger copy in the same format "
                           "(gpkg or shp; GeoJSON is lon/lat by RFC 7946)"))
    ex.add_argument("--attribution", help=h("the data's sources, kept in the GeoPackage metadata"))
    ex.add_argument("--out", type=Path, required=True,
                    help=h("output file (geojson/gpkg/xlsx) or folder (shp)"))


def _map(args: argparse.Namespace) -> int:
    from ..imagery import reclamation
    from ..publish import maps
    from ..zoning import zones

    frame = read_sites(args)
    credit = f"{args.attribution} · {maps.REFERENCE_ATTRIBUTION}" if args.attribution else \
        attribution_of(args.sites, frame)
    if args.progress:
        m = maps.map_progress(frame, reclamation.read_summary(args.progress),
                              basemap=args.basemap, attribution=credit)
    elif args.zones:
        m = maps.map_zones(zones.read_zones(args.zones), frame, basemap=args.basemap,
                           attribution=credit)
    else:
        m = maps.map_overview(frame, basemap=args.basemap, attribution=credit)
    from .. import io

    io.check_output_file(args.out)
    with io.file_set(args.out.parent) as out:
        written = [maps.save_map(m, out.dir / args.out.name)]
        written += write_report(args, out.dir / f"{args.out.stem}.validation.csv")
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
    layers = _export_layers(args)
    targets = _export_targets(args.out, args.format, list(layers))
    suffix = ".shp" if args.format == "shp" else ".gpkg"
    gk = {name: args.out.parent / f"{name}_cgcs2000_gk{suffix}" for name in layers} \
        if args.gk else {}
    for target in [*targets.values(), *gk.values()]:
        io.check_output_file(target)
    folder = Path(os.path.commonpath([p.parent.absolute()
                                      for p in [*targets.values(), *gk.values()]]))
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
            if args.gk and args.format == "shp":
                written += io.write_shapefile(flat, staged(gk[name]),
                                                  encoding=args.out_encoding,
                                                  crs=export.gk_crs_for(layer))
            elif args.gk:
                written.append(export.write_gk_copy(flat, staged(gk[name])))
        first = targets["sites"]
        written += write_report(args, staged(first.with_name(f"{first.stem}.validation.csv")))
    print_written(out.final(p) for p in written)
    return 0


#: Each command and the function that runs it.
COMMANDS = {"map": _map, "export": _export}
