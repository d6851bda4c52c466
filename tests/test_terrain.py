"""Terrain with known answers: DEMs the tests build (planes, a frustum pit, a truncated-pyramid
dump) on flat, tilted and noisy ground."""

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

import ordos_geo as og
from ordos_geo.core.errors import CRSError
from ordos_geo.joint.terrain import horn_slope, terrain_stats

X0, Y0, CELL, N = 600_000.0, 4_420_000.0, 1.0, 600  # UTM 49N, near Jungar; 600 m square


def _write(tmp_path, z, crs="EPSG:32649", name="dem.tif"):
    path = tmp_path / name
    with rasterio.open(path, "w", driver="GTiff", width=z.shape[1], height=z.shape[0], count=1,
                       dtype="float32", crs=crs, transform=from_origin(X0, Y0, CELL, CELL),
                       nodata=-9999) as dst:
        dst.write(np.where(np.isfinite(z), z, -9999).astype("float32"), 1)
    return path


def _grid():
    cols, rows = np.meshgrid(np.arange(N) + 0.5, np.arange(N) + 0.5)
    return X0 + cols * CELL, Y0 - rows * CELL


def _ground(x, y, tilt, noise, seed=0):
    z = 1200.0 + tilt[0] * (x - X0) + tilt[1] * (y - Y0)
    return z + np.random.default_rng(seed).normal(0, noise, z.shape) if noise else z


def _sites(*geoms):
    return gpd.GeoDataFrame({"site_id": [f"S{k}" for k in range(len(geoms))]},
                            geometry=list(geoms), crs="EPSG:32649")


@pytest.mark.parametrize("angle", [0.0, 5.0, 30.0, 45.0])
def test_horn_slope_of_a_plane(angle):
    x, y = _grid()
    g = math.tan(math.radians(angle))
    slope, aspect = horn_slope(1000 + g * (x - X0), CELL, CELL)  # rising to the east
    inner = slope[1:-1, 1:-1]
    assert np.allclose(inner, angle, atol=1e-6)
    if angle:
        assert np.allclose(aspect[1:-1, 1:-1], 270.0)  # downhill towards the west
    assert np.isnan(slope[0]).all() and np.isnan(slope[:, -1]).all()


@pytest.mark.parametrize("tilt, noise", [((0, 0), 0), ((0.03, -0.02), 0), ((0.02, 0.01), 0.3)])
def test_a_frustum_pit_and_a_pyramid_dump(tmp_path, tilt, noise):
    x, y = _grid()
    z = _ground(x, y, tilt, noise)
    # pit: radius 80 m at the rim, 40 m at the floor, 20 m deep, centred at (150, -150)
    R, r, h = 80.0, 40.0, 20.0
    cx, cy = X0 + 150, Y0 - 150
    d = np.hypot(x - cx, y - cy)
    depth = np.where(d <= r, h, np.where(d <= R, h * (R - d) / (R - r), 0.0))
    # dump: truncated pyramid, 120 m square at the base, 60 m at the top, 15 m high, at (430, -430)
    A, a_, H = 120.0, 60.0, 15.0
    ex, ey = np.abs(x - (X0 + 430)), np.abs(y - (Y0 - 430))
    e = np.maximum(ex, ey)
    height = np.where(e <= a_ / 2, H, np.where(e <= A / 2, H * (A / 2 - e) / ((A - a_) / 2), 0))
    path = _write(tmp_path, z - depth + height)
    sites = _sites(shapely.Point(cx, cy).buffer(R + 1, quad_segs=64),
                   shapely.box(X0 + 430 - A / 2 - 1, Y0 - 430 - A / 2 - 1,
                               X0 + 430 + A / 2 + 1, Y0 - 430 + A / 2 + 1))
    out = terrain_stats(sites, path).set_index("site_id")
    pit_true = math.pi * h / 3 * (R * R + R * r + r * r)
    dump_true = H / 3 * (A * A + a_ * a_ + A * a_)
    assert out.loc["S0", "pit_volume_m3"] == pytest.approx(pit_true, rel=0.02)
    assert out.loc["S1", "dump_volume_m3"] == pytest.approx(dump_true, rel=0.02)
    assert out.loc["S0", "dump_volume_m3"] < 0.02 * pit_true
    assert out.loc["S1", "pit_volume_m3"] < 0.02 * dump_true
    # the pit wall is atan(20/40) = 26.6°: steep; the floor and the dump top are flat
    assert out.loc["S0", "max_slope_deg"] > 25 and out.loc["S0", "steep_ha"] > 0
    if not noise:  # 0.3 m of noise on 1 m cells is itself ~7° of slope
        floor_ha = math.pi * r * r / 10_000
        assert out.loc["S0", "flat_ha"] == pytest.approx(floor_ha, rel=0.15)


def test_a_dem_in_degrees_is_refused(tmp_path):
    path = tmp_path / "deg.tif"
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(111.0, 40.0, 0.001, 0.001)) as dst:
        dst.write(np.zeros((10, 10), "float32"), 1)
    with pytest.raises(CRSError, match="gdalwarp -t_srs"):
        og.terrain.read_dem(path)


@pytest.mark.parametrize("strip_rows", [1, 7, 64])
def test_strips_give_the_same_answer_as_one_read(tmp_path, strip_rows):
    x, y = _grid()
    z = _ground(x, y, (0.02, 0.01), 0.3, seed=4)
    d = np.hypot(x - (X0 + 300), y - (Y0 - 300))
    z = z - np.where(d < 60, 60 - d, 0)
    path = _write(tmp_path, z)
    sites = _sites(shapely.Point(X0 + 300, Y0 - 300).buffer(70), shapely.box(
        X0 + 20, Y0 - 200, X0 + 200, Y0 - 20))
    whole = terrain_stats(sites, og.terrain.read_dem(path))  # in memory, one block
    strips = terrain_stats(sites, path, strip_rows=strip_rows)
    pd.testing.assert_frame_equal(whole, strips, rtol=1e-9)


def _pit_and_dump(tmp_path):
    """A frustum pit (R 80 m, r 40 m, 20 m deep) with a 30 m high dump right next to it, inside
    the pit's reference ring (50–150 m outside the pit)."""
    x, y = _grid()
    z = _ground(x, y, (0.02, -0.01), 0.0)
    R, r, h = 80.0, 40.0, 20.0
    cx, cy = X0 + 200, Y0 - 300
    d = np.hypot(x - cx, y - cy)
    depth = np.where(d <= r, h, np.where(d <= R, h * (R - d) / (R - r), 0.0))
    dump = (np.abs(x - (cx + 170)) <= 40) & (np.abs(y - cy) <= 40)
    path = _write(tmp_path, z - depth + np.where(dump, 30.0, 0.0))
    sites = _sites(shapely.Point(cx, cy).buffer(R + 1, quad_segs=64),
                   shapely.box(cx + 130, cy - 40, cx + 210, cy + 40))
    return path, sites, math.pi * h / 3 * (R * R + R * r + r * r)


def test_other_sites_are_not_reference_ground(tmp_path):
    path, sites, pit_true = _pit_and_dump(tmp_path)
    out = terrain_stats(sites, path).set_index("site_id")
    assert out.loc["S0", "pit_volume_m3"] == pytest.approx(pit_true, rel=0.02)
    assert out.loc["S1", "dump_volume_m3"] == pytest.approx(80 * 80 * 30, rel=0.02)


@pytest.mark.parametrize("workers", [1, 2])
def test_coverage_in_worker_processes_gives_the_same_answer(tmp_path, monkeypatch, workers):
    import dask

    from ordos_geo.imagery import grids

    path, sites, _ = _pit_and_dump(tmp_path)
    many = pd.concat([sites] * 3, ignore_index=True)  # overlapping copies: each its own row
    many["site_id"] = [f"S{k}" for k in range(len(many))]
    expected = terrain_stats(sites, path)
    monkeypatch.setattr(grids, "COVERAGE_PARALLEL", 2)
    monkeypatch.setattr(grids, "COVERAGE_BATCH", 1)  # one run a site
    with dask.config.set(num_workers=workers):
        out = terrain_stats(many, path)
    for k in range(len(many)):
        got = out.iloc[k].drop("site_id").astype(float).to_numpy()
        want = expected.iloc[k % 2].drop("site_id").astype(float).to_numpy()
        assert np.allclose(got, want, rtol=1e-9, equal_nan=True)


def test_a_site_off_the_dem_has_empty_figures(tmp_path):
    path, sites, _ = _pit_and_dump(tmp_path)
    far = _sites(shapely.box(X0 + 5000, Y0 - 5000, X0 + 5100, Y0 - 4900))
    out = terrain_stats(far, path)
    assert len(out) == 1 and out[["mean_slope_deg", "pit_volume_m3"]].isna().all(axis=None)
    assert out.loc[0, "reference_cells"] == 0
