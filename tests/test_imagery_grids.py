"""Bands on other grids, overlapping tiles, scenes that cover nothing, the Sentinel-2 offset and
banner totals — each against values built into tiny GeoTIFFs."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from conftest import sites_from_metric
from hypothesis import given, settings
from hypothesis import strategies as st
from imagery_helpers import ORIGIN, PIXEL, pixel_box, write_scene
from rasterio.transform import from_origin

import ordos_geo as og
from ordos_geo import imagery, reclamation
from ordos_geo.imagery import Scene

DAY = pd.Timestamp("2021-07-01").date()


def _site(*boxes, ids=None, **columns):
    geoms = gpd.GeoSeries(list(boxes), crs="EPSG:32649")
    return sites_from_metric(og.projection.to_metric(geoms).to_numpy(), ids=ids, **columns)


def _write(path, data, *, pixel=PIXEL, origin=ORIGIN, crs="EPSG:32649", dtype="uint16"):
    data = np.asarray(data)
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=dtype, crs=crs,
                       transform=from_origin(origin[0], origin[1], pixel, pixel)) as dst:
        dst.write(data.astype(dtype), 1)
    return path


def _scene(paths, *, date=DAY, baseline="05.00", scene_id="s"):
    return Scene(date, "sentinel2-l2a", {k: (p, 1) for k, p in paths.items()}, baseline,
                 scene_id, "manifest" if baseline else None)


def test_a_20m_scl_band_masks_the_site_it_covers(tmp_path):
    classes = np.ones((40, 40), dtype=int)  # all vegetated at 10 m
    paths = write_scene(tmp_path, "a", classes, offset=1000)
    scl = np.full((20, 20), 4)
    scl[:10, :10] = 9  # a 20 m cloud over the top-left 200 m x 200 m
    paths["qa"] = _write(tmp_path / "scl20.tif", scl, pixel=20.0, dtype="uint8")
    under = pixel_box(2, 2, 18, 18)  # wholly under the cloud
    clear = pixel_box(22, 22, 38, 38)
    sites = _site(under, clear, ids=["U", "C"])
    result = reclamation.progress(sites, [_scene(paths)])
    by = result.by_date.set_index("site_id")
    assert by.loc["U", "valid_fraction"] == pytest.approx(0.0, abs=1e-9)
    assert by.loc["C", "valid_fraction"] == pytest.approx(1.0)
    assert by.loc["C", "vegetated_ha"] == pytest.approx(by.loc["C", "covered_ha"], rel=1e-6)
    assert result.scenes.loc[0, "resampled"] == "qa"


def test_a_20m_swir_band_and_a_band_in_another_crs_are_resampled(tmp_path):
    classes = np.ones((40, 40), dtype=int)
    paths = write_scene(tmp_path, "b", classes, offset=1000)
    paths["swir1"] = _write(tmp_path / "b11.tif", np.full((20, 20), 2500), pixel=20.0)
    # the NIR band delivered in UTM 48N (the neighbouring zone), covering the same ground
    with rasterio.open(paths["nir"]) as src:
        from rasterio.warp import Resampling, calculate_default_transform, reproject

        t, w, h = calculate_default_transform(src.crs, "EPSG:32648", src.width, src.height,
                                              *src.bounds, resolution=10.0)
        data = np.zeros((h + 4, w + 4), np.uint16)
        reproject(src.read(1), data, src_transform=src.transform, src_crs=src.crs,
                  dst_transform=t, dst_crs="EPSG:32648", resampling=Resampling.nearest)
        profile = src.profile | {"crs": "EPSG:32648", "transform": t, "width": w + 4,
                                 "height": h + 4}
    paths["nir"] = tmp_path / "nir48.tif"
    with rasterio.open(paths["nir"], "w", **profile) as dst:
        dst.write(data, 1)
    site = _site(pixel_box(10, 10, 30, 30), ids=["S"])
    result = reclamation.progress(site, [_scene(paths)])
    row = result.by_date.iloc[0]
    assert row["valid_fraction"] == pytest.approx(1.0)
    assert row["vegetated_ha"] / row["covered_ha"] > 0.95  # NDVI 0.8 read through the warp
    assert set(result.scenes.loc[0, "resampled"].split(";")) == {"swir1", "nir"}


def test_a_band_shifted_3_km_is_warned_about_and_masked(tmp_path, caplog):
    classes = np.ones((40, 40), dtype=int)
    paths = write_scene(tmp_path, "c", classes, offset=1000)
    with rasterio.open(paths["nir"]) as src:
        data = src.read(1)
    paths["nir"] = _write(tmp_path / "nir_shift.tif", data, origin=(ORIGIN[0] + 200, ORIGIN[1]))
    left, right = pixel_box(2, 2, 18, 38), pixel_box(22, 2, 38, 38)
    sites = _site(left, right, ids=["L", "R"])
    with caplog.at_level(logging.WARNING, logger="ordos_geo"):
        result = reclamation.progress(sites, [_scene(paths)])
    assert any("nir" in m and "50%" in m for m in caplog.messages)
    assert result.scenes.loc[0, "band_cover"] == pytest.approx(0.5)
    by = result.by_date.set_index("site_id")
    assert by.loc["L", "valid_fraction"] == pytest.approx(0.0, abs=1e-9)  # no NIR there
    assert by.loc["R", "valid_fraction"] == pytest.approx(1.0)


def test_a_band_far_away_is_refused(tmp_path):
    paths = write_scene(tmp_path, "d", np.ones((40, 40), dtype=int), offset=1000)
    with rasterio.open(paths["nir"]) as src:
        data = src.read(1)
    paths["nir"] = _write(tmp_path / "far.tif", data, origin=(ORIGIN[0] + 3000, ORIGIN[1]))
    with pytest.raises(og.errors.ValidationError, match="does not overlap"):
        reclamation.progress(_site(pixel_box(2, 2, 10, 10)), [_scene(paths)])


def test_overlapping_tiles_of_one_date_count_each_cell_once(tmp_path):
    classes = np.ones((40, 40), dtype=int)
    a = write_scene(tmp_path / "A", "t", classes, offset=1000, scl=np.full((40, 40), 9))
    b = write_scene(tmp_path / "B", "t", classes, offset=1000, scl=np.full((40, 40), 4))
    # tile B: the same ground on a grid shifted by half a pixel (another tile's grid)
    for name, path in list(b.items()):
        with rasterio.open(path) as src:
            data, profile = src.read(1), src.profile
        profile["transform"] = from_origin(ORIGIN[0] - 5, ORIGIN[1] + 5, PIXEL, PIXEL)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data, 1)
    site = _site(pixel_box(10, 10, 20, 20), ids=["S"])  # 1 ha
    result = reclamation.progress(site, [_scene(a, scene_id="A"), _scene(b, scene_id="B")])
    assert len(result.by_date) == 1
    row = result.by_date.iloc[0]
    assert row["covered_ha"] == pytest.approx(row["area_ha"], rel=1e-6)  # 1 ha, not 2
    assert row["valid_fraction"] == pytest.approx(1.0)  # the clear tile B, not cloudy A
    assert set(result.scenes["n_sites_covered"]) == {1}


def test_a_scene_that_covers_no_site_is_listed_not_counted(tmp_path, caplog):
    here = write_scene(tmp_path / "here", "h", np.ones((40, 40), dtype=int), offset=1000)
    away = {}
    for name, path in write_scene(tmp_path / "away", "w", np.ones((40, 40), dtype=int),
                                  offset=1000).items():
        with rasterio.open(path) as src:
            data = src.read(1)
        away[name] = _write(tmp_path / f"away_{name}.tif", data,
                            origin=(ORIGIN[0] + 50_000, ORIGIN[1]))
    site = _site(pixel_box(10, 10, 20, 20), ids=["S"])
    later = pd.Timestamp("2021-08-01").date()
    with caplog.at_level(logging.WARNING, logger="ordos_geo"):
        result = reclamation.progress(site, [_scene(here, scene_id="here"),
                                             _scene(away, date=later, scene_id="away")])
    scenes = result.scenes.set_index("scene_id")
    assert scenes.loc["here", "n_sites_covered"] == 1 and scenes.loc["away", "n_sites_covered"] == 0
    assert any("away" in m for m in caplog.messages)
    assert len(result.by_date) == 1 and result.summary["n_dates"].sum() == 1


def test_the_sentinel2_offset_says_where_it_came_from(tmp_path, caplog):
    paths = write_scene(tmp_path, "o", np.ones((40, 40), dtype=int), offset=1000)
    early = pd.Timestamp("2020-06-01").date()  # reprocessed archive: offset before 2022 too
    table = imagery.check_scenes([_scene(paths, date=early, baseline="05.00", scene_id="m")])
    assert table.loc[0, "offset"] == 1000 and table.loc[0, "offset_source"] == "manifest"
    with caplog.at_level(logging.WARNING, logger="ordos_geo"):
        guessed = imagery.check_scenes([_scene(paths, date=early, baseline=None, scene_id="g")])
    assert guessed.loc[0, "offset"] == 0 and guessed.loc[0, "offset_source"] == "date (assumed)"
    assert any("baseline" in m for m in caplog.messages)
    manifest = tmp_path / "m.csv"
    rows = {"date": "2020-06-01", "sensor": "sentinel2-l2a", "baseline": "05.00",
            **{k: p.name for k, p in paths.items()}}
    pd.DataFrame([rows]).to_csv(manifest, index=False)
    scene = imagery.read_manifest(manifest)[0]
    assert scene.s2_offset() and scene.baseline_source == "manifest"


def test_banner_totals_count_each_piece_of_ground_once(tmp_path):
    paths = write_scene(tmp_path, "g", np.ones((40, 40), dtype=int), offset=1000)
    mine = pixel_box(2, 2, 12, 12)  # 1 ha
    pit_inside = pixel_box(4, 4, 8, 8)  # inside the mine
    dump_outside = pixel_box(20, 20, 30, 30)  # 1 ha outside the mine's licence area
    sites = _site(mine, pit_inside, dump_outside, ids=["M", "P", "D"],
                  kind=["mine", "pit", "dump"], mine_id=[None, "M", "M"])
    result = reclamation.progress(sites, [_scene(paths)])
    banner = result.banners_by_date.iloc[0]
    site_area = result.by_date.set_index("site_id")["covered_ha"]
    assert banner["covered_ha"] == pytest.approx(site_area["M"] + site_area["D"], rel=1e-6)
    assert banner["area_ha"] == pytest.approx(site_area["M"] + site_area["D"], rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 8),
                          st.integers(1, 8), st.sampled_from(["A", "B"])), min_size=1, max_size=25))
def test_banner_ground_is_its_sites_minus_the_overlaps_counted_twice(boxes):
    """A banner's ground — the sum of its sites minus, for each site, the part that earlier
    sites of the banner cover — is the union of its sites, exactly (area and shape)."""
    geoms = np.array([shapely.box(x, y, x + w, y + h) for x, y, w, h, _ in boxes] + [None],
                     dtype=object)
    banner = np.array([b for *_, b in boxes] + ["A"])
    overlaps, names = reclamation._banner_overlaps(geoms, banner)
    for name in ("A", "B"):
        mine = banner == name
        union = shapely.union_all(geoms[mine])
        total = shapely.area(geoms[mine & ~shapely.is_missing(geoms)]).sum() - \
            shapely.area(overlaps[names == name]).sum()
        assert total == pytest.approx(shapely.area(union), abs=1e-9)
    assert all(shapely.area(shapely.difference(o, shapely.union_all(geoms[banner == n]))) < 1e-9
               for o, n in zip(overlaps, names))
