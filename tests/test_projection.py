import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import JUNGAR, squares_metric
from pyproj import Geod

import ordos_geo as og
from ordos_geo import projection
from ordos_geo.core.errors import CRSError

GEOD = Geod(ellps="GRS80")


def _geodesic_ha(geom) -> float:
    area, _ = GEOD.geometry_area_perimeter(geom)
    return abs(area) / 10_000


@pytest.mark.parametrize("lonlat", [(106.9, 39.3), (109.5, 39.5), (111.3, 39.7), (108.5, 37.8),
                                    (110.0, 40.7)])
def test_area_matches_geodesic_area_everywhere_in_ordos(lonlat):
    # a 2 km x 3 km lon/lat box, densified so its edges follow the geodesics closely
    x, y = lonlat
    box = shapely.segmentize(shapely.box(x, y, x + 0.035, y + 0.018), 0.0005)
    ours = projection.area_ha(gpd.GeoSeries([box], crs="EPSG:4326")).iloc[0]
    truth = _geodesic_ha(box)
    assert abs(ours - truth) / truth < 1e-4


def test_area_of_whole_banners_matches_geodesic():
    banners = og.datasets.banners()
    dense = banners.geometry.apply(lambda g: shapely.segmentize(g, 0.01))
    ours = projection.area_ha(gpd.GeoSeries(dense, crs="EPSG:4326"))
    truth = np.array([_geodesic_ha(g) for g in dense])
    assert np.all(np.abs(ours.to_numpy() - truth) / truth < 1e-4)


def test_hundred_metre_square_is_one_hectare_and_fifteen_mu():
    sq = squares_metric(JUNGAR, 1, 100.0, 0).to_crs("EPSG:4326")
    frame = projection.add_area(gpd.GeoDataFrame(geometry=sq))
    # the metric CRS is conformal, not equal-area: its scale error near 39.8°N is ~1e-4
    assert frame["area_ha"].iloc[0] == pytest.approx(1.0, rel=5e-4)
    assert frame["area_mu"].iloc[0] == pytest.approx(15 * frame["area_ha"].iloc[0])


@pytest.mark.parametrize("a,b", [((106.8, 39.4), (107.8, 39.1)), ((109.4, 39.6), (109.6, 39.6)),
                                 ((111.3, 39.8), (111.35, 40.1)), ((108.4, 37.8), (108.6, 40.5))])
def test_metric_distances_match_geodesic_distances(a, b):
    pts = gpd.GeoSeries([shapely.Point(a), shapely.Point(b)], crs="EPSG:4326")
    m = projection.to_metric(pts)
    ours = m.iloc[0].distance(m.iloc[1])
    _, _, truth = GEOD.inv(a[0], a[1], b[0], b[1])
    assert abs(ours - truth) / truth < 2.5e-4  # the LCC's scale error across 37.6-40.9°N


def test_measuring_without_crs_is_an_error():
    with pytest.raises(CRSError, match="no CRS"):
        projection.area_ha(gpd.GeoSeries([shapely.box(0, 0, 1, 1)]))


# GCJ-02 vertices of the Amap boundary and their WGS84 conversion by an independent script
# (shared/data/unverified, rounded to 1e-6°): known answers for the inverse transform.
AMAP_PAIRS = [
    ((109.907168, 39.673807), (109.901662, 39.672941)),
    ((111.205397, 39.422053), (111.198882, 39.420998)),
    ((106.940895, 39.58438), (106.936181, 39.583573)),
    ((106.724672, 40.031853), (106.719912, 40.030867)),
]


@pytest.mark.parametrize("gcj,wgs", AMAP_PAIRS)
def test_gcj02_to_wgs84_matches_reference(gcj, wgs):
    lon, lat = projection.gcj02_to_wgs84(*gcj)
    _, _, dist = GEOD.inv(float(lon), float(lat), *wgs)
    assert dist < 0.2  # metres; the reference is rounded to 1e-6° (~0.1 m)


def test_gcj02_round_trip_within_a_millimetre_and_offset_size():
    lon, lat = np.meshgrid(np.linspace(106.5, 111.5, 25), np.linspace(37.6, 40.9, 25))
    glon, glat = projection.wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = projection.gcj02_to_wgs84(glon, glat)
    _, _, err = GEOD.inv(lon.ravel(), lat.ravel(), back_lon.ravel(), back_lat.ravel())
    assert err.max() < 1e-3
    _, _, offset = GEOD.inv(lon.ravel(), lat.ravel(), glon.ravel(), glat.ravel())
    assert 300 < offset.min() and offset.max() < 800  # ~500 m in Ordos


def test_geometry_round_trip():
    sq = squares_metric(JUNGAR, 2, 100.0, 50.0).to_crs("EPSG:4326")
    back = projection.geometry_gcj02_to_wgs84(projection.geometry_wgs84_to_gcj02(sq))
    assert back.index.equals(sq.index)
    assert shapely.equals_exact(back.values, sq.values, tolerance=1e-9).all()


@pytest.mark.parametrize("easting,epsg", [(36_512_345.6, 4524), (37_512_345.6, 4525),
                                          (19_512_345.6, 4497), (18_400_000.0, 4496)])
def test_gk_zone_from_prefix(easting, epsg):
    assert projection.gk_crs_from_easting(easting).to_epsg() == epsg


def test_plain_easting_has_no_zone():
    assert projection.gk_crs_from_easting(512_345.6) is None
