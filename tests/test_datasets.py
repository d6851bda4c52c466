import json

import numpy as np
import pytest
import shapely

import ordos_geo as og
from ordos_geo import datasets, projection, sites, synthetic

# Areas from PROVENANCE (geodesic, km², unsimplified Amap polygons).
BANNER_KM2 = {"鄂托克旗": 20370, "杭锦旗": 18790, "鄂托克前旗": 12221, "乌审旗": 11653,
              "达拉特旗": 8250, "准格尔旗": 7547, "伊金霍洛旗": 5487, "东胜区": 2164, "康巴什区": 359}


def test_embedded_files_and_counts():
    assert len(datasets.coal_mines()) == 319
    assert len(datasets.osm_landuse()) == 18
    assert len(datasets.places()) == 18
    assert len(datasets.priority_areas()) == 7
    total = sum(p.stat().st_size for p in datasets.data_dir().iterdir())
    assert total < 5_000_000  # "a few MB at most"


def test_banners_keep_their_areas_after_conversion_and_simplification():
    b = datasets.banners()
    km2 = dict(zip(b["name_zh"], projection.area_ha(b) / 100))
    for name, truth in BANNER_KM2.items():
        assert km2[name] == pytest.approx(truth, rel=0.01), name
    # a coverage: neighbours share their borders (no gaps, no overlaps beyond rounding)
    union = shapely.union_all(b.geometry.values)
    assert projection.area_ha(type(b.geometry)([union], crs=4326)).iloc[0] == pytest.approx(
        sum(projection.area_ha(b)), rel=1e-4)


def test_banners_are_in_wgs84_not_gcj02():
    # Dongsheng district seat (GeoNames, WGS84) must fall inside the converted Dongsheng polygon
    b = datasets.banners().set_index("name_zh")
    assert b.loc["东胜区", "geometry"].contains(shapely.Point(109.97763, 39.81609))


def test_priority_areas_lie_in_their_banners():
    pa = datasets.priority_areas()
    b = datasets.banners().set_index("name_zh")
    for row in pa.itertuples():
        if row.geometry is None:
            assert "NO open coordinates" in row.derivation  # 黄天棉图, documented
            continue
        inside = row.geometry.intersection(b.loc[row.banner, "geometry"]).area / row.geometry.area
        assert inside > 0.999, row.name_zh


def test_synthetic_sites_are_valid_fictional_and_sized_like_jungar():
    out, report = sites.read_sites(datasets.synthetic_sites_path())
    assert (report["severity"].isin(["info"])).all()
    assert 250 <= len(out) <= 500
    assert out["synthetic"].all() and out["site_id"].str.startswith("SYN-").all()
    assert out["name"].str.startswith("合成").all()
    mines = out[out["kind"] == "mine"]
    jungar_open = mines[(mines["banner"] == "准格尔旗") & (mines["method"] == "open_pit")]
    km2 = jungar_open["area_ha"] / 100
    assert 5 < km2.median() < 9 and 50 <= km2.max() <= 70
    assert (out["status"] == "ownerless").sum() >= 10
    assert set(out.loc[out["kind"] != "mine", "mine_id"].dropna()) <= set(mines["site_id"])
    assert (mines[mines["banner"] != "准格尔旗"]["method"] == "underground").mean() > 0.5


def test_synthetic_generator_is_deterministic_and_matches_the_file():
    again = synthetic.synthetic_sites()
    shipped = json.loads(datasets.synthetic_sites_path().read_text("utf-8"))
    assert [f["properties"]["site_id"] for f in shipped["features"]] == list(again["site_id"])
    theirs = [shapely.geometry.shape(f["geometry"]) for f in shipped["features"]]
    # RFC 7946 output rewinds rings, so compare normalised geometries
    assert shapely.equals_exact(shapely.normalize(again.geometry.values),
                                shapely.normalize(np.array(theirs, dtype=object)), 2e-6).all()


def test_an_official_banner_file_replaces_the_embedded_one(tmp_path):
    official = datasets.banners().iloc[[3]]
    path = tmp_path / "official.geojson"
    official.to_file(path)
    assert list(datasets.banners(path)["name_zh"]) == ["准格尔旗"]
    with og.settings.context(data_dir=tmp_path):
        with pytest.raises(og.errors.InputFileError, match="missing"):
            datasets.coal_mines()
