"""Land cover: ``classify`` (a random forest trained from labels, or a saved one, maps the
classes of a season's scenes), ``accuracy-sample`` (a stratified random sample of a class map, as an
interpretation sheet) and ``accuracy`` (Olofsson et al. 2014's error matrix, accuracies and
areas with 95 % intervals, from the filled sheet)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.errors import UsageError
from ..core.messages import msg
from .common import COUNT, SEED, print_written

__all__ = ["add", "COMMANDS"]


def add(sub, common, reading, h) -> None:
    c = sub.add_parser("classify", parents=[common],
                       help=h("a land-cover map from a season's scenes (random forest)"))
    c.add_argument("--imagery", required=True,
                   help=h("scene manifest (CSV/YAML) or static STAC catalog (catalog.json)"))
    how = c.add_mutually_exclusive_group(required=True)
    how.add_argument("--labels", type=Path,
                     help=h("labelled polygons or points (GeoJSON/GPKG) to train from"))
    how.add_argument("--model", type=Path, help=h("a model saved by an earlier classify"))
    c.add_argument("--class-field", default="class",
                   help=h("the labels' class field (codes or names; default class)"))
    c.add_argument("--year", type=int,
                   help=h("the year whose scenes to use (default the latest)"))
    c.add_argument("--trees", type=int, default=50, help=h("trees of the forest (default 50)"))
    c.add_argument("--block-m", type=float, default=1000.0,
                   help=h("blocks of the spatial cross-validation, m (default 1000)"))
    c.add_argument("--out", type=Path, required=True, help=h("output folder"))
    s = sub.add_parser("accuracy-sample", parents=[common],
                       help=h("a stratified random sample of a class map to label (Olofsson)"))
    s.add_argument("map", type=Path, help=h("class map: one-band GeoTIFF of class codes, metres"))
    s.add_argument("--n", type=COUNT, default=None, help=h("sample size (default 600)"))
    s.add_argument("--allocation", default="olofsson",
                   help=h("olofsson (≥ 50 per class, the rest by area), proportional, equal, "
                          "or class=n pairs such as 1=100,4=200"))
    s.add_argument("--seed", type=SEED, default=2026, help=h("random seed (recorded)"))
    s.add_argument("--out", type=Path, required=True, help=h("output folder"))
    a = sub.add_parser("accuracy", parents=[common],
                       help=h("accuracy and areas with 95 %% intervals from a labelled sample"))
    a.add_argument("map", type=Path, help=h("class map: one-band GeoTIFF of class codes, metres"))
    a.add_argument("--reference", type=Path, required=True,
                   help=h("the filled interpretation sheet (CSV/XLSX)"))
    a.add_argument("--zones", type=Path,
                   help=h("zones.geojson: estimates per zone and banner where the sample allows"))
    a.add_argument("--out", type=Path, required=True, help=h("output folder"))


def _season(args) -> list:
    from .common import read_scenes

    scenes = read_scenes(args.imagery)
    years = sorted({s.year for s in scenes})
    year = args.year if args.year is not None else years[-1]
    chosen = [s for s in scenes if s.year == year]
    if not chosen:
        raise UsageError(msg("classify_year", year=year, years=", ".join(map(str, years))))
    return chosen


def _classify(args: argparse.Namespace) -> int:
    import json

    from .. import io
    from ..imagery import classify

    if args.trees < 1 or not args.block_m > 0:
        raise UsageError(msg("classify_options", trees=args.trees, block=args.block_m))
    scenes = _season(args)
    if args.labels is not None:
        labels = io.read_vector(args.labels).frame
        model = classify.train(scenes, labels, class_field=args.class_field, trees=args.trees,
                               block_m=args.block_m)
    else:
        model = classify.load(args.model)
    with io.output_set(args.out) as out:
        landcover = classify.predict(model, scenes, out.dir / "landcover.tif")
        written = [landcover, io.write_csv(classify.class_areas(landcover),
                                           out.dir / "class_areas.csv")]
        if args.labels is not None:
            written += [classify.save(model, out.dir / "model.skops"),
                        io.write_csv(model.cv, out.dir / "cv.csv"),
                        io.write_csv(_labels_report(model), out.dir / "labels_report.csv")]
            with io.atomic_path(out.dir / "model.json") as tmp:
                Path(tmp).write_text(json.dumps(model.meta, ensure_ascii=False, indent=2),
                                     "utf-8")
            written.append(out.dir / "model.json")
    cv = model.meta.get("cv_overall_accuracy")
    print(msg("classify_summary", n=len(scenes), year=scenes[0].year,
              cv="—" if cv is None else f"{cv:.3f}"))
    print_written(out.final(p) for p in written)
    return 0


def _labels_report(model):
    import pandas as pd

    return pd.DataFrame(model.meta["labels"])


def _allocation(text: str):
    if "=" not in text:
        return text
    out = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        try:
            code, n = int(key), int(value)
        except ValueError:
            raise UsageError(msg("accuracy_allocation", text=repr(text))) from None
        if code in out or n < 0:  # 1=100,1=5: which one was meant is not ours to guess
            raise UsageError(msg("accuracy_allocation", text=repr(text)))
        out[code] = n
    return out


def _sample(args: argparse.Namespace) -> int:
    from .. import io
    from ..imagery import accuracy
    from ..publish import export

    allocation = _allocation(args.allocation)
    n = args.n if args.n is not None else 600
    if isinstance(allocation, dict):
        if args.n is not None and args.n != sum(allocation.values()):
            raise UsageError(msg("accuracy_n_pairs", n=args.n, total=sum(allocation.values())))
        n = sum(allocation.values())
    sheet, design = accuracy.draw_sample(args.map, n=n, allocation=allocation, seed=args.seed)
    import geopandas as gpd

    points = gpd.GeoDataFrame(sheet.drop(columns=["x", "y"]), crs="EPSG:4326",
                              geometry=gpd.points_from_xy(sheet["lon"], sheet["lat"]))
    with io.output_set(args.out) as out:
        written = [io.write_csv(sheet, out.dir / "sheet.csv"),
                   export.write_table(sheet, out.dir / "sheet.xlsx"),
                   io.write_geojson(points, out.dir / "sheet.geojson"),
                   accuracy.write_design(design, out.dir / "design.json")]
    print(msg("accuracy_sample_summary", n=len(sheet), k=len(design["classes"]),
              seed=args.seed))
    if len(sheet) < n:  # asked for more than the map has pixels: every pixel, said
        print(msg("accuracy_sample_all", asked=n, n=len(sheet)))
    print_written(out.final(p) for p in written)
    return 0


def _accuracy(args: argparse.Namespace) -> int:
    import pandas as pd

    from .. import io
    from ..imagery import accuracy
    from ..publish import export
    from ..zoning.zones import read_zones

    info = accuracy.read_map(args.map)
    regions = accuracy.zone_regions(read_zones(args.zones), info) if args.zones else None
    result = accuracy.assess(args.map, args.reference, regions=regions,
                             source=str(args.reference))
    whole = result["map"]
    names = lambda frame: frame.assign(class_name=[  # noqa: E731
        accuracy.class_name(c) if c != "" else "" for c in frame["class"]])
    matrix = whole.error_matrix.reset_index()
    parts = [names(a.areas).assign(region=key) for key, a in result.items() if key != "map"]
    with io.output_set(args.out) as out:
        written = [io.write_csv(matrix, out.dir / "error_matrix.csv"),
                   io.write_csv(whole.counts.reset_index(), out.dir / "error_matrix_counts.csv"),
                   io.write_csv(names(whole.accuracy), out.dir / "accuracy.csv"),
                   io.write_csv(names(whole.areas), out.dir / "areas.csv"),
                   export.write_table(names(whole.areas), out.dir / "areas.xlsx"),
                   io.write_csv(accuracy.vegetated_table(result), out.dir / "vegetated.csv")]
        if parts:
            written.append(io.write_csv(pd.concat(parts, ignore_index=True),
                                        out.dir / "areas_by_region.csv"))
    overall = whole.accuracy.iloc[0]
    print(msg("accuracy_summary", n=int(overall["n"]), oa=f"{overall['estimate']:.3f}",
              ci=f"{overall['ci95']:.3f}" if overall["ci95"] == overall["ci95"] else "—"))
    print_written(out.final(p) for p in written)
    return 0


COMMANDS = {"classify": _classify, "accuracy-sample": _sample, "accuracy": _accuracy}
