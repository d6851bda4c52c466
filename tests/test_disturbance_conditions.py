"""Disturbance under the conditions Ordos has (issue 22): dry years, fallow fields, rotation then
digging, clouds the SCL band misses, a regional drought after a wet year, crops with three
scenes a year — on labelled random scenes (og.scenarios) and on scenes built here
whose every pixel is known; and the evidence each suspect carries."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

import ordos_geo as og
from ordos_geo.imagery import disturbance, scenarios
from ordos_geo.imagery.scenes import Thresholds, measures, missed_cloud, valid_mask

QUIET = [f for f in scenarios.FAMILIES if f not in scenarios.FINDING_FAMILIES]


def _run(tmp_path, family, seed):
    case = scenarios.write_scenario(tmp_path / f"{family}{seed}", family=family, seed=seed)
    found = disturbance.detect(case.sites, case.scenes, show_progress=False)
    return case, found


@pytest.mark.parametrize("family", QUIET)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_drought_fallow_missed_cloud_and_crops_give_no_suspect_at_all(tmp_path, family, seed):
    _, found = _run(tmp_path, family, seed)
    assert found.suspected.empty, found.suspected.drop(columns="geometry").to_dict("records")


def test_excavations_in_wet_dry_drought_and_rotation_years_are_found(tmp_path):
    """Precision and recall of flagged area ≥ 0.9 over the finding families (3 seeds each:
    the benchmark runs 12)."""
    rows = []
    for family in scenarios.FINDING_FAMILIES:
        for seed in (0, 1, 2):
            case, found = _run(tmp_path, family, seed)
            rows.append(scenarios.score(found.suspected, case))
    t = pd.DataFrame(rows)
    precision = t["both_ha"].sum() / t["flagged_ha"].sum()
    recall = t["both_ha"].sum() / t["true_ha"].sum()
    print(t.round(2).to_string(), precision, recall)
    assert precision >= 0.9 and recall >= 0.9


def test_the_scenario_truth_is_what_was_drawn(tmp_path):
    """The truth mask of a control scenario is the dug disk, outside the licence, of the
    drawn size and distance (the benchmark scores against it)."""
    case = scenarios.write_scenario(tmp_path, family="control", seed=5)
    px_ha = scenarios.PIXEL ** 2 / 1e4
    assert case.truth.sum() * px_ha == pytest.approx(case.drawn["ha"], rel=0.15, abs=0.2)
    cols = np.flatnonzero(case.truth.any(axis=0))
    assert (cols.min() - scenarios.MINE[2]) * scenarios.PIXEL == pytest.approx(
        case.drawn["gap_m"], abs=scenarios.PIXEL * 1.5)
    with pytest.raises(ValueError, match="family"):
        scenarios.write_scenario(tmp_path, family="nope", seed=0)


# --- scenes built here: every pixel known --------------------------------------------------------
N = 60
PIXEL = 10.0
ORIGIN = (517_000.0, 4_420_000.0)  # UTM 49N, Xuejiawan (Jungar Banner)


def pixel_box(c0, r0, c1, r1):
    import shapely

    x0, y0 = ORIGIN
    return shapely.box(x0 + c0 * PIXEL, y0 - r1 * PIXEL, x0 + c1 * PIXEL, y0 - r0 * PIXEL)

GRASS = (0.054, 0.090, 0.084, 0.324, 0.216)  # steppe: NDVI 0.588, BSI −0.115, bright 0.154
DRY = (0.072, 0.105, 0.117, 0.267, 0.243)  # the same, half the cover: NDVI 0.391
WET = (0.046, 0.085, 0.070, 0.350, 0.205)  # a wet year: NDVI 0.667
SPOIL = (0.14, 0.18, 0.22, 0.27, 0.36)  # excavation: NDVI 0.102, BSI 0.170, bright 0.234
CROP = (0.038, 0.074, 0.054, 0.366, 0.194)  # a crop in July: NDVI 0.743
FALLOW = (0.066, 0.088, 0.103, 0.177, 0.208)  # weeds on topsoil: NDVI 0.264, bright 0.128
CLOUD = (0.42, 0.44, 0.45, 0.48, 0.38)
SHADOW = tuple(0.25 * v for v in GRASS)  # a cloud shadow on grass: dark, NDVI of grass
SURF = {"grass": GRASS, "dry": DRY, "wet": WET, "spoil": SPOIL, "crop": CROP, "fallow": FALLOW,
        "cloud": CLOUD, "shadow": SHADOW}


def _scene(folder: Path, t: int, date: dt.date, layout: dict, *, prob=None):
    """One Sentinel-2-like scene: ``layout`` maps a surface to its pixel mask (the rest
    ``layout['base']``); SCL 4 everywhere (the band sees no cloud)."""
    from rasterio.transform import from_origin

    refl = np.zeros((5, N, N))
    refl[:] = np.array(SURF[layout.get("base", "grass")])[:, None, None]
    for name, mask in layout.items():
        if name != "base":
            refl[:, mask] = np.array(SURF[name])[:, None]
    profile = dict(driver="GTiff", width=N, height=N, count=1, crs="EPSG:32649",
                   transform=from_origin(*ORIGIN, PIXEL, PIXEL))
    bands = {}
    layers = {b: (np.round(refl[k] * 1e4) + 1000).astype(np.uint16)
              for k, b in enumerate(("blue", "green", "red", "nir", "swir1"))}
    layers["qa"] = np.full((N, N), 4, np.uint8)
    if prob is not None:
        layers["cloudprob"] = prob.astype(np.uint8)
    for band, data in layers.items():
        path = folder / f"t{t}_{band}.tif"
        with rasterio.open(path, "w", dtype=data.dtype.name, **profile) as dst:
            dst.write(data, 1)
        bands[band] = (path, 1)
    return og.imagery.Scene(date, "sentinel2-l2a", bands, "04.00", scene_id=f"t{t}")


def _mine():
    import geopandas as gpd

    return gpd.GeoDataFrame({"site_id": ["M0"], "kind": ["mine"], "banner": ["准格尔旗"]},
                            geometry=[pixel_box(5, 5, 25, 25)], crs="EPSG:32649").to_crs(4326)


def _box(r0, r1, c0, c1):
    m = np.zeros((N, N), bool)
    m[r0:r1, c0:c1] = True
    return m


PLOT = _box(10, 25, 30, 45)  # 2.25 ha, 50 m east of the mine
YEARS = range(2019, 2026)


def _detect(tmp_path, layouts, *, sites=None, **kw):
    tmp_path.mkdir(parents=True, exist_ok=True)
    scenes = [_scene(tmp_path, t, dt.date(y, 8, 15), layout, **kw.pop(f"t{t}", {}))
              for t, (y, layout) in enumerate(zip(YEARS, layouts))]
    return disturbance.detect(_mine() if sites is None else sites, scenes, show_progress=False,
                              **kw)


def test_a_dry_august_before_the_dig_does_not_hide_it(tmp_path):
    """The old `seasonal` flag never cleared: one dry August in 2020 (the plot dips and
    recovers) hid the excavation of 2022–25."""
    layouts = [{}, {"dry": PLOT}, {}, {"spoil": PLOT}, {"spoil": PLOT}, {"spoil": PLOT},
               {"spoil": PLOT}]
    found = _detect(tmp_path, layouts)
    assert len(found.suspected) == 1
    row = found.suspected.iloc[0]
    assert row["area_ha"] == pytest.approx(2.25, rel=0.01) and row["first_seen"] == "2022-08-15"
    assert row["pixels"] == PLOT.sum() and row["confidence"] == 1.0


def test_a_field_in_rotation_then_dug_is_found_and_a_fallow_field_is_not(tmp_path):
    rotation = [{"crop": PLOT}, {"fallow": PLOT}, {"crop": PLOT}, {"spoil": PLOT},
                {"spoil": PLOT}, {"spoil": PLOT}, {"spoil": PLOT}]
    dug = _detect(tmp_path / "a", rotation)
    assert len(dug.suspected) == 1 and dug.suspected.iloc[0]["first_seen"] == "2022-08-15"
    fallow = [{"crop": PLOT}] * 5 + [{"fallow": PLOT}] * 2
    assert _detect(tmp_path / "b", fallow).suspected.empty


def test_a_drought_after_a_wet_year_is_not_a_2000_ha_excavation(tmp_path):
    """The whole steppe dries in 2024–25 after a wet 2021: the reference change cancels it; a
    dig in the same drought is still found, with the drought in its evidence."""
    layouts = [{}, {}, {"base": "wet"}, {}, {}, {"base": "dry"}, {"base": "dry"}]
    assert _detect(tmp_path, layouts).suspected.empty
    layouts[-2:] = [{"base": "dry", "spoil": PLOT}, {"base": "dry", "spoil": PLOT}]
    found = _detect(tmp_path / "dug", layouts)
    assert len(found.suspected) == 1
    row = found.suspected.iloc[0]
    ndvi = {k: (v[3] - v[2]) / (v[3] + v[2]) for k, v in SURF.items()}
    assert row["reference_ndvi_change"] == pytest.approx(ndvi["dry"] - ndvi["grass"], abs=0.005)
    assert row["ndvi_before"] == pytest.approx(ndvi["grass"], abs=0.005)
    assert row["ndvi_after"] == pytest.approx(ndvi["spoil"], abs=0.005)


def test_a_cloud_the_scl_band_misses_is_not_disturbance(tmp_path):
    """A cloud over the plot on the last two dates with SCL 4 (vegetation): the brightness /
    haze test catches it; a thin one only a cloud-probability band sees is masked by it."""
    layouts = [{}] * 5 + [{"cloud": PLOT}] * 2
    assert _detect(tmp_path, layouts).suspected.empty
    thin = {k: tuple(0.5 * a + 0.5 * b for a, b in zip(SPOIL, CLOUD)) for k in ("x",)}["x"]
    refl = {b: np.array([v]) for b, v in zip(("blue", "green", "red", "nir", "swir1"), thin)}
    ok = np.array([True])
    assert missed_cloud(refl, ok, Thresholds()).all()
    sand = {b: np.array([v]) for b, v in zip(("blue", "green", "red", "nir", "swir1"),
                                            (0.17, 0.22, 0.28, 0.32, 0.40))}
    assert not missed_cloud(sand, ok, Thresholds()).any()  # bright sand is not cloud
    assert not measures(refl, ok, Thresholds())["valid"].any()


def test_a_cloud_probability_band_masks_what_it_sees(tmp_path):
    layouts = [{}] * 5 + [{"spoil": PLOT}] * 2
    prob = np.where(PLOT, 80, 0)
    found = _detect(tmp_path, layouts, t5={"prob": prob}, t6={"prob": prob})
    assert found.suspected.empty  # the dig is under a cloud on both dates it shows
    scene = og.imagery.Scene(dt.date(2024, 8, 1), "sentinel2-l2a", {}, "04.00")
    mask = valid_mask(None, scene, cloudprob=np.array([0, 39, 40, 100]))
    assert mask.tolist() == [True, True, False, False]


def test_a_pit_seen_once_is_not_yet_a_suspect_but_grows_into_one(tmp_path):
    """Persistence: dug on the last date only, nothing; a ring dug on the last date around a
    pit dug before joins its polygon (confidence: the share confirmed)."""
    layouts = [{}] * 6 + [{"spoil": PLOT}]
    assert _detect(tmp_path, layouts).suspected.empty
    inner = _box(12, 23, 32, 43)
    layouts = [{}] * 5 + [{"spoil": inner}, {"spoil": PLOT}]
    found = _detect(tmp_path / "g", layouts)
    row = found.suspected.iloc[0]
    assert row["pixels"] == PLOT.sum()
    assert row["confidence"] == pytest.approx(inner.sum() / PLOT.sum(), abs=0.005)
    assert row["dates"] == f"2024-08-15:{inner.sum()};2025-08-15:{PLOT.sum()}"


def test_ground_that_recovered_by_its_last_look_is_not_a_suspect(tmp_path):
    layouts = [{}, {}, {"spoil": PLOT}, {"spoil": PLOT}, {}, {}, {}]
    assert _detect(tmp_path, layouts).suspected.empty


def test_findings_csv_carries_the_evidence(tmp_path):
    """What an inspector shows the company: the CLI's findings.csv, one row a suspect, with
    dates and pixels, NDVI/BSI before and after and the surroundings' change."""
    layouts = [{}] * 4 + [{"spoil": PLOT}] * 3
    scenes_dir = tmp_path / "scenes"
    scenes_dir.mkdir()
    rows = []
    for t, (y, layout) in enumerate(zip(YEARS, layouts)):
        scene = _scene(scenes_dir, t, dt.date(y, 8, 15), layout)
        rows.append({"date": scene.date.isoformat(), "sensor": scene.sensor, "baseline": "04.00",
                     **{b: p.name for b, (p, _) in scene.bands.items()}})
    manifest = scenes_dir / "manifest.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    sites = tmp_path / "mine.geojson"
    _mine().to_file(sites)
    res = subprocess.run([sys.executable, "-m", "ordos_geo", "disturbance", str(sites),
                          "--imagery", str(manifest), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(tmp_path / "out" / "findings.csv", dtype={"dates": str})
    assert list(table.columns) == disturbance.FINDING_COLUMNS
    row = table.iloc[0]
    ndvi = {k: (v[3] - v[2]) / (v[3] + v[2]) for k, v in SURF.items()}
    bsi = {k: (v[4] + v[2] - v[3] - v[0]) / (v[4] + v[2] + v[3] + v[0]) for k, v in SURF.items()}
    assert row["pixels"] == PLOT.sum()
    assert row["dates"] == ";".join(f"{y}-08-15:{PLOT.sum()}" for y in (2023, 2024, 2025))
    assert row["ndvi_before"] == pytest.approx(ndvi["grass"], abs=0.002)
    assert row["ndvi_after"] == pytest.approx(ndvi["spoil"], abs=0.002)
    assert row["bsi_before"] == pytest.approx(bsi["grass"], abs=0.002)
    assert row["bsi_after"] == pytest.approx(bsi["spoil"], abs=0.002)
    assert row["reference_ndvi_change"] == pytest.approx(0.0, abs=0.002)
    for value in (f"{ndvi['grass']:.3f}", f"{ndvi['spoil']:.3f}", str(PLOT.sum())):
        assert value in row["note"]


def test_the_readme_quotes_the_accuracy_results():
    """The README's accuracy table is the one benchmarks/accuracy/disturbance.md holds."""
    root = Path(__file__).resolve().parent.parent
    results = [line for line in (root / "benchmarks" / "accuracy" / "disturbance.md")
               .read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    readme = (root / "README.md").read_text(encoding="utf-8")
    quoted = readme.split("<!-- accuracy:begin")[1].split("<!-- accuracy:end -->")[0]
    assert [line for line in quoted.splitlines() if line.startswith("|")] == results
    overall = results[-1].split("|")
    assert float(overall[-3]) >= 0.9 and float(overall[-2]) >= 0.9  # precision, recall
    for line in results[2:-1]:
        cells = [c.strip() for c in line.split("|")]
        if cells[2] == "nothing":
            assert cells[4] == "0", line  # no suspect at all


def test_the_window_cut_in_many_parts_gives_the_same_findings(sample_imagery, monkeypatch):
    """Parts of the window on the file's tiles (rows and columns) judged apart: the same
    suspects and new-inside mines as one part (the reference blocks are per part, so a pixel at
    a threshold may differ: areas within 1 %, hectares within 0.1)."""
    manifest, _ = sample_imagery
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    scenes = og.imagery.read_manifest(manifest)
    whole = disturbance.detect(sites, scenes, show_progress=False)
    monkeypatch.setattr(disturbance, "_STRIP_BYTES", 16 * 7 * 256 * 256)  # one tile a part
    parts = disturbance._parts(disturbance._window(disturbance._ground(
        sites, sites[sites["kind"] == "mine"], None,
        og.imagery.grids.grid_of(scenes[0].bands["red"][0]), 2000.0),
        og.imagery.grids.grid_of(scenes[0].bands["red"][0])),
        og.imagery.grids.grid_of(scenes[0].bands["red"][0]), scenes)
    assert len(parts) >= 4 and len({p.col_off for p in parts}) >= 2
    cut = disturbance.detect(sites, scenes, show_progress=False)
    columns = ["suspect_id", "nearest_mine_id", "first_seen", "last_seen", "n_dates"]
    pd.testing.assert_frame_equal(whole.suspected[columns], cut.suspected[columns])
    assert np.allclose(whole.suspected["area_ha"], cut.suspected["area_ha"], rtol=0.01)
    a, b = whole.new_inside.set_index("mine_id"), cut.new_inside.set_index("mine_id")
    assert set(a.index) == set(b.index)  # a pixel or two at a threshold may differ
    assert np.allclose(a["new_disturbed_ha"], b.loc[a.index, "new_disturbed_ha"], atol=0.1)


def test_a_dig_filling_the_strip_between_two_licences_is_found(tmp_path):
    """Dense districts: two licences leave a 100 m strip of steppe; a company digs most of it.
    The dig must not become its own reference (the first adversary found recall 0)."""
    import geopandas as gpd

    sites = gpd.GeoDataFrame({"site_id": ["A", "B"], "kind": ["mine", "mine"],
                              "banner": ["准格尔旗"] * 2},
                             geometry=[pixel_box(0, 0, 25, 60), pixel_box(35, 0, 60, 60)],
                             crs="EPSG:32649").to_crs(4326)
    dig = _box(5, 55, 25, 35)  # 5 of the strip's 6 ha
    found = _detect(tmp_path, [{}] * 4 + [{"spoil": dig}] * 3, sites=sites)
    assert len(found.suspected) == 1
    assert found.suspected.iloc[0]["area_ha"] == pytest.approx(dig.sum() / 100, rel=0.01)


def test_a_moving_cloud_shadow_the_scl_misses_is_not_a_dig(tmp_path):
    """Dark, but with the NDVI of the grass it falls on: not coal, not disturbance."""
    layouts = [{}] * 5 + [{"shadow": _box(10, 40, 10, 40)}, {"shadow": _box(15, 45, 20, 50)}]
    assert _detect(tmp_path, layouts).suspected.empty


def test_ground_seen_on_two_grids_counts_its_pixels_once():
    """The same dig found on a UTM 49 grid and a UTM 48 grid: merged, its pixels and per-date
    pixels those of the union, not twice (the second adversary found 1804 for 900)."""
    import geopandas as gpd

    box = pixel_box(10, 10, 40, 40)  # 9 ha of 10 m pixels: 900
    part = gpd.GeoDataFrame({"first": [dt.date(2024, 8, 15)], "last": [dt.date(2025, 8, 15)],
                             "n_dates": [2], "confidence": [1.0], "pixels": [900],
                             "dates": [{dt.date(2024, 8, 15): 900, dt.date(2025, 8, 15): 900}],
                             **{k: [0.5] for k in disturbance._change.EVIDENCE}},
                            geometry=[box], crs="EPSG:32649").to_crs(4326)
    merged = disturbance._merge([part, part.copy()])
    assert len(merged) == 1 and merged.iloc[0]["pixels"] == 900
    assert merged.iloc[0]["dates"] == {dt.date(2024, 8, 15): 900, dt.date(2025, 8, 15): 900}
