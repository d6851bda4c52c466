"""Imagery: ``progress`` (reclamation progress from multi-date scenes), ``disturbance``
(suspected disturbance outside licences, new disturbance inside, register findings, a map) and
``declarations`` (declared vs detected reclamation)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.messages import msg
from .common import (
    AREA,
    COUNT,
    GAP,
    add_scheduler,
    date_type,
    print_written,
    progress_summary_path,
    read_scenes,
    read_sites,
    write_report,
)

__all__ = ["add_progress", "add_findings", "COMMANDS"]


def add_progress(sub, common, reading, h) -> None:
    pg = sub.add_parser("progress", parents=[common, reading],
                        help=h("reclamation progress from multi-date imagery"))
    pg.add_argument("--imagery", required=True,
                    help=h("scene manifest (CSV/YAML) or static STAC catalog (catalog.json)"))
    pg.add_argument("--plans", type=Path, help=h("annual plans CSV (mine_id, year, target_ha …)"))
    pg.add_argument("--zones", type=Path, help=h("zones.geojson from `ordos-geo zones`"))
    pg.add_argument("--endmembers", choices=["fixed", "scene"], default="fixed",
                    help=h("FVC end-members: fixed NDVI 0.05/0.75 or the scene's 5th/95th percentiles"))
    pg.add_argument("--classifier", type=Path,
                    help=h("a land-cover model from `ordos-geo classify`, instead of thresholds"))
    pg.add_argument("--reference", type=Path,
                    help=h("a filled interpretation sheet of the latest year's class map: "
                           "vegetated hectares ± 95 %% (with --classifier)"))
    pg.add_argument("--out", type=Path, required=True, help=h("output folder"))
    add_scheduler(pg, h)


def add_findings(sub, common, reading, h) -> None:
    """The parsers of ``disturbance`` and ``declarations``."""
    ds = sub.add_parser("disturbance", parents=[common, reading],
                        help=h("suspected disturbance outside licences from imagery"))
    ds.add_argument("--imagery", required=True,
                    help=h("scene manifest (CSV/YAML) or static STAC catalog (catalog.json)"))
    ds.add_argument("--search-m", type=GAP, default=None,
                    help=h("search distance around mine boundaries, m (default 2000)"))
    ds.add_argument("--min-ha", type=AREA, default=None,
                    help=h("minimum mapping unit, ha (default 0.5)"))
    ds.add_argument("--min-dates", type=COUNT, default=None,
                    help=h("clear dates a suspect must be seen on (default 2)"))
    ds.add_argument("--allowed", type=Path,
                    help=h("layer of permitted land (approved temporary use, roads, towns)"))
    ds.add_argument("--since", type=date_type,
                    help=h("new disturbance inside licences from this date, YYYY-MM-DD"))
    ds.add_argument("--rules", type=Path, help=h("an edited copy of disturbance.yaml"))
    ds.add_argument("--classifier", type=Path,
                    help=h("a land-cover model from `ordos-geo classify`: yearly class maps "
                           "judge the pixels instead of thresholds"))
    for name, text in (("checked-by", "who checked (核查人)"), ("tracked-by", "who tracks (跟踪人)"),
                       ("responsible", "who answers for it (责任人)")):
        ds.add_argument(f"--{name}", default="", help=h(text))
    ds.add_argument("--out", type=Path, required=True, help=h("output folder"))
    add_scheduler(ds, h)
    dc = sub.add_parser("declarations", parents=[common],
                        help=h("declared vs detected reclamation"))
    dc.add_argument("table", type=Path,
                    help=h("declarations CSV/XLSX: mine_id, year, declared_reclaimed_ha"))
    dc.add_argument("--progress", type=Path, required=True,
                    help=h("output folder of `ordos-geo progress` (or its progress_summary.csv)"))
    dc.add_argument("--rules", type=Path, help=h("an edited copy of disturbance.yaml"))
    dc.add_argument("--out", type=Path, required=True, help=h("output folder"))


def _progress(args: argparse.Namespace) -> int:
    from .. import io
    from ..core import cluster
    from ..imagery import Thresholds, reclamation
    from ..publish import export
    from ..zoning import plans

    frame = read_sites(args)
    zones = None
    if args.zones:
        from ..zoning.zones import read_zones, zone_of_sites

        zones = read_zones(args.zones)
        frame = frame.assign(zone_id=frame["site_id"].astype(str).map(zone_of_sites(zones)))
    table = plans.read_plans(args.plans) if args.plans else None
    scenes = read_scenes(str(args.imagery))
    model = None
    if args.classifier:
        from ..imagery import classify

        model = classify.load(args.classifier)  # a bad model fails before any work
    with cluster.connect(args.scheduler) as client:
        result = reclamation.progress(frame, scenes, zones=zones, plans=table, client=client,
                                      thresholds=Thresholds(endmembers=args.endmembers),
                                      classifier=model, reference=args.reference)
    with io.output_set(args.out) as out:
        written = export.write_progress(result, out.dir)
        written += write_report(args, out.dir / "validation_report.csv", out=out)
    counts = result.summary.drop_duplicates("site_id", keep="last")["status"].value_counts()
    used = int((result.scenes["n_sites_covered"] > 0).sum())
    print(msg("progress_summary", n_sites=result.by_date["site_id"].nunique(),
              n_scenes=used, behind=int(counts.get("behind", 0))))
    if used < len(scenes):
        print(msg("scenes_unused", n=len(scenes) - used))
    print_written(out.final(p) for p in written)
    return 0


def _disturbance(args: argparse.Namespace) -> int:
    from .. import io
    from ..core import cluster
    from ..imagery import disturbance
    from ..publish import maps

    disturbance.load_thresholds(args.rules)  # a bad table fails before any work
    model = None
    if args.classifier:
        from ..imagery import classify

        model = classify.load(args.classifier)  # a bad model fails before any work
    frame = read_sites(args)
    allowed = io.read_vector(args.allowed).frame if args.allowed else None
    scenes = read_scenes(str(args.imagery))
    with cluster.connect(args.scheduler) as client:
        result = disturbance.detect(frame, scenes, search_m=args.search_m, min_ha=args.min_ha,
                                    min_dates=args.min_dates, allowed=allowed, since=args.since,
                                    rules=args.rules, client=client, classifier=model)
    findings = disturbance.findings_table(result.suspected, checked_by=args.checked_by,
                                          tracked_by=args.tracked_by,
                                          responsible=args.responsible)
    with io.output_set(args.out) as out:
        written = [io.write_geojson(result.suspected, out.dir / "suspected_outside.geojson"),
                   io.write_csv(findings, out.dir / "findings.csv"),
                   io.write_csv(result.new_inside, out.dir / "new_inside.csv"),
                   maps.save_map(maps.map_disturbance(frame, result.suspected),
                                 out.dir / "disturbance_map.html")]
        if model is not None:
            written.append(io.write_csv(result.classes_by_year, out.dir / "classes_by_year.csv"))
        written += write_report(args, out.dir / "validation_report.csv", out=out)
    years = sorted({s.date.year for s in scenes})
    if model is not None and len(years) < 2:
        print(msg("dist_one_year", year=years[0] if years else "—"))
    print(msg("dist_summary", n_out=len(result.suspected),
              ha_out=round(float(result.suspected["area_ha"].sum()), 2),
              n_in=len(result.new_inside), n_scenes=len(result.scenes)))
    if len(findings) and not (args.checked_by and args.tracked_by and args.responsible):
        print(msg("dist_unsigned"))
    print_written(out.final(p) for p in written)
    return 0


def _declarations(args: argparse.Namespace) -> int:
    from .. import io
    from ..imagery import disturbance, reclamation

    disturbance.load_thresholds(args.rules)  # a bad table fails before any work
    summary_path = progress_summary_path(args.progress)
    table = disturbance.compare_declarations(disturbance.read_declarations(args.table),
                                             summary=reclamation.read_summary(summary_path),
                                             rules=args.rules)
    over = table[table["status"] == "over_declared"]
    with io.output_set(args.out) as out:
        written = [io.write_csv(table, out.dir / "declarations.csv"),
                   io.write_csv(over, out.dir / "over_declared.csv")]
    print(msg("decl_summary", n=len(table), n_over=len(over)))
    print_written(out.final(p) for p in written)
    return 0


#: Each command and the function that runs it.
COMMANDS = {"progress": _progress, "disturbance": _disturbance, "declarations": _declarations}
