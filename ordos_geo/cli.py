"""The ``ordos-geo`` command: a thin shell over the public functions.

Exit codes: 0 done (input usable; repairs are reported), 1 the input must be fixed (or another
ordos_geo error), 2 usage error, 70 an internal error (a bug: please report it with --debug).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from . import _cli_findings, _cli_supervision
from ._version import __version__
from ._errors import OrdosGeoError, UsageError
from .settings import settings
from .utils import enable_logging

__all__ = ["main", "build_parser"]

log = logging.getLogger("ordos_geo")


def _number(kind: str, low: float, *, strict: bool):
    """An argparse type: a finite number ``> low`` (strict) or ``>= low``; else a usage error."""
    import math

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


_GAP = _number("float", 0.0, strict=False)
_AREA = _number("float", 0.0, strict=True)
_COUNT = _number("int", 1, strict=False)


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """The command line, its help in ``lang`` (default ``settings.lang``: Chinese)."""
    from ._messages import HELP_ZH

    zh = settings.get("lang", lang) == "zh"

    def h(text: str) -> str:
        return HELP_ZH.get(text, text) if zh else text

    common, reading = _common_options(h), _reading_options(h)
    parser = argparse.ArgumentParser(
        prog="ordos-geo", parents=[common],
        description=h("鄂尔多斯矿山集中连片治理规划工具 / Ordos mine-remediation planner."))
    parser.add_argument("--version", action="version", version=f"ordos_geo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_validate, _add_zones, _add_progress, _add_map, _add_export,
                _cli_supervision.add_register, _cli_supervision.add_supervision, _add_joint,
                _cli_findings.add_findings, _add_simple):
        add(sub, common, reading, h)
    return parser


def _common_options(h) -> argparse.ArgumentParser:
    """Options accepted before or after the command; SUPPRESS keeps a subcommand from resetting
    them."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS,
                        help=h("message language (default zh)"))
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help=h("more log output"))
    common.add_argument("--no-progress", action="store_true", default=argparse.SUPPRESS,
                        help=h("hide progress bars"))
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=h("show tracebacks of internal errors"))
    return common


def _reading_options(h, *, positional: str = "sites") -> argparse.ArgumentParser:
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


def _add_validate(sub, common, reading, h) -> None:
    v = sub.add_parser("validate", parents=[common, _reading_options(h, positional="path")],
                       help=h("check a sites file and write a report (exit 0 usable, 1 must fix)"))
    v.add_argument("--report", type=Path,
                   help=h("report CSV (default: ./<file name>.validation.csv)"))


def _add_zones(sub, common, reading, h) -> None:
    z = sub.add_parser("zones", parents=[common, reading],
                       help=h("build contiguous-remediation zones with unified standards"))
    z.add_argument("--gap-m", type=_GAP, default=500.0,
                   help=h("link sites within this distance, metres (default 500)"))
    z.add_argument("--max-zone-ha", type=_AREA, help=h("size band: largest zone, hectares"))
    z.add_argument("--max-sites", type=_COUNT, help=h("size band: most sites in a zone"))
    z.add_argument("--rules", type=Path, help=h("rule table YAML (default: the built-in table)"))
    z.add_argument("--islands", choices=["keep", "attach"], default="keep",
                   help=h("isolated sites: own zone (keep) or join the nearest zone (attach)"))
    z.add_argument("--attach-m", type=_GAP, default=1000.0,
                   help=h("with --islands attach: farthest distance to join, metres (default 1000)"))
    z.add_argument("--cross-banner", action="store_true", help=h("allow zones across banners"))
    z.add_argument("--cannot-link", type=Path,
                   help=h("CSV of site pairs (site_a, site_b) that must not share a zone"))
    z.add_argument("--plans", type=Path, help=h("annual plans CSV to check against the zones"))
    z.add_argument("--out", type=Path, required=True, help=h("output folder"))


def _add_progress(sub, common, reading, h) -> None:
    pg = sub.add_parser("progress", parents=[common, reading],
                        help=h("reclamation progress from multi-date imagery"))
    pg.add_argument("--imagery", required=True,
                    help=h("scene manifest (CSV/YAML) or static STAC catalog (catalog.json)"))
    pg.add_argument("--plans", type=Path, help=h("annual plans CSV (mine_id, year, target_ha …)"))
    pg.add_argument("--zones", type=Path, help=h("zones.geojson from `ordos-geo zones`"))
    pg.add_argument("--endmembers", choices=["fixed", "scene"], default="fixed",
                    help=h("FVC end-members: fixed NDVI 0.05/0.75 or the scene's 5th/95th percentiles"))
    pg.add_argument("--out", type=Path, required=True, help=h("output folder"))


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



def _add_joint(sub, common, reading, h) -> None:
    """``terrain`` and ``earthworks``: joint remediation inside the zones."""
    tr = sub.add_parser("terrain", parents=[common, reading],
                        help=h("slope, steep and flat hectares, pit and dump volumes from a DEM"))
    tr.add_argument("--dem", type=Path, required=True, help=h("DEM GeoTIFF in a projected CRS"))
    tr.add_argument("--out", type=Path, required=True, help=h("output folder"))
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
                    help=h("progress_summary.csv from `ordos-geo progress` (adds the year slider)"))
    zs.add_argument("--out", type=Path, required=True, help=h("output folder"))


def _add_simple(sub, common, reading, h) -> None:
    """The commands that read no sites file: rules, demo, schema, versions."""
    r = sub.add_parser("rules", parents=[common], help=h("write the default rule table to edit"))
    r.add_argument("--out", type=Path, help=h("write it to this file instead of printing it"))
    d = sub.add_parser("demo", parents=[common], help=h("run everything on the embedded data"))
    d.add_argument("--out", type=Path, default=Path("output"),
                   help=h("output folder (default output/)"))
    sc = sub.add_parser("schema", parents=[common],
                        help=h("print the data dictionary (zh/en Markdown)"))
    sc.add_argument("--out", type=Path, help=h("write it to this file instead"))
    sub.add_parser("versions", parents=[common], help=h("print library versions (for bug reports)"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    wanted = next((argv[k + 1] for k, a in enumerate(argv[:-1]) if a == "--lang"), None)
    parser = build_parser("en" if wanted == "en" else "zh" if wanted == "zh" else None)
    args = parser.parse_args(argv)  # exits 2 on usage errors
    for name, default in (("lang", None), ("verbose", 0), ("no_progress", False), ("debug", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    if args.lang:
        settings.lang = args.lang
    if args.no_progress:
        settings.progress = False
    enable_logging("DEBUG" if args.verbose > 1 else "INFO" if args.verbose else "WARNING")
    return _guarded(COMMANDS[args.command], args)


def _guarded(command, args: argparse.Namespace) -> int:
    """Run a command: a user's mistake is exit 1 or 2 with a message, a bug exit 70."""
    try:
        return command(args)
    except UsageError as exc:
        print(f"ordos-geo: {exc}", file=sys.stderr)
        return 2
    except OrdosGeoError as exc:
        print(f"ordos-geo: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the final flush is quiet
        except OSError:
            pass
        return 0
    except OSError as exc:  # a file the user named: missing, a folder, not writable, disk full
        if args.debug:
            raise
        from ._messages import msg

        print(f"ordos-geo: {msg('os_error', path=exc.filename or '', reason=exc.strerror or exc)}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last guard: no traceback for users
        if args.debug:
            raise
        print(f"ordos-geo: internal error {type(exc).__name__}: {exc}\n"
              "Please report it with the output of --debug and `ordos-geo versions`.",
              file=sys.stderr)
        return 70


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    _print_written(run_demo(args.out))
    return 0


def _rules(args: argparse.Namespace) -> int:
    from .rules import default_rules_text

    return _print_or_write(default_rules_text(), args.out)


def _schema(args: argparse.Namespace) -> int:
    from .dictionary import markdown

    return _print_or_write(markdown() + "\n", args.out)


def _versions(args: argparse.Namespace) -> int:
    from .utils import show_versions

    show_versions()
    return 0


def _validate(args: argparse.Namespace) -> int:
    from . import io
    from ._messages import msg
    from .sites import validate

    result = validate(args.path, layer=args.layer, encoding=args.encoding, crs=args.crs,
                      gcj02=args.gcj02, kind=args.kind)
    report_path = args.report or Path(f"{args.path.name}.validation.csv")
    _print_problems(result.report)
    print(result.summary())
    io.write_csv(result.report, report_path)
    print(msg("wrote", what="report" if settings.lang == "en" else "校验报告", path=report_path))
    return 0 if result.usable else 1


def _read_sites(args: argparse.Namespace):
    """The sites of a command, read and validated with the shared reading options; repairs,
    filled banners and warnings are printed (the report is in ``args.site_report``)."""
    from . import sites

    frame, report = sites.read_sites(args.sites, layer=args.layer, encoding=args.encoding,
                                     crs=args.crs, gcj02=args.gcj02, kind=args.kind)
    args.site_report = report
    _print_problems(report)
    return frame


def _print_problems(report, limit: int = 30) -> None:
    from ._messages import msg

    shown = report[report["severity"] != "info"]
    for row in shown.head(limit).itertuples():
        print(f"[{row.severity}] {row.feature_id} {row.field}: {row.problem}")
    if len(shown) > limit:
        print(msg("more_in_report", n=len(shown) - limit))


def _write_report(args: argparse.Namespace, path: Path) -> list[Path]:
    """The read report beside the outputs when it holds repairs or warnings."""
    from . import io

    report = getattr(args, "site_report", None)
    if report is None or not (report["severity"] != "info").any():
        return []
    return [io.write_csv(report, path)]


def _print_written(paths) -> None:
    from ._messages import msg

    for path in paths:
        print(msg("wrote", what=Path(path).suffix.lstrip("."), path=path))


def _print_or_write(text: str, out: Path | None) -> int:
    if out is None:
        print(text, end="")
        return 0
    from ._messages import msg
    from .io import atomic_path

    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    print(msg("wrote", what=out.suffix.lstrip("."), path=out))
    return 0


def _cannot_link(path: Path | None) -> list[tuple[str, str]]:
    from . import io
    from ._errors import ValidationError

    if path is None:
        return []
    links, _ = io.read_table(path)
    missing = {"site_a", "site_b"} - set(links.columns)
    if missing:
        raise ValidationError(f"{path}: columns {sorted(missing)} missing; "
                              "the file needs site_a and site_b.")
    return list(zip(links["site_a"], links["site_b"]))


def _zones(args: argparse.Namespace) -> int:
    from . import export, io, plans, rules, zones
    from ._messages import msg

    table = rules.load_rules(args.rules)  # a bad rule table fails before any work
    frame = _read_sites(args)
    pairs = _cannot_link(args.cannot_link)
    plan_table = plans.read_plans(args.plans) if args.plans else None
    result = zones.build_zones(frame, gap_m=args.gap_m, max_zone_ha=args.max_zone_ha,
                               max_sites=args.max_sites, islands=args.islands,
                               attach_m=args.attach_m, cross_banner=args.cross_banner,
                               cannot_link=pairs)
    zoned = rules.apply_rules(result.zones, sites=result.sites, rules=table)
    with io.output_set(args.out) as out:
        written = export.write_zones(zoned, result.sites, out.dir, sources=[str(args.sites)],
                                     parameters={**result.parameters,
                                                 "rules": str(args.rules or "default")})
        if plan_table is not None:
            found = plans.check_plans(plan_table, zones=zoned, sites=result.sites)
            written.append(io.write_csv(found, out.dir / "plan_problems.csv"))
            print(msg("plans_checked", n=len(found)))
        written += _write_report(args, out.dir / "validation_report.csv")
    print(msg("zones_summary", n_zones=len(zoned), n_sites=len(frame),
              n_multi=int((zoned["n_sites"] > 1).sum())))
    _print_written(out.final(p) for p in written)
    return 0


def _scenes(source: str) -> list:
    from . import imagery

    if source.endswith(".json") or source.startswith(("http://", "https://")):
        return imagery.scenes_from_stac(source)
    return imagery.read_manifest(source)


def _progress(args: argparse.Namespace) -> int:
    from . import export, io, plans, reclamation
    from ._messages import msg
    from .imagery import Thresholds

    frame = _read_sites(args)
    zones = None
    if args.zones:
        from .zones import read_zones, zone_of_sites

        zones = read_zones(args.zones)
        frame = frame.assign(zone_id=frame["site_id"].astype(str).map(zone_of_sites(zones)))
    table = plans.read_plans(args.plans) if args.plans else None
    scenes = _scenes(str(args.imagery))
    result = reclamation.progress(frame, scenes, zones=zones, plans=table,
                                  thresholds=Thresholds(endmembers=args.endmembers))
    with io.output_set(args.out) as out:
        written = export.write_progress(result, out.dir)
        written += _write_report(args, out.dir / "validation_report.csv")
    counts = result.summary.drop_duplicates("site_id", keep="last")["status"].value_counts()
    used = int((result.scenes["n_sites_covered"] > 0).sum())
    print(msg("progress_summary", n_sites=result.by_date["site_id"].nunique(),
              n_scenes=used, behind=int(counts.get("behind", 0))))
    if used < len(scenes):
        print(msg("scenes_unused", n=len(scenes) - used))
    _print_written(out.final(p) for p in written)
    return 0


def _map(args: argparse.Namespace) -> int:
    from . import maps, reclamation, zones

    frame = _read_sites(args)
    credit = f"{args.attribution} · {maps.REFERENCE_ATTRIBUTION}" if args.attribution else \
        _attribution_of(args.sites, frame)
    if args.progress:
        m = maps.map_progress(frame, reclamation.read_summary(args.progress),
                              basemap=args.basemap, attribution=credit)
    elif args.zones:
        m = maps.map_zones(zones.read_zones(args.zones), frame, basemap=args.basemap,
                           attribution=credit)
    else:
        m = maps.map_overview(frame, basemap=args.basemap, attribution=credit)
    from . import io

    io.check_output_file(args.out)
    with io.file_set(args.out.parent) as out:
        written = [maps.save_map(m, out.dir / args.out.name)]
        written += _write_report(args, out.dir / f"{args.out.stem}.validation.csv")
    _print_written(out.final(p) for p in written)
    return 0


def _attribution_of(path: Path, frame) -> str:
    """The attribution a GeoPackage written by ordos_geo carries, else one from the file name."""
    from . import io, maps

    text = io.read_metadata(path).get("attribution") if path.suffix.lower() == ".gpkg" \
        else None
    return f"{text} · {maps.REFERENCE_ATTRIBUTION}" if text else \
        maps.attribution_for(frame, source=str(path))


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
    from . import projection, zones

    frame = _read_sites(args)
    frame = frame.assign(area_mu=(frame["area_ha"] * projection.HA_TO_MU).round(3))
    layers = {"sites": frame}
    if args.zones:
        zoned = zones.read_zones(args.zones)
        layers["sites"] = frame.assign(
            zone_id=frame["site_id"].astype(str).map(zones.zone_of_sites(zoned)))
        layers["zones"] = zoned
    return layers


def _export(args: argparse.Namespace) -> int:
    from . import export, io
    from ._messages import msg

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
    credit = args.attribution or _attribution_of(args.sites, layers["sites"]).split(" · ")[0]
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
        written += _write_report(args, staged(first.with_name(f"{first.stem}.validation.csv")))
    _print_written(out.final(p) for p in written)
    return 0



def _text_table(frame) -> str:
    """A table for the terminal: dates as YYYY-MM-DD, empty cells blank, every row."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out.astype(object).where(out.notna(), "").to_string(index=False) if len(out) else "—"



def _terrain(args: argparse.Namespace) -> int:
    from . import export, io, terrain

    frame = _read_sites(args)
    table = terrain.terrain_stats(frame, args.dem)
    with io.output_set(args.out) as out:
        written = [io.write_csv(table.round(3), out.dir / "terrain.csv"),
                   export.write_table(table.round(3), out.dir / "terrain.xlsx")]
        written += _write_report(args, out.dir)
    _print_written([out.final(p) for p in written])
    return 0


def _earthworks(args: argparse.Namespace) -> int:
    from . import earthworks, export, io, maps, terrain, zones

    from . import rules, suitability

    frame = _read_sites(args)
    if args.zones:
        zone_table = zones.read_zones(args.zones)
    else:
        built = zones.build_zones(frame)
        zone_table = rules.apply_rules(built.zones, sites=built.sites)
    table = terrain.terrain_stats(frame, args.dem)
    zone_of = zones.zone_of_sites(zone_table)
    flows, per_zone, kept = earthworks.zone_balances(frame, table, zone_of)
    facts = suitability.zone_facts(zone_table, frame, table, zone_of, retention=kept)
    suited = suitability.suitability(facts, zone_table)
    lines = earthworks.flow_lines(flows, frame)
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
        written += _write_report(args, out.dir)
    _print_written([out.final(p) for p in written])
    return 0


def _zone_sheets(args: argparse.Namespace) -> int:
    from . import earthworks, reclamation, sheets, terrain, zones

    frame = _read_sites(args)
    zone_table = zones.read_zones(args.zones)
    flows = kept = per_zone = None
    if args.dem:
        table = terrain.terrain_stats(frame, args.dem)
        flows, per_zone, kept = earthworks.zone_balances(frame, table,
                                                         zones.zone_of_sites(zone_table))
        flows = earthworks.flow_lines(flows, frame)
    progress = reclamation.read_summary(args.progress) if args.progress else None
    _print_written(sheets.write_zone_sheets(zone_table, frame, args.out, flows=flows,
                                            retained=kept, earthworks=per_zone,
                                            progress=progress))
    return 0



#: Each command and the function that runs it.
COMMANDS = {"validate": _validate, "zones": _zones, "progress": _progress, "map": _map,
            "export": _export, "demo": _demo, "rules": _rules, "schema": _schema,
            "versions": _versions, "terrain": _terrain,
            "earthworks": _earthworks, "zone-sheets": _zone_sheets}
COMMANDS.update(_cli_supervision.COMMANDS)
COMMANDS.update(_cli_findings.COMMANDS)
