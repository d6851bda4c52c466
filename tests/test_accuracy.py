"""Accuracy and area the accepted way (Olofsson et al. 2014): the paper's worked example to its
printed digits; stratified samples whose intervals cover the true area ~95 % of the time on maps
with a known error; ground areas of pixels; sheets filled by hand, in Chinese, or by someone who
wants a better number."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin

from ordos_geo.core.errors import InputFileError, ValidationError
from ordos_geo.imagery import accuracy

#: Olofsson et al. 2014, section 5 (Table 8): sample counts, rows the map, columns the reference
#: (deforestation, forest gain, stable forest, stable non-forest), and mapped pixels (30 m)
PAPER_COUNTS = np.array([[66, 0, 5, 4], [0, 55, 8, 12], [1, 0, 153, 11], [2, 1, 9, 313]])
PAPER_PIXELS = np.array([200_000, 150_000, 3_200_000, 6_450_000])


def _paper():
    m, r = [], []
    for i in range(4):
        for j in range(4):
            m += [i + 1] * int(PAPER_COUNTS[i, j])
            r += [j + 1] * int(PAPER_COUNTS[i, j])
    mapped = pd.Series(PAPER_PIXELS * 0.09, index=[1, 2, 3, 4])
    return accuracy.estimate(m, r, mapped_ha=mapped)


def test_the_papers_worked_example_to_its_printed_digits():
    a = _paper()
    areas = a.areas.set_index("class")
    # areas (ha) and their 95 % intervals, as printed
    assert areas["estimated_ha"].round(0).tolist() == [21158, 11686, 285770, 581386]
    assert areas["ci95_ha"].round(0).tolist() == [6158, 3756, 15510, 16282]
    # user's and producer's accuracies with their intervals, two decimals as printed
    assert areas["users_accuracy"].round(2).tolist() == [0.88, 0.73, 0.93, 0.96]
    assert areas["users_ci95"].round(2).tolist() == [0.07, 0.10, 0.04, 0.02]
    assert areas["producers_accuracy"].round(2).tolist() == [0.75, 0.85, 0.93, 0.96]
    assert areas["producers_ci95"].round(2).tolist() == [0.21, 0.25, 0.03, 0.02]
    overall = a.accuracy.iloc[0]
    assert (round(overall["estimate"], 2), round(overall["ci95"], 2)) == (0.95, 0.02)
    # the error matrix in area proportions (Table 9), four decimals
    assert a.error_matrix.round(4).to_numpy().tolist() == [
        [0.0176, 0.0, 0.0013, 0.0011], [0.0, 0.0110, 0.0016, 0.0024],
        [0.0019, 0.0, 0.2967, 0.0213], [0.0040, 0.0020, 0.0179, 0.6212]]
    assert a.error_matrix.to_numpy().sum() == pytest.approx(1.0)


def _write(path, data, *, x0=300_000.0, y0=4_400_000.0, cell=30.0, crs="EPSG:32649",
           nodata=None, dtype="uint8"):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=dtype, crs=crs, nodata=nodata,
                       transform=from_origin(x0, y0, cell, cell)) as dst:
        dst.write(data.astype(dtype), 1)
    return path


def _known_error(size=240, seed=1):
    """A truth raster of four classes in blocks, and a map that errs at known rates."""
    rng = np.random.default_rng(seed)
    truth = np.full((size, size), 4, np.uint8)
    truth[: size // 4, : size // 3] = 1
    truth[size // 2:, size // 2:] = 3
    truth[size // 3: size // 2, : size // 6] = 2
    mapped = truth.copy()
    flip = rng.random(truth.shape)
    mapped[(truth == 4) & (flip < 0.04)] = 1     # commission into the rare class
    mapped[(truth == 1) & (flip < 0.15)] = 4     # omission of the rare class
    mapped[(truth == 3) & (flip < 0.08)] = 2
    return truth, mapped


def test_intervals_cover_the_true_area_about_95_percent_of_the_time(tmp_path):
    truth, mapped = _known_error()
    path = _write(tmp_path / "map.tif", mapped)
    info = accuracy.read_map(path)
    cell_ha = accuracy.map_areas(info).set_index("class")
    ha_per_px = (cell_ha["map_ha"] / cell_ha["pixels"]).mean()
    true_ha = pd.Series({c: (truth == c).sum() * ha_per_px for c in range(1, 5)})
    covered, repeats = pd.Series(0, index=true_ha.index), 200
    for seed in range(repeats):
        sheet, _ = accuracy.draw_sample(path, n=600, allocation="olofsson", seed=seed)
        rows, cols = _rc(info, sheet)
        ref = truth[rows, cols]
        a = accuracy.estimate(sheet["map_class"], ref, mapped_ha=cell_ha["map_ha"])
        got = a.areas.set_index("class")
        covered += (np.abs(got["estimated_ha"] - true_ha) <= got["ci95_ha"]).astype(int)
    share = covered / repeats
    # a normal interval of a skewed estimate covers a little under 95 % (here 0.92–0.93 over
    # 300 other seeds, its width equal to 1.96 × the estimates' spread); binomial noise of 200
    # repeats is ± 0.015: 0.88 is three of those below, and a wrong variance is far outside
    assert ((share >= 0.88) & (share <= 0.995)).all(), share.to_dict()
    assert share.mean() >= 0.9, share.to_dict()


def _rc(info, sheet):
    col, row = ~info.transform * (sheet["x"].to_numpy(), sheet["y"].to_numpy())
    return np.floor(row).astype(int), np.floor(col).astype(int)


@settings(max_examples=40, deadline=None)
@given(pixels=st.lists(st.integers(1, 5000), min_size=2, max_size=8),
       n=st.integers(16, 900), allocation=st.sampled_from(accuracy.ALLOCATIONS))
def test_every_allocation_sums_to_n_and_never_exceeds_a_class(pixels, n, allocation):
    counts = pd.Series(pixels, index=range(1, len(pixels) + 1))
    floors = np.minimum(counts, 8).sum() if allocation == "olofsson" else 2 * len(counts)
    if n < floors:  # fewer samples than the allocation's least per class: refused, not shrunk
        with pytest.raises(ValidationError, match=f"n = {n}"):
            accuracy.allocate(counts, n, allocation=allocation, min_per_class=8)
        return
    got = accuracy.allocate(counts, n, allocation=allocation, min_per_class=8)
    assert got.sum() == min(n, counts.sum())
    assert (got <= counts).all() and (got >= np.minimum(counts, 2)).all()
    if allocation == "olofsson":
        assert (got >= np.minimum(counts, 8)).all()


def test_a_sample_is_stratified_seeded_and_lies_on_its_pixels(tmp_path):
    truth, mapped = _known_error()
    path = _write(tmp_path / "map.tif", mapped)
    one, design = accuracy.draw_sample(path, n=200, seed=5)
    two, _ = accuracy.draw_sample(path, n=200, seed=5)
    other, _ = accuracy.draw_sample(path, n=200, seed=6)
    pd.testing.assert_frame_equal(one, two)
    assert not one["lon"].equals(other["lon"])
    info = accuracy.read_map(path)
    rows, cols = _rc(info, one)
    assert (mapped[rows, cols] == one["map_class"]).all()
    assert len(set(zip(rows, cols))) == len(one)  # without replacement
    assert one.groupby("map_class").size().to_dict() == {
        int(k): v["n"] for k, v in design["classes"].items()}
    # the lon/lat of the sheet (7 decimals) read back to the same pixels and classes
    back = accuracy.read_sheet(one.assign(reference_class=1), info)
    assert (back["row"].to_numpy() == rows).all() and (back["col"].to_numpy() == cols).all()


def test_mapped_hectares_are_ground_areas_not_grid_areas(tmp_path):
    """At a UTM zone's edge a 30 m cell is not 0.09 ha on the ground: the map's hectares equal
    the footprint's area in an equal-area projection."""
    import geopandas as gpd
    from shapely.geometry import box

    data = np.ones((100, 100), np.uint8)
    path = _write(tmp_path / "edge.tif", data, x0=220_000.0)  # ~3.9° west of the meridian
    got = accuracy.map_areas(accuracy.read_map(path))["map_ha"].sum()
    footprint = gpd.GeoSeries([box(220_000, 4_397_000, 223_000, 4_400_000)], crs="EPSG:32649")
    truth = footprint.to_crs("+proj=aea +lat_1=25 +lat_2=47 +lon_0=105").area.iloc[0] / 1e4
    assert got == pytest.approx(truth, rel=1e-4)
    assert abs(got - 900.0) / 900.0 > 5e-4  # the grid's 900 ha would be wrong here


@pytest.mark.parametrize("kind", ["rgb", "float", "degrees"])
def test_a_raster_that_is_not_a_class_map_is_refused(tmp_path, kind):
    path = tmp_path / f"{kind}.tif"
    if kind == "rgb":
        with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=3, dtype="uint8",
                           crs="EPSG:32649", transform=from_origin(0, 0, 30, 30)) as dst:
            dst.write(np.ones((3, 4, 4), np.uint8))
    elif kind == "float":
        _write(path, np.ones((4, 4)), dtype="float32")
    else:
        _write(path, np.ones((4, 4)), x0=110.0, y0=40.0, cell=0.001, crs="EPSG:4326")
    with pytest.raises(InputFileError, match=str(path.name)):
        accuracy.read_map(path)


def test_a_mapped_class_without_samples_is_refused_and_one_sample_has_no_interval():
    mapped = pd.Series({1: 10.0, 2: 90.0, 3: 5.0})
    with pytest.raises(ValidationError, match=r"\[3\]"):
        accuracy.estimate([1, 1, 2, 2], [1, 2, 2, 2], mapped_ha=mapped)
    from ordos_geo import settings as og_settings

    for lang, words in (("en", "one sample"), ("zh", "仅 1 个样点")):
        with og_settings.context(lang=lang):
            a = accuracy.estimate([1, 1, 2, 2, 3], [1, 2, 2, 2, 3], mapped_ha=mapped)
        row = a.areas.set_index("class").loc[3]
        assert np.isnan(row["users_ci95"]) and words in row["note"]


@pytest.mark.parametrize("value, code", [("3", 3), (" 排土场 ", 3), ("Dumps", 3), ("ＰＶ arrays", None),
                                         ("光伏\u200b阵列", 7), ("pv", 7), ("", None)])
def test_class_names_in_either_language_and_invisible_characters(value, code):
    if value == "ＰＶ arrays":  # full-width letters are the same name
        assert accuracy.class_code(value) == 7
        return
    assert accuracy.class_code(value) == code


@pytest.mark.parametrize("bad", ["=HYPERLINK(\"x\")", "nan", "-1", "2.5", "forest"])
def test_a_reference_that_names_no_class_is_refused(bad):
    with pytest.raises(ValueError):
        accuracy.class_code(bad)


def _run(args, cwd):
    return subprocess.run([sys.executable, "-m", "ordos_geo", *args, "--lang", "en"], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture()
def mapped(tmp_path):
    truth, mapped = _known_error()
    _write(tmp_path / "map.tif", mapped)
    _write(tmp_path / "truth.tif", truth)
    done = _run(["accuracy-sample", "map.tif", "--n", "240", "--seed", "3", "--out", "s"],
                tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path, truth


def _filled(folder, truth, changes=None):
    sheet = pd.read_csv(folder / "s" / "sheet.csv", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    info = accuracy.read_map(folder / "map.tif")
    rows, cols = _rc(info, sheet.assign(x=sheet["x"].astype(float), y=sheet["y"].astype(float)))
    sheet["reference_class"] = truth[rows, cols].astype(str)
    for (k, col), value in (changes or {}).items():
        sheet.loc[k, col] = value
    return sheet


def test_sample_then_assess_from_the_command_line(mapped):
    folder, truth = mapped
    for name in ("sheet.csv", "sheet.xlsx", "sheet.geojson", "design.json"):
        assert (folder / "s" / name).exists()
    _filled(folder, truth).to_csv(folder / "filled.csv", index=False)
    done = _run(["accuracy", "map.tif", "--reference", "filled.csv", "--out", "a"], folder)
    assert done.returncode == 0, done.stderr
    areas = pd.read_csv(folder / "a" / "areas.csv", encoding="utf-8-sig")
    assert list(areas.columns[:6]) == accuracy.AREA_COLUMNS
    matrix = pd.read_csv(folder / "a" / "error_matrix.csv", encoding="utf-8-sig")
    assert matrix.drop(columns="map_class").to_numpy().sum() == pytest.approx(1.0)
    assert "overall accuracy" in done.stdout and "areas.csv" in done.stdout
    vegetated = pd.read_csv(folder / "a" / "vegetated.csv", encoding="utf-8-sig")
    assert list(vegetated["region"]) == ["map"]  # grass (4) and cropland (5) of the map
    by_class = areas.set_index("class")
    assert vegetated["map_ha"].iloc[0] == pytest.approx(by_class.loc[[4], "map_ha"].sum())


def test_names_in_chinese_headers_and_values_read_as_codes(mapped):
    folder, truth = mapped
    sheet = _filled(folder, truth)
    zh = {1: "采掘场与裸地", 2: "煤与煤矸石", 3: "排土场", 4: "草地与灌木"}
    sheet["reference_class"] = [zh[int(v)] for v in sheet["reference_class"]]
    sheet = sheet.rename(columns={"sample_id": "样点编号", "reference_class": "参考类别"})
    sheet.to_excel(folder / "filled.xlsx", index=False)
    done = _run(["accuracy", "map.tif", "--reference", "filled.xlsx", "--out", "a"], folder)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("change, words", [
    ({(4, "reference_class"): "=1+1"}, "line 6"),
    ({(4, "reference_class"): "\u200b"}, "no reference_class"),
    ({(7, "lon"): "nan"}, "line 9"),
    ({(2, "map_class"): "7"}, "another map"),
    ({(2, "reference_class"): "9"}, "names no class"),       # a code the table has not
    ({(2, "reference_class"): "999"}, "names no class"),
    ({(2, "reference_class"): "0"}, "names no class"),       # 0 is "no class"
    ({(2, "reference_class"): "1e30"}, "names no class"),
    ({(3, "sample_id"): "s0001\u200b"}, "twice"),            # the same id, as normalise_id says
    ({(3, "sample_id"): "Ｓ０００１"}, "twice"),
    ({(6, "lon"): "COPY0", (6, "lat"): "COPY0"}, "same pixel"),  # a row copied under a new id
    ({(3, "sample_id"): "S0001"}, "twice"),
    ({(5, "lon"): "100.0"}, "outside the map"),
])
def test_a_sheet_an_evaluator_edited_is_refused_by_line(mapped, change, words):
    folder, truth = mapped
    sheet = _filled(folder, truth, change)
    if (6, "lon") in change:
        sheet.loc[6, ["lon", "lat"]] = sheet.loc[0, ["lon", "lat"]].to_numpy()
    if (3, "sample_id") in change:
        sheet.loc[0, "sample_id"] = "S0001"
        sheet.loc[3, "sample_id"] = change[(3, "sample_id")]
    sheet.to_csv(folder / "bad.csv", index=False)
    done = _run(["accuracy", "map.tif", "--reference", "bad.csv", "--out", "a"], folder)
    assert done.returncode == 1 and words in done.stderr, done.stderr
    assert "bad.csv" in done.stderr and "Traceback" not in done.stderr
    assert not (folder / "a").exists()


def test_per_zone_and_banner_where_the_sample_allows(mapped):
    import geopandas as gpd
    from shapely.geometry import box

    folder, truth = mapped
    big = box(300_000, 4_400_000 - 240 * 30, 300_000 + 120 * 30, 4_400_000)  # west half
    tiny = box(300_000 + 200 * 30, 4_400_000 - 30 * 30, 300_000 + 203 * 30, 4_400_000 - 27 * 30)
    far = box(400_000, 4_300_000, 401_000, 4_301_000)
    east = box(300_000 + 120 * 30, 4_400_000 - 240 * 30, 300_000 + 240 * 30,
               4_400_000).difference(tiny)
    zones = gpd.GeoDataFrame({"zone_id": ["Z1", "Z2", "Z3", "Z4"],
                              "banner": ["准格尔旗"] * 3 + ["达拉特旗"],
                              "site_ids": ["a", "b", "c", "d"]},
                             geometry=[big, tiny, far, east], crs="EPSG:32649").to_crs(4326)
    zones.to_file(folder / "zones.geojson", driver="GeoJSON")
    _filled(folder, truth).to_csv(folder / "filled.csv", index=False)
    done = _run(["accuracy", "map.tif", "--reference", "filled.csv", "--zones", "zones.geojson",
                 "--out", "a"], folder)
    assert done.returncode == 0, done.stderr
    regions = pd.read_csv(folder / "a" / "areas_by_region.csv", encoding="utf-8-sig")
    assert set(regions["region"]) == {"zone:Z1", "zone:Z2", "zone:Z3", "zone:Z4",
                                      "banner:准格尔旗", "banner:达拉特旗"}
    z1 = regions[regions["region"] == "zone:Z1"]
    assert z1["estimated_ha"].notna().all()
    assert regions.loc[regions["region"] == "zone:Z3", "note"].str.contains("outside").all()
    z2 = regions[regions["region"] == "zone:Z2"]
    assert z2["estimated_ha"].isna().all() and z2["note"].str.contains("0 samples").all()
    # a region's hectares are domain totals of the whole stratified sample: two halves that
    # make the map (the tiny zone holds no sample) add up to the map's estimate, class by class
    whole = pd.read_csv(folder / "a" / "areas.csv", encoding="utf-8-sig").set_index("class")
    halves = regions[regions["region"].isin(["zone:Z1", "zone:Z4"])].groupby("class")[
        "estimated_ha"].sum()
    assert halves.reindex(whole.index).fillna(0).to_numpy() == pytest.approx(
        whole["estimated_ha"].to_numpy())
    assert (regions.loc[regions["region"] == "zone:Z4", "ci95_ha"] > 0).any()


def test_classes_together_are_estimated_over_their_merged_columns():
    a = _paper()
    areas = a.areas.set_index("class")
    one = a.area_of([1])
    assert (one["estimated_ha"], one["ci95_ha"]) == pytest.approx(
        (areas.loc[1, "estimated_ha"], areas.loc[1, "ci95_ha"]))
    everything = a.area_of([1, 2, 3, 4])
    assert everything["estimated_ha"] == pytest.approx(900_000.0)
    assert everything["ci95_ha"] == pytest.approx(0.0, abs=1e-6)  # the map's total is known
    # a pair and its complement share one interval (their sum is fixed)
    stable, change = a.area_of([3, 4]), a.area_of([1, 2])
    assert stable["estimated_ha"] + change["estimated_ha"] == pytest.approx(900_000.0)
    assert stable["ci95_ha"] == pytest.approx(change["ci95_ha"])
    # and not the sum of the two classes' intervals: their covariance counts
    assert change["ci95_ha"] < areas.loc[1, "ci95_ha"] + areas.loc[2, "ci95_ha"]


def test_a_map_with_codes_no_class_has_is_refused(tmp_path):
    _, mapped = _known_error()
    mapped[0, 0] = 9
    _write(tmp_path / "map.tif", mapped)
    done = _run(["accuracy-sample", "map.tif", "--out", "s"], tmp_path)
    assert done.returncode == 1 and "[9]" in done.stderr and "landcover.yaml" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "s").exists()


@pytest.mark.parametrize("extra, words", [
    (["--seed", "-1"], "--seed"),
    (["--allocation", "1=100,1=5,2=50,3=50,4=50"], "1=100,1=5"),
    (["--n", "5", "--allocation", "1=60,2=60,3=60,4=60"], "240"),
])
def test_sample_options_a_user_gets_wrong_are_refused(tmp_path, extra, words):
    _, mapped = _known_error()
    _write(tmp_path / "map.tif", mapped)
    done = _run(["accuracy-sample", "map.tif", *extra, "--out", "s"], tmp_path)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert not (tmp_path / "s").exists()


def test_an_interval_of_zero_width_says_it_is_the_samples_not_certainty():
    mapped = pd.Series({1: 100.0, 4: 900.0})
    # every sample agrees with the map: the estimator's variance is 0
    a = accuracy.estimate([1] * 50 + [4] * 50, [1] * 50 + [4] * 50, mapped_ha=mapped)
    areas = a.areas.set_index("class")
    assert (areas["ci95_ha"] == 0).all()
    from ordos_geo.core.messages import msg

    assert all(msg("acc_no_disagreement") in note for note in areas["note"])
    b = accuracy.estimate([1] * 50 + [4] * 50, [1] * 49 + [4] + [4] * 50, mapped_ha=mapped)
    assert (b.areas["ci95_ha"] > 0).all() and not any(b.areas["note"])


def test_a_sample_larger_than_the_map_is_every_pixel_and_says_so(tmp_path):
    data = np.array([[1, 1, 4], [4, 4, 4]], np.uint8)
    _write(tmp_path / "tiny.tif", data)
    done = _run(["accuracy-sample", "tiny.tif", "--n", "100", "--out", "s"], tmp_path)
    assert done.returncode == 0, done.stderr
    sheet = pd.read_csv(tmp_path / "s" / "sheet.csv", encoding="utf-8-sig")
    assert len(sheet) == 6 and "100 samples asked for" in done.stdout
