import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from imagery_helpers import BARE, VEG, pixel_box, write_scene

import ordos_geo as og
from ordos_geo import imagery, reclamation
from ordos_geo.core.errors import CRSError, ValidationError
from ordos_geo.imagery import grids


def _scene(paths, date=dt.date(2023, 8, 1), baseline=None, sensor="sentinel2-l2a"):
    return imagery.Scene(date, sensor, {k: (v, 1) for k, v in paths.items()}, baseline)


def _stats(scene, polygon, crs="EPSG:32649"):
    frame = gpd.GeoDataFrame(geometry=[polygon], crs=crs).to_crs(4326)
    cov = reclamation.coverage(frame.geometry, grids.grid_of(scene.bands["red"][0]))
    sums = reclamation.scene_sums(scene, cov) * cov.ha_per_cell[:, None]
    return reclamation.polygon_stats(sums, og.projection.area_ha(frame).to_numpy()).iloc[0], \
        og.projection.area_ha(frame).iloc[0] / (polygon.area / 1e4)


def test_partial_pixels_give_the_exact_coverage_weighted_answer(tmp_path):
    classes = np.zeros((40, 40), int)
    classes[:, :20] = 1  # left half vegetated
    scl = np.full((40, 40), 4)
    scl[10:14, 10:30] = 9  # a cloud band
    scene = _scene(write_scene(tmp_path, "a", classes, offset=1000, scl=scl), baseline="04.00")
    poly = pixel_box(12.5, 8.5, 26.25, 20.75)  # cuts pixels on every side
    stats, factor = _stats(scene, poly)
    veg_region, cloud = pixel_box(0, 0, 20, 40), pixel_box(10, 10, 30, 14)
    veg_truth = (poly.intersection(veg_region).area
                 - poly.intersection(veg_region).intersection(cloud).area) * factor / 1e4
    masked_truth = poly.intersection(cloud).area * factor / 1e4
    assert stats["vegetated_ha"] == pytest.approx(veg_truth, rel=0.005)
    assert stats["masked_ha"] == pytest.approx(masked_truth, rel=0.005)
    assert stats["valid_fraction"] == pytest.approx(1 - poly.intersection(cloud).area / poly.area,
                                                    rel=0.005)
    assert stats["bare_ha"] + stats["vegetated_ha"] + stats["masked_ha"] == pytest.approx(
        stats["area_ha"], rel=1e-6)
    ndvi_veg = (VEG[3] - VEG[2]) / (VEG[3] + VEG[2])
    ndvi_bare = (BARE[3] - BARE[2]) / (BARE[3] + BARE[2])
    w_veg = veg_truth / (stats["area_ha"] - stats["masked_ha"])
    assert stats["mean_ndvi"] == pytest.approx(w_veg * ndvi_veg + (1 - w_veg) * ndvi_bare, abs=2e-3)


@pytest.mark.parametrize("baseline,date,offset,applied", [
    ("04.00", dt.date(2023, 8, 1), 1000, True),
    ("02.14", dt.date(2021, 8, 1), 0, False),
    (None, dt.date(2022, 1, 25), 1000, True),   # baseline from the date
    (None, dt.date(2022, 1, 24), 0, False),
])
def test_sentinel2_offset_only_from_baseline_04(tmp_path, baseline, date, offset, applied):
    classes = np.ones((8, 8), int)
    scene = _scene(write_scene(tmp_path, "s", classes, offset=offset), date, baseline)
    assert scene.s2_offset() is applied
    stats, _ = _stats(scene, pixel_box(1, 1, 6, 6))
    assert stats["mean_ndvi"] == pytest.approx((VEG[3] - VEG[2]) / (VEG[3] + VEG[2]), abs=1e-3)


def test_offset_wrongly_ignored_would_be_visible(tmp_path):
    # DNs written with the offset but declared baseline 02.14: reflectance is off by 0.1
    scene = _scene(write_scene(tmp_path, "w", np.ones((8, 8), int), offset=1000), baseline="02.14")
    stats, _ = _stats(scene, pixel_box(1, 1, 6, 6))
    assert stats["mean_ndvi"] < 0.6


def test_landsat_scale_and_qa_bits():
    scene = imagery.Scene(dt.date(2020, 8, 1), "landsat-c2l2", {})
    refl = imagery.reflectance(np.array([7273, 10000]), scene)
    assert refl == pytest.approx([0.0, 0.075], abs=1e-4)
    qa = np.array([21824, 21824 | 8, 21824 | 16, 1, 21824 | 32])  # clear, cloud, shadow, fill, snow
    assert imagery.valid_mask(qa, scene).tolist() == [True, False, False, False, False]


def test_coal_dark_pixels_are_not_vegetated():
    refl = {k: np.array([v]) for k, v in zip(("blue", "green", "red", "nir", "swir1"),
                                              og.samples.SURFACES["coal"][0])}
    m = imagery.measures(refl, np.array([True]), imagery.Thresholds())
    assert m["ndvi"][0] == pytest.approx(0.304, abs=0.01) and m["fvc"][0] > 0.3  # the trap
    assert m["dark"][0] and not m["vegetated"][0] and m["bare"][0]


def test_water_by_ndwi():
    refl = {k: np.array([v]) for k, v in zip(("blue", "green", "red", "nir", "swir1"),
                                              og.samples.SURFACES["water"][0])}
    m = imagery.measures(refl, np.array([True]), imagery.Thresholds())
    assert m["water"][0] and not m["bare"][0] and not m["vegetated"][0]


def test_strips_do_not_change_the_answer(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    classes = (rng.random((64, 48)) < 0.4).astype(int)
    scene = _scene(write_scene(tmp_path, "r", classes))
    poly = pixel_box(3.3, 2.7, 41.2, 60.9)
    a, _ = _stats(scene, poly)
    monkeypatch.setattr(grids, "STRIP_ROWS", 7)
    b, _ = _stats(scene, poly)
    pd.testing.assert_series_equal(a, b, rtol=1e-9)


def test_manifest_problems_are_collected(tmp_path):
    paths = write_scene(tmp_path, "m", np.ones((4, 4), int))
    rows = [{"date": "2020-08-01", "sensor": "sentinel2-l2a", **{k: v.name for k, v in paths.items()}},
            {"date": "someday", "sensor": "sentinel2-l2a", **{k: v.name for k, v in paths.items()}},
            {"date": "2020-08-01", "sensor": "spot7", **{k: v.name for k, v in paths.items()}},
            {"date": "2020-08-01", "sensor": "generic", "red": "m_red.tif"}]
    manifest = tmp_path / "scenes.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    with pytest.raises(ValidationError) as info:
        imagery.read_manifest(manifest)
    text = str(info.value)
    assert "scene 2: date 'someday'" in text and "'spot7'" in text and "scene 4" in text
    assert "scene 4: band(s) nir missing" in text


def test_multiband_file_in_a_yaml_manifest(tmp_path):
    data = np.stack([np.full((6, 6), int(v * 10000), np.uint16) for v in VEG])
    path = tmp_path / "stack.tif"
    with rasterio.open(path, "w", driver="GTiff", width=6, height=6, count=5, dtype="uint16",
                       crs="EPSG:32649", transform=rasterio.transform.from_origin(600000, 4410000,
                                                                                10, 10)) as dst:
        dst.write(data)
    (tmp_path / "m.yaml").write_text(
        "scenes:\n  - {date: 2020-08-01, sensor: generic, file: stack.tif, "
        "bands: 'blue=1;green=2;red=3;nir=4;swir1=5'}\n", encoding="utf-8")
    [scene] = imagery.read_manifest(tmp_path / "m.yaml")
    stats, _ = _stats(scene, pixel_box(1, 1, 5, 5))
    assert stats["vegetated_ha"] == pytest.approx(stats["area_ha"], rel=1e-6)


def test_rasters_without_projected_crs_are_refused(tmp_path):
    paths = write_scene(tmp_path, "g", np.ones((4, 4), int), crs="EPSG:4326")
    with pytest.raises(CRSError, match="not a projected CRS"):
        grids.grid_of(paths["red"])


def test_ndvi_only_scenes_work(tmp_path):
    classes = np.zeros((10, 10), int)
    classes[:, :5] = 1
    paths = write_scene(tmp_path, "n", classes)
    scene = imagery.Scene(dt.date(2020, 8, 1), "generic",
                          {"red": (paths["red"], 1), "nir": (paths["nir"], 1)})
    stats, _ = _stats(scene, pixel_box(0, 0, 10, 10))
    assert stats["vegetated_ha"] == pytest.approx(stats["area_ha"] / 2, rel=1e-6)
    assert stats["water_ha"] == 0 and stats["dark_ha"] == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_coverage_in_runs_equals_one_sorted_table(workers, monkeypatch):
    """Batches of polygons (in worker processes, or one after the other) give sorted runs;
    every strip of rows holds exactly the cells of those rows, whatever the runs."""
    import dask
    import shapely

    rng = np.random.default_rng(5)
    boxes = [shapely.box(x, y, x + w, y + h) for x, y, w, h in
             zip(rng.uniform(0, 300, 40), rng.uniform(0, 300, 40), rng.uniform(5, 90, 40),
                 rng.uniform(5, 90, 40))]
    frame = gpd.GeoSeries(boxes, crs="EPSG:32649").translate(500_000, 4_400_000)
    from pyproj import CRS

    key = (CRS.from_epsg(32649).to_wkt(), (10.0, 0.0, 500_000.0, 0.0, -10.0, 4_400_400.0), 40, 40)
    monkeypatch.setattr(grids, "COVERAGE_BATCH", 7)
    monkeypatch.setattr(grids, "COVERAGE_PARALLEL", 10)
    with dask.config.set(num_workers=workers):
        cov = reclamation.coverage(frame, key)
    if workers == 1:  # batches of COVERAGE_BATCH polygons
        assert len(cov.runs) - 1 == len(range(0, 40, 7))
    else:  # 4 batches a worker, of about equal cells
        assert 2 <= len(cov.runs) - 1 <= 8
    one = cov.sorted()
    assert np.all(np.diff(one.cell) >= 0) and len(one.cell) == len(cov.cell)
    for r0 in range(0, 40, 9):
        at = cov.strip(r0, r0 + 9)
        rows = cov.cell[at] // 40
        assert np.all((rows >= r0) & (rows < r0 + 9))
        assert len(at) == np.count_nonzero((one.cell // 40 >= r0) & (one.cell // 40 < r0 + 9))
    exact = shapely.area(np.asarray(frame.values)) / 100.0  # cells of 10 m × 10 m
    assert np.allclose(cov.totals(), exact, rtol=1e-5)


def test_worker_batches_have_about_equal_cells():
    import shapely

    small = [shapely.box(0, 0, 10, 10)] * 300  # 1 cell each
    big = [shapely.box(0, 0, 200, 200)] * 6  # 400 cells each, all at the end
    geoms = np.array(small + big, dtype=object)
    starts = grids._part_starts(geoms, 100.0, 2)
    cells = np.array([1.0] * 300 + [400.0] * 6) + 1.0
    per = [cells[a:z].sum() for a, z in zip(starts[:-1], starts[1:])]
    assert starts[0] == 0 and starts[-1] == len(geoms) and len(per) <= 8
    assert max(per) <= cells.sum() / 8 + 401  # at most one polygon over an equal share
    assert list(grids._part_starts(geoms, 100.0, 1)) == [0, len(geoms)]


@pytest.mark.parametrize("bands", [("red", "nir"), ("red", "nir", "green"),
                                   ("blue", "green", "red", "nir", "swir1")])
def test_valid_pixels_are_exactly_vegetated_bare_or_water(bands):
    """The weighted sums take the valid area as vegetated + bare + water: every valid pixel is
    one of them, and only one, with any set of bands (and invalid pixels are none)."""
    rng = np.random.default_rng(1)
    n = 20_000
    refl = {b: rng.uniform(0.0, 0.5, n).astype(np.float32) for b in bands}
    valid = rng.random(n) > 0.2
    m = imagery.measures(refl, valid, imagery.Thresholds(), with_bsi=False)
    parts = m["vegetated"].astype(int) + m["bare"] + m["water"]
    assert np.array_equal(parts, m["valid"].astype(int))
    cov = grids.Coverage(np.arange(n, dtype=np.int32), rng.integers(0, 7, n).astype(np.int32),
                               rng.random(n).astype(np.float32), 7, n, 1, np.ones(7))
    sums = reclamation._weighted_sums(cov, np.arange(n), m)
    direct = np.bincount(cov.poly, weights=cov.cov * m["valid"], minlength=7)
    tol = 1e-9 * np.bincount(cov.poly, minlength=7).max()
    assert np.allclose(sums[:, 0], direct, rtol=0, atol=tol)
    for j, key in enumerate(reclamation.SUMS[1:]):
        exact = np.bincount(cov.poly, weights=cov.cov.astype(np.float64) * m[key], minlength=7)
        assert np.allclose(sums[:, j], exact, rtol=0, atol=tol), key
