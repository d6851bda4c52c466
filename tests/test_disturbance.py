"""Findings from imagery: suspected disturbance outside licences (known answers on the seeded
sample scenes and on scenes built here), new disturbance inside, declared vs detected, the CLI."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from imagery_helpers import ORIGIN, PIXEL, pixel_box

import ordos_geo as og
from ordos_geo import disturbance
from ordos_geo.core.errors import ValidationError

EXE = [sys.executable, "-m", "ordos_geo"]


@pytest.fixture(scope="module")
def sample(sample_imagery):
    manifest, _ = sample_imagery
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    scenes = og.imagery.read_manifest(manifest)
    truth = gpd.read_file(Path(manifest).parent / "truth_disturbance.geojson")
    return sites, scenes, truth, disturbance.detect(sites, scenes)


def _area(frame) -> shapely.Geometry:
    return og.projection.to_equal_area(frame).geometry.union_all()


def test_the_sample_excavation_is_found_with_precision_and_recall_above_0_9(sample):
    sites, _, truth, found = sample
    dug = _area(truth[truth["kind"] == "excavation"])
    flagged = _area(found.suspected)
    both = dug.intersection(flagged).area
    precision, recall = both / flagged.area, both / dug.area
    print(f"precision {precision:.3f} recall {recall:.3f}")
    assert precision >= 0.9 and recall >= 0.9
    row = found.suspected.iloc[0]
    excavation = truth[truth["kind"] == "excavation"].iloc[0]
    assert row["nearest_mine_id"] == excavation["mine_id"]
    assert row["first_seen"].startswith(str(int(excavation["first_year"])))
    assert row["last_seen"] == max(s.date for s in sample[1]).isoformat()
    assert row["n_dates"] >= 2
    # confidence: the share of its pixels confirmed (disturbed on two clear dates in a row up
    # to the last); the ring dug in the last year only is growth, seen once
    per_date = dict(part.split(":") for part in row["dates"].split(";"))
    assert int(per_date[row["last_seen"]]) == row["pixels"]
    confirmed = int(sorted(per_date.items())[-2][1])
    assert row["confidence"] == pytest.approx(confirmed / row["pixels"], abs=0.005)
    assert "疑似" in row["explanation"] and row["nearest_mine_id"] in row["explanation"]


def test_the_ploughed_field_and_the_cloud_are_not_flagged(sample):
    _, _, truth, found = sample
    for kind in ("field", "cloud"):
        place = _area(truth[truth["kind"] == kind])
        assert place.intersection(_area(found.suspected)).area == 0, kind


def test_the_distance_is_to_the_nearest_mine_boundary_in_metres(sample):
    sites, _, _, found = sample
    mine = sites[sites["site_id"] == found.suspected.iloc[0]["nearest_mine_id"]]
    expected = og.projection.to_metric(found.suspected).geometry.iloc[0].distance(
        og.projection.to_metric(mine).geometry.iloc[0])
    assert found.suspected.iloc[0]["distance_m"] == pytest.approx(expected, abs=0.1)
    assert found.suspected.iloc[0]["area_ha"] == pytest.approx(
        og.projection.area_ha(found.suspected).iloc[0], abs=0.01)


# --- scenes built here: every rule on a small grid ---------------------------------------------
N = 60  # 60 × 60 pixels of 10 m (imagery_helpers), UTM 49N


SURFACE = ("grass", "vegetated", "bare", "cloud")  # class numbers 0–3 of the built scenes


def _write(folder: Path, name: str, classes: np.ndarray) -> dict:
    """A Sentinel-2 L2A-like scene (offset 1000) with the sample surfaces and their SCL."""
    import rasterio
    from rasterio.transform import from_origin

    profile = dict(driver="GTiff", width=N, height=N, count=1, crs="EPSG:32649",
                   transform=from_origin(*ORIGIN, PIXEL, PIXEL))
    paths = {}
    for k, band in enumerate(("blue", "green", "red", "nir", "swir1", "qa")):
        data = np.zeros((N, N), dtype=np.uint16)
        for c, surface in enumerate(SURFACE):
            refl, scl = og.samples.SURFACES[surface]
            data[classes == c] = scl if band == "qa" else round(refl[k] * 10000) + 1000
        paths[band] = folder / f"{name}_{band}.tif"
        with rasterio.open(paths[band], "w", dtype="uint16", **profile) as dst:
            dst.write(data, 1)
    return paths


def _scenes(tmp_path, classes_by_date):
    """One scene a year from class rasters (0 grass, 1 vegetated, 2 bare, 3 cloud)."""
    out = []
    for k, classes in enumerate(classes_by_date):
        paths = _write(tmp_path, f"d{k}", classes)
        out.append(og.imagery.Scene(dt.date(2022 + k, 8, 1), "sentinel2-l2a",
                                    {b: (p, 1) for b, p in paths.items()}, "04.00",
                                    scene_id=f"d{k}"))
    return out


def _mine_sites(extra=()):
    geoms = [pixel_box(5, 5, 25, 25)] + [g for g, _ in extra]
    kinds = ["mine"] + [k for _, k in extra]
    return gpd.GeoDataFrame({"site_id": [f"M{k}" for k in range(len(geoms))], "kind": kinds,
                             "banner": "准格尔旗"}, geometry=geoms, crs="EPSG:32649").to_crs(4326)


def _dated(n_dates, *changes):
    """Class rasters: grass everywhere; each change ``(rows, cols, class, dates)``."""
    out = []
    for t in range(n_dates):
        c = np.zeros((N, N), dtype=int)
        for rows, cols, cls, dates in changes:
            if t in dates:
                c[rows, cols] = cls
        out.append(c)
    return out


def test_each_pixel_rule_on_a_built_grid(tmp_path):
    """A dig outside the mine on dates 1–3 is flagged; the same dig on the last date only is
    one date (dropped); a field bare on 1 and 3 but cropped on 2 is seasonal; ground bare on
    every date never dropped in NDVI; a cloud twice; the mine's own pit is inside."""
    dig = (slice(10, 25), slice(30, 45), 2, {1, 2, 3})  # 2.25 ha outside, 50 m from the mine
    late = (slice(40, 50), slice(45, 58), 2, {3})  # 1.3 ha, last date only
    field = (slice(48, 58), slice(5, 20), 2, {1, 3})  # cropped (class 1) on 0 and 2 below
    crop = (slice(48, 58), slice(5, 20), 1, {0, 2})
    always = (slice(30, 40), slice(5, 15), 2, {0, 1, 2, 3})  # never vegetated in the record
    pit = (slice(8, 20), slice(8, 20), 2, {2, 3})  # inside the mine (rows/cols 5–25)
    scenes = _scenes(tmp_path, _dated(4, dig, late, field, crop, always, pit))
    found = disturbance.detect(_mine_sites(), scenes, min_ha=0.5)
    assert len(found.suspected) == 1
    row = found.suspected.iloc[0]
    assert row["area_ha"] == pytest.approx(2.25, rel=0.01)
    assert (row["first_seen"], row["last_seen"], row["n_dates"]) == ("2023-08-01", "2025-08-01", 3)
    assert row["nearest_mine_id"] == "M0" and row["distance_m"] == pytest.approx(50.0, abs=0.5)
    inside = found.new_inside.set_index("mine_id")
    assert inside.loc["M0", "new_disturbed_ha"] == pytest.approx(1.44, rel=0.01)
    assert inside.loc["M0", "first_seen"] == dt.date(2024, 8, 1)
    later = disturbance.detect(_mine_sites(), scenes, since=dt.date(2025, 1, 1))
    assert later.new_inside.empty  # the pit was first disturbed before `since`


@pytest.mark.parametrize("option, value, expected", [
    ("min_ha", 3.0, 0),  # the 2.25 ha dig is below a 3 ha mapping unit
    ("min_dates", 4, 0),  # seen on 3 dates only
    ("search_m", 20.0, 0),  # 50 m from the mine: outside a 20 m search distance
    ("search_m", 2000.0, 1)])
def test_mapping_unit_dates_and_search_distance(tmp_path, option, value, expected):
    dig = (slice(10, 25), slice(30, 45), 2, {1, 2, 3})
    found = disturbance.detect(_mine_sites(), _scenes(tmp_path, _dated(4, dig)),
                               **{option: value})
    assert len(found.suspected) == expected


def test_allowed_land_and_other_sites_are_known_ground(tmp_path):
    dig = (slice(10, 25), slice(30, 45), 2, {1, 2, 3})
    scenes = _scenes(tmp_path, _dated(4, dig))
    allowed = gpd.GeoDataFrame(geometry=[pixel_box(28, 8, 47, 27)], crs="EPSG:32649")
    assert disturbance.detect(_mine_sites(), scenes, allowed=allowed).suspected.empty
    dump = _mine_sites([(pixel_box(28, 8, 47, 27), "dump")])  # a registered dump there
    assert disturbance.detect(dump, scenes).suspected.empty


def test_a_masked_cloud_is_never_disturbance(tmp_path):
    cloud = (slice(30, 45), slice(30, 45), 3, {2, 3})  # SCL 9 on the last two dates
    found = disturbance.detect(_mine_sites(), _scenes(tmp_path, _dated(4, cloud)))
    assert found.suspected.empty


def test_without_mines_it_says_so(tmp_path):
    sites = _mine_sites().assign(kind="dump")
    with pytest.raises(ValidationError, match="kind"):
        disturbance.detect(sites, _scenes(tmp_path, _dated(2)))


def test_findings_are_register_finding_events(sample, tmp_path):
    _, _, _, found = sample
    table = disturbance.findings_table(found.suspected, checked_by="张三", tracked_by="李四",
                                       responsible="王五")
    assert list(table.columns) == disturbance.FINDING_COLUMNS
    assert (table["event"] == "finding").all()
    path = og.io.write_csv(table, tmp_path / "findings.csv")
    with og.register.init(tmp_path / "r.gpkg", sites=sample[0]) as reg:
        assert reg.import_table(path)["events"] == len(table)
        history = reg.history(mine_id=table["mine_id"].iloc[0])
    finding = history[history["event"] == "finding"]
    assert len(finding) == 1 and finding["responsible"].iloc[0] == "王五"


# --- declared vs detected ----------------------------------------------------------------------
def _summary():
    """Progress summary of two mines: baseline 2021, gains known."""
    rows = [("A", 2021, 2021, 0.0), ("A", 2022, 2021, 10.0), ("A", 2023, 2021, 20.0),
            ("B", 2021, 2021, 0.0), ("B", 2022, 2021, 2.0), ("B", 2023, 2021, 3.0)]
    return pd.DataFrame(rows, columns=["site_id", "year", "baseline_year", "detected_gain_ha"])


def test_declarations_against_detected_gain_with_known_answers():
    declared = pd.DataFrame({"mine_id": ["A", "A", "A", "B", "B", "C"],
                             "year": [2021, 2022, 2023, 2022, 2023, 2023],
                             "declared_reclaimed_ha": [5.0, 10.0, 11.0, 5.0, 6.0, 1.0]})
    out = disturbance.compare_declarations(declared, summary=_summary(), tolerance_ha=0.5,
                                           tolerance_share=0.1)
    got = out.set_index(["mine_id", "year"])
    assert got.loc[("A", 2021), "status"] == "baseline"
    assert got.loc[("A", 2022), "declared_since_baseline_ha"] == 10.0
    assert got.loc[("A", 2022), "status"] == "consistent"
    # 21 declared since 2021 vs 20 detected: 1 ha over, allowance max(0.5, 2.1) → consistent
    assert got.loc[("A", 2023), "status"] == "consistent"
    assert got.loc[("B", 2022), "excess_ha"] == 3.0 and got.loc[("B", 2022), "status"] == \
        "over_declared"
    assert got.loc[("B", 2023), "excess_ha"] == 8.0  # 11 declared vs 3 detected
    assert got.loc[("C", 2023), "status"] == "no_data"
    assert "偏高" in got.loc[("B", 2023), "explanation"]


def test_a_declarations_table_with_chinese_headers_and_mu(tmp_path):
    path = tmp_path / "申报.csv"
    pd.DataFrame({"矿山编号": ["A", "B"], "年度": [2022, 2022],
                  "申报复垦面积（亩）": [150, 30]}).to_csv(path, index=False, encoding="gbk")
    table = disturbance.read_declarations(path)
    assert table["declared_reclaimed_ha"].tolist() == pytest.approx([10.0, 2.0])


def test_a_bad_declaration_row_is_named(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame({"mine_id": ["A", ""], "year": [2022, "去年"],
                  "declared_reclaimed_ha": [1, -2]}).to_csv(path, index=False)
    with pytest.raises(ValidationError) as err:
        disturbance.read_declarations(path)
    text = str(err.value)
    assert "3" in text and "year" in text and "'去年'" in text and "declared_reclaimed_ha" in text


# --- the commands ------------------------------------------------------------------------------
def test_disturbance_and_declarations_commands(sample_imagery, tmp_path):
    manifest, _ = sample_imagery
    sites = og.datasets.synthetic_sites_path()
    out = tmp_path / "found"
    res = subprocess.run([*EXE, "disturbance", str(sites), "--imagery", str(manifest),
                          "--out", str(out), "--checked-by", "张三"], capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    for name in ("suspected_outside.geojson", "findings.csv", "new_inside.csv",
                 "disturbance_map.html"):
        assert (out / name).exists() and str(out / name) in res.stdout, name
    assert "签名" in res.stdout  # tracked_by and responsible still empty
    suspects = gpd.read_file(out / "suspected_outside.geojson")
    assert set(disturbance.SUSPECTED_COLUMNS) <= set(suspects.columns)
    assert suspects.crs.to_epsg() == 4326
    progress = tmp_path / "progress"
    res = subprocess.run([*EXE, "progress", str(sites), "--imagery", str(manifest), "--out",
                          str(progress)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    summary = pd.read_csv(progress / "progress_summary.csv")
    mine = summary[summary["site_id"].str.startswith("SYN-M")].dropna(
        subset=["detected_gain_ha"]).iloc[-1]
    table = tmp_path / "declared.csv"
    pd.DataFrame({"mine_id": [mine["site_id"]], "year": [mine["year"]],
                  "declared_reclaimed_ha": [mine["detected_gain_ha"] + 50]}).to_csv(table,
                                                                                  index=False)
    res = subprocess.run([*EXE, "declarations", str(table), "--progress", str(progress),
                          "--out", str(tmp_path / "decl")], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    over = pd.read_csv(tmp_path / "decl" / "over_declared.csv")
    assert over["mine_id"].tolist() == [mine["site_id"]]
    res = subprocess.run([*EXE, "declarations", str(table), "--progress", str(tmp_path),
                          "--out", str(tmp_path / "x")], capture_output=True, text=True)
    assert res.returncode == 1 and "progress_summary.csv" in res.stderr + res.stdout


def test_the_map_shows_the_suspects_in_their_colour_offline(sample, tmp_path, browser):
    from browser_helpers import open_offline

    sites, _, _, found = sample
    og.settings.lang = "zh"
    path = og.maps.save_map(og.maps.map_disturbance(sites, found.suspected),
                            tmp_path / "disturbance.html")
    page, errors, external, _ = open_offline(browser, path)
    shown = page.evaluate("""() => { var out = []; window.ordosLayers.suspected.eachLayer(
        function (l) { out.push([l.feature.properties.t, l.options.fillColor]); });
        return out; }""")
    assert [(t[0], c) for t, c in shown] == [(i, og.symbology.colours()["suspected"]) for i in found.suspected["suspect_id"]]
    first = dict(zip(["suspect_id", "nearest_mine_id", "distance_m", "area_ha", "first_seen",
                      "last_seen"], shown[0][0]))
    assert first["first_seen"] == found.suspected["first_seen"].iloc[0]
    assert "疑似越界扰动" in " ".join(page.locator(".ordos-legend").all_inner_texts())
    assert errors == [] and external == []


def test_more_dates_than_a_byte_holds_are_refused_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(disturbance, "_NONE", 3)
    with pytest.raises(ValidationError, match="3"):
        disturbance.detect(_mine_sites(), _scenes(tmp_path, _dated(3)))


def test_an_allowed_layer_without_a_crs_is_refused_with_a_message(tmp_path):
    from ordos_geo.core.errors import CRSError

    allowed = gpd.GeoDataFrame(geometry=[pixel_box(28, 8, 47, 27)])  # no CRS
    with pytest.raises(CRSError, match="--allowed"):
        disturbance.detect(_mine_sites(), _scenes(tmp_path, _dated(2)), allowed=allowed)


def test_sample_scenes_without_room_for_the_changes_say_so():
    """With no ground for the sample excavation (a window too small for it), a message."""
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    mines = og.projection.to_metric(sites[sites["kind"] == "mine"])
    ground = shapely.union_all(mines.geometry.buffer(60).to_numpy())
    with pytest.raises(ValidationError, match="excavation"):
        og.samples._free_edge(mines, ground, shapely.box(0, 0, 1, 1))
    with pytest.raises(ValidationError, match="field"):
        og.samples._free_spot(ground, ground, shapely.box(0, 0, 1, 1), 200, (500, 300),
                              avoid=shapely.Point(0, 0))
