"""Terrain with known answers: DEMs the tests build (planes, a frustum pit, a truncated-pyramid
dump) on flat, tilted and noisy ground."""

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
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
    noise = ["noise_m", "noise_volume_m3"]  # from Σz² − fit: summation order shows at 1e-7
    pd.testing.assert_frame_equal(whole.drop(columns=noise), strips.drop(columns=noise),
                                  rtol=1e-9)
    pd.testing.assert_frame_equal(whole[noise], strips[noise], rtol=1e-5)


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
        got = out.iloc[k].drop(["site_id", "volume_status"]).astype(float).to_numpy()
        want = expected.iloc[k % 2].drop(["site_id", "volume_status"]).astype(float).to_numpy()
        assert np.allclose(got, want, rtol=1e-6, equal_nan=True)
        assert out.iloc[k]["volume_status"] == expected.iloc[k % 2]["volume_status"]


def test_a_site_off_the_dem_has_empty_figures_and_says_so(tmp_path, caplog):
    path, sites, _ = _pit_and_dump(tmp_path)
    far = _sites(shapely.box(X0 + 5000, Y0 - 5000, X0 + 5100, Y0 - 4900))
    both = pd.concat([sites, far.assign(site_id="FAR")], ignore_index=True)
    with caplog.at_level("WARNING", logger="ordos_geo"):
        out = terrain_stats(both, path).set_index("site_id")
    assert out.loc["FAR", ["mean_slope_deg", "pit_volume_m3", "flat_ha"]].isna().all()
    assert out.loc["FAR", "reference_cells"] == 0 and out.loc["FAR", "dem_coverage"] == 0
    assert out.loc["FAR", "volume_status"] == "no_dem"
    assert "FAR" in caplog.text and "no_dem" in caplog.text


@pytest.mark.parametrize("where", ["far", "nodata"])
def test_a_dem_that_covers_no_site_is_refused_with_the_ids(tmp_path, where):
    """A DEM 200 km away, or all nodata: refused, not a table of empty values."""
    from ordos_geo.core.errors import ValidationError

    x, y = _grid()
    if where == "far":
        path = _write(tmp_path, _ground(x, y, (0, 0), 0))
        sites = _sites(shapely.box(X0 + 200_000, Y0, X0 + 200_100, Y0 + 100))
    else:
        path = _write(tmp_path, np.full(x.shape, np.nan))
        sites = _sites(shapely.box(X0 + 200, Y0 - 300, X0 + 300, Y0 - 200))
    with pytest.raises(ValidationError, match="S0"):
        terrain_stats(sites, path)


def _holed(tmp_path, share: float, *, off: bool = False):
    """The frustum pit of _pit_and_dump with a nodata hole over ``share`` of its area (its
    west part), or with that part off the DEM (``off``)."""
    x, y = _grid()
    z = _ground(x, y, (0.02, -0.01), 0.0)
    R, r, h = 80.0, 40.0, 20.0
    cx, cy = X0 + 200, Y0 - 300
    d = np.hypot(x - cx, y - cy)
    z = z - np.where(d <= r, h, np.where(d <= R, h * (R - d) / (R - r), 0.0))
    disk = shapely.Point(cx, cy).buffer(R + 1, quad_segs=64)
    # the west strip of the disk holding `share` of its area
    lo, hi = cx - R - 1, cx + R + 1
    for _ in range(60):
        mid = (lo + hi) / 2
        part = disk.intersection(shapely.box(cx - R - 2, cy - R - 2, mid, cy + R + 2)).area
        lo, hi = (mid, hi) if part < share * disk.area else (lo, mid)
    if off:
        shift = lo - X0  # the DEM starts where the hole ends
        keep = x >= lo
        z = np.where(keep, z, np.nan)
        path = _write(tmp_path, z)
        _ = shift
    else:
        hole = (x < lo) & (d <= R + 1)
        path = _write(tmp_path, np.where(hole, np.nan, z))
    return path, _sites(disk), math.pi * h / 3 * (R * R + R * r + r * r)


@pytest.mark.parametrize("share, status", [(0.0, "complete"), (0.1, "filled"),
                                           (0.3, "partial"), (0.6, "partial")])
def test_a_hole_in_the_dem_never_makes_a_pit_silently_smaller(tmp_path, share, status):
    """The old result: a 30 % hole gave −30 % volume, exit 0, no warning."""
    path, sites, pit_true = _holed(tmp_path, share)
    row = terrain_stats(sites, path).iloc[0]
    assert row["volume_status"] == status
    assert row["dem_coverage"] == pytest.approx(1 - share, abs=0.01)
    if status == "partial":
        assert np.isnan(row["pit_volume_m3"]) and np.isnan(row["flat_ha"])
        assert 0 < row["pit_volume_covered_m3"] < pit_true
    else:  # filled: the covered part divided by the coverage, within 15 % of the truth
        assert row["pit_volume_m3"] == pytest.approx(pit_true, rel=0.15 if share else 0.02)
        assert row["pit_volume_m3"] >= row["pit_volume_covered_m3"]


def test_a_site_running_off_the_dem_is_marked_not_shrunk(tmp_path):
    path, sites, pit_true = _holed(tmp_path, 0.4, off=True)
    row = terrain_stats(sites, path).iloc[0]
    assert row["volume_status"] == "partial" and row["dem_coverage"] == pytest.approx(0.6, abs=0.01)
    assert np.isnan(row["flat_ha"]) and np.isnan(row["steep_ha"])


@pytest.mark.parametrize("sigma", [0.1, 0.5, 1.0])
def test_noise_on_flat_ground_is_not_volume(tmp_path, sigma):
    """A flat 6 ha site on ground with noise σ: its 'pit' and 'dump' are about σ·A/√(2π) each
    and reported as not significant, with the noise level from the ring residuals."""
    x, y = _grid()
    path = _write(tmp_path, _ground(x, y, (0.01, 0.0), sigma, seed=7))
    site = _sites(shapely.box(X0 + 180, Y0 - 420, X0 + 420, Y0 - 170))  # 240 × 250 m = 6 ha
    row = terrain_stats(site, path).iloc[0]
    assert row["noise_m"] == pytest.approx(sigma, rel=0.05)
    expected = sigma * 60_000 / math.sqrt(2 * math.pi)
    assert row["noise_volume_m3"] == pytest.approx(expected, rel=0.06)
    assert row["pit_volume_m3"] == pytest.approx(expected, rel=0.15)
    assert not row["pit_significant"] and not row["dump_significant"]


def test_a_real_pit_in_noise_is_significant(tmp_path):
    path, sites, pit_true = _pit_and_dump(tmp_path)
    row = terrain_stats(sites, path).set_index("site_id").loc["S0"]
    assert row["pit_significant"] and not row["dump_significant"]


@pytest.mark.parametrize("share, status", [(0.1, "filled"), (0.3, "partial")])
def test_a_hole_over_a_sample_mine_pit(tmp_path, share, status):
    """The issue's case: a hole punched into the sample DEM over a pit halved its volume and
    its flat area, exit 0. Now: filled within 15 % of the whole DEM's figures, or no figure."""
    from rasterio.features import rasterize

    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    dem = og.samples.write_sample_dem(tmp_path / "dem.tif", cell_m=20.0)
    with rasterio.open(dem) as src:
        z, profile = src.read(1), src.profile
        local = sites.to_crs(src.crs)
    pits = local[(local["kind"] == "pit")]
    whole = terrain_stats(pits, dem).set_index("site_id")
    target = whole[whole["volume_status"] == "complete"]["pit_volume_m3"].idxmax()
    geom = local.set_index("site_id").geometry[target]
    x0, y0, x1, y1 = geom.bounds
    cut = x0 + (x1 - x0) * share  # the west part of the pit's extent …
    for _ in range(40):  # … holding `share` of its area
        part = geom.intersection(shapely.box(x0 - 1, y0 - 1, cut, y1 + 1)).area / geom.area
        cut += (x1 - x0) * (share - part) * 0.9
    hole = rasterize([(geom.intersection(shapely.box(x0 - 1, y0 - 1, cut, y1 + 1)), 1)],
                     out_shape=z.shape, transform=profile["transform"]).astype(bool)
    holed = tmp_path / "holed.tif"
    with rasterio.open(holed, "w", **profile) as dst:
        dst.write(np.where(hole, profile["nodata"], z).astype(z.dtype), 1)
    row = terrain_stats(pits, holed).set_index("site_id").loc[target]
    assert row["volume_status"] == status
    assert row["dem_coverage"] == pytest.approx(1 - share, abs=0.03)
    if status == "filled":
        assert row["pit_volume_m3"] == pytest.approx(whole.loc[target, "pit_volume_m3"], rel=0.15)
        assert row["flat_ha"] == pytest.approx(whole.loc[target, "flat_ha"], rel=0.15, abs=1.0)
    else:
        assert np.isnan(row["pit_volume_m3"]) and np.isnan(row["flat_ha"])
        assert row["pit_volume_covered_m3"] < whole.loc[target, "pit_volume_m3"]


@pytest.mark.parametrize("fill", [-32768.0, 0.0, np.inf, 3.4e38])
def test_an_undeclared_nodata_value_is_no_height(tmp_path, fill, caplog):
    """A hole at the bottom of a pit written as −32768 (or 0, inf, float max) in a DEM that
    declares no nodata value: missing, with a warning — not a 380-million-m³ 'complete' pit."""
    path, sites, pit_true = _holed(tmp_path, 0.1)  # a declared hole over a tenth of the pit
    with rasterio.open(path) as src:
        z, profile = src.read(1), src.profile
    profile.pop("nodata")
    bad = tmp_path / "undeclared.tif"
    with rasterio.open(bad, "w", **profile) as dst:
        dst.write(np.where(z == -9999, fill, z).astype("float32"), 1)
    with caplog.at_level("WARNING", logger="ordos_geo"):
        row = terrain_stats(sites, bad).iloc[0]
    assert row["volume_status"] == "filled" and row["dem_coverage"] == pytest.approx(0.9, abs=0.01)
    assert row["pit_volume_m3"] == pytest.approx(pit_true, rel=0.15)
    assert "nodata" in caplog.text


def test_a_reference_of_a_few_ring_cells_is_none(tmp_path):
    """Four ring cells fit a plane but say nothing of the noise: no reference, no volume, and
    nothing called significant."""
    x, y = _grid()
    z = _ground(x, y, (0.0, 0.0), 0.5, seed=3)
    site = shapely.box(X0 + 200, Y0 - 400, X0 + 400, Y0 - 200)
    ring = site.buffer(150).difference(site.buffer(50))
    inside_ring = shapely.contains_xy(ring, x, y)
    keep = inside_ring & (np.cumsum(inside_ring.ravel()).reshape(inside_ring.shape) <= 4)
    z = np.where(inside_ring & ~keep, np.nan, z)
    row = terrain_stats(_sites(site), _write(tmp_path, z)).iloc[0]
    assert row["reference_cells"] < 20 and row["volume_status"] == "no_reference"
    assert np.isnan(row["pit_volume_m3"]) and not row["pit_significant"]


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 12), width=st.integers(1, 700), cols=st.integers(1, 300),
       holes=st.floats(0, 0.3), seed=st.integers(0, 2**16))
def test_horn_in_columns_is_horn_slope_exactly(rows, width, cols, holes, seed):
    """The strip's Horn slope computed a block of columns at a time (what terrain_stats does,
    for the cache) is the whole strip's, value for value, NaN for NaN."""
    from ordos_geo.joint.terrain import _horn_in_columns

    rng = np.random.default_rng(seed)
    z = rng.normal(1200, 40, (rows, width))
    z[rng.random(z.shape) < holes] = np.nan
    for whole, part in zip(horn_slope(z, 10.0, 7.5), _horn_in_columns(z, 10.0, 7.5, cols=cols)):
        assert np.array_equal(whole, part, equal_nan=True)
