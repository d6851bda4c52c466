"""The land-cover classifier: features with known values, blocked folds that never put
neighbours on both sides, a forest that beats the thresholds on scenes whose truth is known, and
saved models that cannot run code, from another version or for another grid refused."""

from __future__ import annotations

import datetime as dt
import functools
import json
import pickle
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin
from rasterio.windows import Window

from ordos_geo.core.errors import InputFileError, ValidationError
from ordos_geo.imagery import Scene, classify, landscapes, read_manifest


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    folder = tmp_path_factory.mktemp("landcover")
    manifest = landscapes.write_landcover_scenes(folder)
    scenes = read_manifest(manifest)
    labels = gpd.read_file(folder / "labels.geojson")
    model = classify.train(scenes, labels, class_field="class", trees=30)
    return folder, scenes, labels, model


def _tiny_scene(folder, date, refl: dict, scl):
    bands = {}
    profile = dict(driver="GTiff", width=2, height=2, count=1, crs="EPSG:32649",
                   transform=from_origin(500_000, 4_400_000, 20, 20))
    for name, value in refl.items():
        path = folder / f"{date}_{name}.tif"
        with rasterio.open(path, "w", dtype="uint16", **profile) as dst:
            dst.write(np.full((2, 2), round(value * 10000) + 1000, np.uint16), 1)
        bands[name] = (path, 1)
    path = folder / f"{date}_qa.tif"
    with rasterio.open(path, "w", dtype="uint8", **profile) as dst:
        dst.write(np.asarray(scl, np.uint8), 1)
    bands["qa"] = (path, 1)
    return Scene(dt.date.fromisoformat(date), "sentinel2-l2a", bands, baseline="05.00",
                 scene_id=date)


def test_features_are_the_season_statistics_of_clear_looks(tmp_path):
    looks = [(0.10, 0.12, 0.15, 0.30, 0.25), (0.05, 0.08, 0.06, 0.40, 0.20),
             (0.12, 0.14, 0.18, 0.22, 0.30)]
    clear = [[4, 4], [4, 4]]
    cloudy = [[9, 4], [4, 4]]  # the second look is cloud over pixel (0, 0)
    scenes = [_tiny_scene(tmp_path, d, dict(zip(("blue", "green", "red", "nir", "swir1"), v)),
                          cloudy if k == 1 else clear)
              for k, (d, v) in enumerate(zip(("2025-05-15", "2025-08-15", "2025-10-10"), looks))]
    got = classify.features(scenes, Window(0, 0, 2, 2))
    names = classify.FEATURES
    ndvi = [(v[3] - v[2]) / (v[3] + v[2]) for v in looks]
    ndbi = [(v[4] - v[3]) / (v[4] + v[3]) for v in looks]
    at = lambda px, name: float(got[px][names.index(name)])  # noqa: E731
    assert at((1, 1), "ndvi_median") == pytest.approx(np.median(ndvi), abs=1e-3)
    assert at((1, 1), "ndvi_p10") == pytest.approx(np.percentile(ndvi, 10), abs=1e-3)
    assert at((1, 1), "ndbi_p90") == pytest.approx(np.percentile(ndbi, 90), abs=1e-3)
    assert at((1, 1), "red_median") == pytest.approx(0.15, abs=1e-3)
    # the cloudy look is left out where it is cloud: two looks, their mean is the median
    assert at((0, 0), "ndvi_median") == pytest.approx((ndvi[0] + ndvi[2]) / 2, abs=1e-3)
    assert at((0, 0), "nir_p90") == pytest.approx(0.22 + 0.9 * (0.30 - 0.22), abs=1e-3)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 30), st.floats(0, 0.9), st.integers(0, 2 ** 31))
def test_quantiles_equal_numpys_nan_percentiles(looks, size, cloud, seed):
    rng = np.random.default_rng(seed)
    cube = rng.random((looks, size, 3)).astype(np.float32)
    cube[rng.random(cube.shape) < cloud] = np.nan
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning) if np.isnan(
            cube).all(axis=0).any() else _nothing():
        want = np.nanpercentile(cube, [50, 10, 90], axis=0)
    got = np.stack(classify._quantiles(cube, [50, 10, 90]))
    assert np.allclose(np.nan_to_num(got, nan=-9), np.nan_to_num(want, nan=-9), atol=1e-6)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 9), st.integers(2, 6), st.integers(0, 2 ** 31))
def test_blocked_folds_never_put_neighbours_on_both_sides(size, folds, seed):
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(0, 60, 400), rng.integers(0, 60, 400)
    seen_test = np.zeros(400, int)
    for train, test in classify.blocked_folds(rows, cols, size=size, folds=folds):
        seen_test[test] += 1
        if len(train) and len(test):
            dr = np.abs(rows[train][:, None] - rows[test][None, :])
            dc = np.abs(cols[train][:, None] - cols[test][None, :])
            assert np.maximum(dr, dc).min() > 1  # no training pixel touches a test pixel
        blocks = lambda i: set(zip(rows[i] // size, cols[i] // size))  # noqa: E731
        assert not blocks(train) & blocks(test)
    assert (seen_test == 1).all()  # each pixel tested once


def test_the_forest_beats_the_thresholds_on_scenes_whose_truth_is_known(season, tmp_path):
    folder, scenes, _, model = season
    truth = rasterio.open(folder / "truth_landcover.tif").read(1)
    mapped = rasterio.open(classify.predict(model, scenes, tmp_path / "rf.tif")).read(1)
    fixed = rasterio.open(classify.threshold_map(scenes, tmp_path / "thr.tif")).read(1)
    forest_oa, threshold_oa = (mapped == truth).mean(), (fixed == truth).mean()
    assert forest_oa >= 0.9 and forest_oa > threshold_oa + 0.1, (forest_oa, threshold_oa)
    # every class of the landscape is found, crops and PV included
    for code in range(1, 9):
        assert (mapped[truth == code] == code).mean() > 0.7, code
    # the cross-validation is honest: blocked folds score below the resubstitution
    pooled = model.cv.loc[model.cv["fold"] == "pooled", "overall_accuracy"].iloc[0]
    assert 0.8 < pooled <= 1.0


def test_a_saved_model_predicts_the_same_and_says_what_it_is(season, tmp_path):
    folder, scenes, _, model = season
    path = classify.save(model, tmp_path / "m.skops")
    back = classify.load(path)
    assert back.meta["features"] == classify.FEATURES
    assert set(back.meta["classes"]) == {str(c) for c in range(1, 9)}
    assert [s["scene_id"] for s in back.meta["scenes"]] == [s.scene_id for s in scenes]
    X = np.random.default_rng(0).random((50, len(classify.FEATURES)))
    assert (back.forest.predict(X) == model.forest.predict(X)).all()


def test_a_model_that_could_run_code_is_refused_unopened(tmp_path):
    import skops.io as sio

    evil = tmp_path / "evil.skops"
    sio.dump({"forest": functools.partial(print, "ran"), "meta": "{}", "cv": "[]"}, evil)
    with pytest.raises(InputFileError, match="refused unopened"):
        classify.load(evil)
    pickled = tmp_path / "pickled.skops"
    pickled.write_bytes(pickle.dumps({"forest": None}))
    with pytest.raises(InputFileError, match="not a saved ordos_geo model"):
        classify.load(pickled)


@pytest.mark.parametrize("change, words", [({"format": 99}, "model format 99"),
                                           ({"scikit_learn": "0.24.2"}, "scikit-learn 0.24.2")])
def test_a_model_of_another_version_is_refused(season, tmp_path, change, words):
    _, _, _, model = season
    other = classify.Model(model.forest, {**model.meta, **change}, model.cv)
    path = classify.save(other, tmp_path / "other.skops")
    with pytest.raises(InputFileError, match=words):
        classify.load(path)


def test_a_model_for_another_grid_is_refused(season, tmp_path):
    _, _, _, model = season
    coarse = read_manifest(landscapes.write_landcover_scenes(tmp_path / "coarse", size_km=3,
                                                             pixel_m=30))
    with pytest.raises(ValidationError, match="trained on 20 m pixels"):
        classify.predict(model, coarse, tmp_path / "x.tif")
    assert not (tmp_path / "x.tif").exists()


def test_labels_are_checked_and_every_feature_accounted_for(season):
    folder, scenes, labels, _ = season
    grid = classify.scene_grid(scenes)
    bad = labels.copy()
    bad.loc[3, "class"] = "森林"
    with pytest.raises(ValidationError, match="feature 3"):
        classify.labelled_pixels(bad, grid, class_field="class")
    with pytest.raises(ValidationError, match="no field 'kind'"):
        classify.labelled_pixels(labels, grid, class_field="kind")
    odd = labels.copy()
    odd.loc[0, "class"] = "光伏\u200b阵列"  # an invisible character is not a new class
    far = gpd.GeoDataFrame({"class": ["耕地"]}, geometry=gpd.points_from_xy([100.0], [30.0]),
                           crs=4326)
    raster, report = classify.labelled_pixels(pd.concat([odd, far], ignore_index=True), grid,
                                              class_field="class")
    assert len(report) == len(labels) + 1
    assert report.iloc[0]["class"] == 7
    assert report.iloc[-1]["pixels"] == 0 and "not used" in report.iloc[-1]["status"]
    clash = pd.concat([labels.iloc[[0]], labels.iloc[[0]].assign(**{"class": "水体"})],
                      ignore_index=True)
    with pytest.raises(ValidationError, match="same pixels"):
        classify.labelled_pixels(clash, grid, class_field="class")


def _run(args, cwd):
    return subprocess.run([sys.executable, "-m", "ordos_geo", *args, "--lang", "en",
                           "--no-progress"], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_classify_trains_saves_and_reuses_from_the_command_line(season, tmp_path):
    folder, _, _, _ = season
    manifest = str(folder / "manifest.csv")
    done = _run(["classify", "--imagery", manifest, "--labels", str(folder / "labels.geojson"),
                 "--trees", "20", "--out", "one"], tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ("landcover.tif", "class_areas.csv", "model.skops", "cv.csv",
                 "labels_report.csv", "model.json"):
        assert (tmp_path / "one" / name).exists(), name
    assert json.loads((tmp_path / "one" / "model.json").read_text("utf-8"))["trees"] == 20
    again = _run(["classify", "--imagery", manifest, "--model", "one/model.skops", "--out",
                  "two"], tmp_path)
    assert again.returncode == 0, again.stderr
    a = rasterio.open(tmp_path / "one" / "landcover.tif").read(1)
    b = rasterio.open(tmp_path / "two" / "landcover.tif").read(1)
    assert (a == b).all()
    areas = pd.read_csv(tmp_path / "one" / "class_areas.csv", encoding="utf-8-sig")
    assert areas["pixels"].sum() == a.size  # every pixel has a class (no clouds everywhere)


@pytest.mark.parametrize("extra, code, words", [
    (["--year", "1999"], 2, "no scene of 1999"),
    (["--trees", "0"], 2, "--trees 0"),
])
def test_classify_refuses_a_users_mistake(season, tmp_path, extra, code, words):
    folder, _, _, _ = season
    done = _run(["classify", "--imagery", str(folder / "manifest.csv"), "--labels",
                 str(folder / "labels.geojson"), *extra, "--out", "x"], tmp_path)
    assert done.returncode == code and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "x").exists()


@pytest.fixture(scope="module")
def site_layer(season):
    from ordos_geo.imagery.samples import sample_grid

    folder = season[0]
    local, *_ = sample_grid(None, "薛家湾/魏家茆", 12.0, 20.0)
    sites = local[local["kind"].isin(["pit", "dump"])].to_crs(4326)
    path = folder / "window_sites.geojson"
    if not path.exists():
        sites.to_file(path, driver="GeoJSON")
    return sites, path


def test_progress_with_a_classifier_counts_vegetation_by_class(season, site_layer):
    from ordos_geo.imagery import reclamation

    folder, scenes, _, model = season
    sites, _ = site_layer
    result = reclamation.progress(sites, scenes, classifier=model, show_progress=False)
    classes = result.classes[result.classes["level"] == "site"]
    assert set(classes["class"]) == set(range(1, 9)) and (classes["year"] == 2025).all()
    veg = classes[classes["class"].isin([4, 5])].groupby("id")["ha"].sum()
    # on the clear dates a site's vegetated hectares are its grass and crop hectares
    clear = result.by_date[result.by_date["valid_fraction"] > 0.999]
    got = clear.groupby("site_id")["vegetated_ha"].max()
    assert len(got) >= 5
    assert np.allclose(got.to_numpy(), veg.reindex(got.index).to_numpy(), atol=1e-6)
    # and near the truth: the forest's vegetated hectares of each site against the truth's
    truth = rasterio.open(folder / "truth_landcover.tif")
    from ordos_geo.imagery.grids import coverage, grid_of

    cov = coverage(gpd.GeoSeries(sites.geometry.to_numpy(), crs=4326),
                   grid_of(folder / "truth_landcover.tif"))
    cells = truth.read(1).ravel()[cov.cell.astype(np.int64)]
    true_veg = np.bincount(cov.poly, weights=cov.cov * np.isin(cells, [4, 5]),
                           minlength=len(sites)) * cov.ha_per_cell
    true = pd.Series(true_veg, index=sites["site_id"].astype(str).to_numpy())
    area = result.by_date.groupby("site_id")["covered_ha"].max()
    # all the sites' vegetated hectares within 5 % of the sites' area of the truth's (a pit of
    # dim spoil the forest takes in part for a fallow field is this toy's largest miss)
    both = veg.index.intersection(true.index)
    assert abs(veg[both].sum() - true[both].sum()) < 0.05 * area.reindex(both).sum()


def test_progress_classifier_from_the_command_line(season, site_layer, tmp_path):
    folder, _, _, model = season
    _, path = site_layer
    saved = classify.save(model, tmp_path / "m.skops")
    done = _run(["progress", str(path), "--imagery", str(folder / "manifest.csv"),
                 "--classifier", str(saved), "--out", "p"], tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ("progress.csv", "progress_summary.csv", "progress.geojson",
                 "progress_classes.csv"):
        assert (tmp_path / "p" / name).exists(), name
    (tmp_path / "bad.skops").write_bytes(b"PK\x03\x04 not a model")
    bad = _run(["progress", str(path), "--imagery", str(folder / "manifest.csv"),
                "--classifier", "bad.skops", "--out", "q"], tmp_path)
    assert bad.returncode == 1 and "bad.skops" in bad.stderr and not (tmp_path / "q").exists()


def test_progress_gives_vegetated_hectares_with_an_interval_from_a_reference_sample(
        season, site_layer, tmp_path):
    from ordos_geo.imagery import accuracy, reclamation

    folder, scenes, _, model = season
    sites, _ = site_layer
    mapped = classify.predict(model, scenes, tmp_path / "lc.tif")  # the map progress makes
    sheet, _ = accuracy.draw_sample(mapped, n=400, seed=11)
    truth = rasterio.open(folder / "truth_landcover.tif").read(1)
    info = accuracy.read_map(mapped)
    col, row = ~info.transform * (sheet["x"].to_numpy(), sheet["y"].to_numpy())
    sheet["reference_class"] = truth[row.astype(int), col.astype(int)]
    sheet.to_csv(tmp_path / "sheet.csv", index=False)
    result = reclamation.progress(sites, scenes, classifier=model, show_progress=False,
                                  reference=tmp_path / "sheet.csv")
    row = result.vegetated.set_index("region").loc["map"]
    cell = accuracy.map_areas(info).set_index("class").eval("map_ha / pixels").mean()
    true_ha = np.isin(truth, [4, 5]).sum() * cell
    assert abs(row["estimated_ha"] - true_ha) <= row["ci95_ha"] + 1e-6 and row["ci95_ha"] > 0
    with pytest.raises(ValidationError, match="classifier"):
        reclamation.progress(sites, scenes, reference=tmp_path / "sheet.csv")


def test_zone_sheets_show_each_zones_class_hectares_with_intervals(season, site_layer,
                                                                   tmp_path):
    import ordos_geo as og
    from ordos_geo.imagery import accuracy
    from ordos_geo.publish import sheets

    folder, scenes, _, model = season
    sites, site_path = site_layer
    checked, _ = og.sites.read_sites(site_path)
    built = og.zones.build_zones(checked, gap_m=500)
    zones = og.rules.apply_rules(built.zones, sites=built.sites)
    og.io.write_geojson(zones, tmp_path / "zones.geojson")
    mapped = classify.predict(model, scenes, tmp_path / "lc.tif")
    sheet, _ = accuracy.draw_sample(mapped, n=600, seed=3)
    truth = rasterio.open(folder / "truth_landcover.tif").read(1)
    info = accuracy.read_map(mapped)
    col, row = ~info.transform * (sheet["x"].to_numpy(), sheet["y"].to_numpy())
    sheet["reference_class"] = truth[row.astype(int), col.astype(int)]
    sheet.to_csv(tmp_path / "sheet.csv", index=False)
    done = _run(["accuracy", "lc.tif", "--reference", "sheet.csv", "--zones", "zones.geojson",
                 "--out", "acc"], tmp_path)
    assert done.returncode == 0, done.stderr
    regions = pd.read_csv(tmp_path / "acc" / "areas_by_region.csv", encoding="utf-8-sig")
    estimated = regions[regions["region"].str.startswith("zone:")].dropna(subset=["estimated_ha"])
    assert len(estimated), "no zone the sample allows"
    zone_id = estimated["region"].iloc[0].split(":", 1)[1]
    zone = zones.set_index("zone_id").loc[zone_id].copy()
    zone["zone_id"] = zone_id
    members = checked[checked["site_id"].isin(zone["site_ids"].split(";"))]
    fig = sheets.zone_sheet(zone, members, flows=None, retained=set(), earthworks=None,
                            progress=None, lang="en",
                            landcover=regions[regions["region"] == f"zone:{zone_id}"])
    text = "\n".join(t.get_text() for t in fig.texts)
    first = estimated[estimated["region"] == f"zone:{zone_id}"].iloc[0]
    assert "Land cover (ha, ± 95 %)" in text
    assert f"{first['estimated_ha']:,.1f} ± {first['ci95_ha']:,.1f}" in text
    done = _run(["zone-sheets", str(site_path), "--zones", "zones.geojson", "--landcover",
                 "acc", "--out", "sheets"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "sheets" / "zone_sheets.pdf").exists()
    # a zone only part of which the map covers says how much
    half = sheets.zone_sheet(zone, members, flows=None, retained=set(), earthworks=None,
                             progress=None, lang="en", zone_ha=10 * regions[
                                 regions["region"] == f"zone:{zone_id}"]["map_ha"].sum(),
                             landcover=regions[regions["region"] == f"zone:{zone_id}"])
    assert "(10 %)" in "\n".join(t.get_text() for t in half.texts)
    assert "the map covers" not in text  # given no zone area, nothing is claimed
    # tables a user (or another program) got wrong are refused by line, never drawn blank
    raw = pd.read_csv(tmp_path / "acc" / "areas_by_region.csv", encoding="utf-8-sig", dtype=str,
                      keep_default_na=False)
    k = int(np.flatnonzero(raw["class"] != "")[0])
    for name, col, value, words in [("inf", "estimated_ha", "inf", "line"),
                                    ("neg", "ci95_ha", "-5", "line"),
                                    ("c99", "class", "99", "no class"),
                                    ("cx", "class", "x", "no class"),
                                    ("other", "region", None, "none of its")]:
        bad = raw.copy()
        if value is None:
            bad["region"] = bad["region"].str.replace("zone:", "zone:OTHER-", regex=False)
        else:
            bad.loc[k, col] = value
        bad.to_csv(tmp_path / f"{name}.csv", index=False)
        done = _run(["zone-sheets", str(site_path), "--zones", "zones.geojson", "--landcover",
                     f"{name}.csv", "--out", f"s_{name}"], tmp_path)
        assert done.returncode == 1 and words in done.stderr, (name, done.stderr)
        assert "Traceback" not in done.stderr and not (tmp_path / f"s_{name}").exists()


def test_a_pixel_never_seen_clear_has_no_class_and_the_map_carries_its_colours(season,
                                                                                tmp_path):
    _, _, _, model = season
    looks = (0.07, 0.09, 0.10, 0.23, 0.24)
    cloudy = [[9, 4], [4, 4]]  # pixel (0, 0) under cloud on every date
    scenes = [_tiny_scene(tmp_path, d, dict(zip(("blue", "green", "red", "nir", "swir1"),
                                                 looks)), cloudy)
              for d in ("2025-05-15", "2025-08-15", "2025-10-10")]
    out = classify.predict(model, scenes, tmp_path / "tiny.tif")
    with rasterio.open(out) as src:
        data = src.read(1)
        colours = src.colormap(1)
    assert data[0, 0] == 0 and (data.ravel()[1:] > 0).all()
    from ordos_geo.imagery.accuracy import classes

    pv = classes()[7]["colour"].lstrip("#")
    assert colours[7][:3] == tuple(int(pv[i:i + 2], 16) for i in (0, 2, 4))
    assert colours[0][3] == 0  # no class: transparent


def test_classes_are_balanced_by_a_cap_per_class(season):
    folder, scenes, labels, _ = season
    raster, _ = classify.labelled_pixels(labels, classify.scene_grid(scenes),
                                         class_field="class")
    X, y, rows, cols = classify._training_pixels(scenes, raster, max_per_class=60, seed=1)
    counts = np.bincount(y, minlength=9)[1:]
    assert counts.max() <= 60 and (counts > 0).all()
    assert len(X) == len(y) == len(rows) == len(cols)


@pytest.mark.parametrize("chunk", [1, 7, 65_536])
def test_chunked_prediction_is_the_forests_own_answer(season, monkeypatch, chunk):
    _, scenes, _, model = season
    X = classify.features(scenes, Window(0, 0, 600, 40)).reshape(-1, len(classify.FEATURES))
    X = X[np.isfinite(X).all(axis=1)][:3000]
    monkeypatch.setattr(classify, "_CHUNK", chunk)
    got = classify.classes_of(model.forest, X)
    assert got.dtype == np.uint8 and (got == model.forest.predict(X)).all()


def _forged(season, tmp_path, name, *, forest=None, meta=None):
    import skops.io as sio

    _, _, _, model = season
    path = tmp_path / name
    sio.dump({"forest": model.forest if forest is None else forest,
              "meta": json.dumps(model.meta if meta is None else meta),
              "cv": model.cv.to_json(orient="records")}, path)
    return path


def test_a_model_file_that_is_not_the_projects_forest_is_refused(season, tmp_path):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    _, _, _, model = season
    small = RandomForestClassifier(n_estimators=2, random_state=0).fit(
        np.random.default_rng(0).random((40, 3)), np.arange(40) % 2 + 1)
    odd_codes = RandomForestClassifier(n_estimators=2, random_state=0).fit(
        np.random.default_rng(0).random((40, 27)), np.arange(40) % 2 + 300)
    no_grid = {k: v for k, v in model.meta.items() if k != "grid"}
    nan_grid = {**model.meta, "grid": {**model.meta["grid"], "pixel_m": float("nan")}}
    bad_crs = {**model.meta, "grid": {**model.meta["grid"], "crs": "garbage"}}
    import copy

    twice = copy.deepcopy(model.forest)
    twice.classes_ = np.array([1, 2, 3, 4, 5, 6, 7, 7])  # built-up would be written as PV
    stitched = copy.deepcopy(model.forest)
    stitched.classes_, stitched.n_classes_ = np.array([1, 2]), 2
    bare = copy.deepcopy(model.forest)
    bare.estimators_ = []
    for path, words in [
            (_forged(season, tmp_path, "lr.skops", forest=LogisticRegression()), "LogisticRegression"),
            (_forged(season, tmp_path, "three.skops", forest=small), "takes 3 features"),
            (_forged(season, tmp_path, "codes.skops", forest=odd_codes), "not distinct codes"),
            (_forged(season, tmp_path, "nogrid.skops", meta=no_grid), "no grid"),
            (_forged(season, tmp_path, "nangrid.skops", meta=nan_grid), "no grid"),
            (_forged(season, tmp_path, "crs.skops", meta=bad_crs), "no grid"),
            (_forged(season, tmp_path, "list.skops", meta=[1, 2]), "metadata is a list"),
            (_forged(season, tmp_path, "twice.skops", forest=twice), "distinct"),
            (_forged(season, tmp_path, "stitched.skops", forest=stitched), "do not predict"),
            (_forged(season, tmp_path, "bare.skops", forest=bare), "do not predict")]:
        with pytest.raises(InputFileError, match=words):
            classify.load(path)


def test_a_model_that_unpacks_to_gigabytes_is_refused_unopened(tmp_path):
    import zipfile

    bomb = tmp_path / "bomb.skops"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("schema.json", "w", force_zip64=True) as f:
            chunk = b"\0" * 2**20
            for _ in range(classify.MAX_MODEL_BYTES // 2**20 + 1):
                f.write(chunk)
    assert bomb.stat().st_size < 2**20
    with pytest.raises(InputFileError, match="refused unopened"):
        classify.load(bomb)


def test_a_class_whose_labels_are_never_seen_clear_is_said_not_dropped(season, tmp_path):
    import shutil

    from rasterio.features import rasterize

    folder, scenes, labels, _ = season
    copy = tmp_path / "cloudy"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("*.skops", "*.geojson"))
    grid = classify.scene_grid(scenes)
    dig = labels[labels["class"] == "采掘场与裸地"].to_crs(grid["crs"])
    with rasterio.open(scenes[0].bands["qa"][0]) as src:
        cover = rasterize([(g, 1) for g in dig.geometry], out_shape=src.shape,
                          transform=src.transform) > 0
    for scene in scenes:  # a cloud over every excavation label on every date
        path = copy / scene.bands["qa"][0].name
        with rasterio.open(path, "r+") as dst:
            qa = dst.read(1)
            qa[cover] = 9
            dst.write(qa, 1)
    cloudy = read_manifest(copy / "manifest.csv")
    with pytest.raises(ValidationError, match="1 采掘场与裸地|1 excavation"):
        classify.train(cloudy, labels, trees=5, folds=2)


def test_labels_without_a_crs_are_refused(season):
    _, scenes, labels, _ = season
    naive = labels.copy().set_crs(None, allow_override=True)
    with pytest.raises(ValidationError, match="without a CRS"):
        classify.labelled_pixels(naive, classify.scene_grid(scenes), class_field="class")


def test_disturbance_with_a_classifier_and_one_year_says_nothing_was_judged(season, tmp_path):
    from ordos_geo import datasets

    folder, _, _, model = season
    saved = classify.save(model, tmp_path / "m.skops")
    done = _run(["disturbance", str(datasets.synthetic_sites_path()), "--imagery",
                 str(folder / "manifest.csv"), "--classifier", str(saved), "--out", "d"],
                tmp_path)
    assert done.returncode == 0, done.stderr
    assert "one year (2025)" in done.stdout and "0 suspected" in done.stdout


def test_progress_classes_leave_out_sites_no_map_covers(season, tmp_path):
    from ordos_geo import datasets
    from ordos_geo.imagery import reclamation

    _, scenes, _, model = season
    every, _ = __import__("ordos_geo").sites.read_sites(datasets.synthetic_sites_path())
    result = reclamation.progress(every, scenes, classifier=model, show_progress=False)
    sites = result.classes[result.classes["level"] == "site"]
    seen = set(result.by_date["site_id"].astype(str))
    assert set(sites["id"].astype(str)) == seen and len(seen) < len(every)
    assert (sites.groupby("id")["ha"].sum() > 0).all()
