"""Test data with known answers, built on the fly (nothing here touches the network)."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

import ordos_geo as og

# What a machine remembers of the registers it has checked (~/.cache/ordos_geo) stays with the
# test session, not the user's home.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="ordos_geo_cache")

# A point in Jungar Banner (Xuejiawan mining area) and one in Dalad Banner.
JUNGAR = (111.20, 39.80)
DALAD = (110.30, 40.20)


def squares_metric(origin_lonlat, n: int, size_m: float, gap_m: float) -> gpd.GeoSeries:
    """``n`` squares of ``size_m`` side in a row, ``gap_m`` apart, in the metric CRS."""
    o = gpd.GeoSeries([shapely.Point(origin_lonlat)], crs="EPSG:4326").to_crs(
        og.projection.metric_crs()).iloc[0]
    step = size_m + gap_m
    return gpd.GeoSeries([shapely.box(o.x + i * step, o.y, o.x + i * step + size_m, o.y + size_m)
                          for i in range(n)], crs=og.projection.metric_crs())


def site_frame(n: int = 3, origin=JUNGAR, size_m: float = 100.0, gap_m: float = 400.0,
               chinese: bool = True) -> gpd.GeoDataFrame:
    """``n`` valid 1-ha mine squares with Chinese (bureau) field names, in EPSG:4490."""
    geoms = squares_metric(origin, n, size_m, gap_m).to_crs("EPSG:4490")
    data = {
        "矿山编号": [f"M{i + 1:02d}" for i in range(n)],
        "矿山名称": [f"测试煤矿{i + 1}号" for i in range(n)],
        "旗区": ["准格尔旗"] * n,
        "类型": ["矿区"] * n,
        "开采方式": ["露天"] * n,
        "矿山状态": ["生产", "无主", "停产"][:n] + ["生产"] * max(0, n - 3),
        "采矿权人": ["测试矿业公司"] * n,
        "矿种": ["煤"] * n,
        "生产规模": [120.0 + i for i in range(n)],
        "备注": ["额外字段"] * n,
    }
    frame = gpd.GeoDataFrame(data, geometry=geoms.values, crs="EPSG:4490")
    if not chinese:
        frame = frame.rename(columns={"矿山编号": "site_id", "矿山名称": "name"})
    return frame


@pytest.fixture(autouse=True)
def _reset_settings():
    og.settings.reset()
    og.settings.progress = False
    yield
    og.settings.reset()


@pytest.fixture
def sites_frame() -> gpd.GeoDataFrame:
    return site_frame()


def write_shapefile(frame: gpd.GeoDataFrame, path: Path, *, encoding: str, cpg: bool = True,
                    ldid: int | None = None, prj: bool = True) -> Path:
    """A real Shapefile through GDAL; optionally without .cpg/.prj or with a chosen DBF byte 29.

    GDAL truncates field names to 10 bytes (and warns): 矿山编号 is 8 bytes in GBK but 12 in UTF-8.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(frame, path, driver="ESRI Shapefile", encoding=encoding)
    if not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    if not prj:
        path.with_suffix(".prj").unlink(missing_ok=True)
    if ldid is not None:
        dbf = path.with_suffix(".dbf")
        data = bytearray(dbf.read_bytes())
        data[29] = ldid
        dbf.write_bytes(bytes(data))
    return path


def zip_shapefile(shp: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for part in shp.parent.glob(shp.stem + ".*"):
            zf.write(part, arcname=part.name)
    return target


def bowtie(origin=JUNGAR, size_m: float = 100.0) -> shapely.Polygon:
    """A self-intersecting square (corners visited 0-2-1-3): two triangles of a quarter each."""
    sq = squares_metric(origin, 1, size_m, 0).iloc[0]
    x0, y0, x1, y1 = sq.bounds
    return shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])


def sites_from_metric(geoms, *, ids=None, banner="准格尔旗", kind="mine", status="producing",
                      **columns) -> gpd.GeoDataFrame:
    """Canonical sites (as read_sites returns them) from geometries in the metric CRS."""
    geoms = gpd.GeoSeries(list(geoms), crs=og.projection.metric_crs()).to_crs("EPSG:4326")
    n = len(geoms)
    data = {"site_id": ids or [f"S{i:03d}" for i in range(n)], "name": None, "banner": banner,
            "kind": kind, "mine_id": None, "method": "open_pit", "status": status,
            "owner": None, "mineral": "煤", "capacity_mtpa": None, "green_status": None,
            "flat_floor_ha": None, "standard": None, "zone_apart": False, "synthetic": True}
    data.update(columns)
    frame = gpd.GeoDataFrame({k: (v if isinstance(v, list) else [v] * n) for k, v in data.items()},
                             geometry=geoms.values, crs="EPSG:4326")
    frame["area_ha"] = og.projection.area_ha(frame)
    return frame


def row_of_squares(spacings, size_m=100.0, origin=JUNGAR):
    """Squares of ``size_m`` in a row; ``spacings[k]`` is the gap between square k and k+1."""
    o = gpd.GeoSeries([shapely.Point(origin)], crs="EPSG:4326").to_crs(
        og.projection.metric_crs()).iloc[0]
    x, out = o.x, []
    for k in range(len(spacings) + 1):
        out.append(shapely.box(x, o.y, x + size_m, o.y + size_m))
        if k < len(spacings):
            x += size_m + spacings[k]
    return out


@pytest.fixture(scope="session")
def sample_imagery(tmp_path_factory):
    """The demo's sample scenes (generated once per test session) and their truth table."""
    folder = tmp_path_factory.mktemp("sample_imagery")
    manifest = og.samples.write_sample_scenes(folder)
    return manifest, pd.read_csv(folder / "truth.csv")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``ordos-geo demo`` run once per test session, as a user runs it (a subprocess started in
    the empty ``folder/cwd``, writing to ``folder/demo``): ``(completed process, folder)``; the
    CLI, map and flow tests look at it."""
    import os
    import shutil
    import subprocess
    import sys

    exe = shutil.which("ordos-geo", path=os.path.dirname(sys.executable)) or "ordos-geo"
    folder = tmp_path_factory.mktemp("demo")
    (folder / "cwd").mkdir()
    res = subprocess.run([exe, "demo", "--out", str(folder / "demo"), "--no-progress"],
                         capture_output=True, text=True, cwd=folder / "cwd", timeout=600)
    return res, folder


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium (see ``browser_helpers``), one per test module."""
    from browser_helpers import launch_browser

    yield from launch_browser()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL/PostGIS cluster on a Unix socket (see ``postgres_helpers``)."""
    from postgres_helpers import Cluster

    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["gpkg", "postgis"])
def register_location(request, tmp_path):
    """Where a new register goes, for each backend: a .gpkg path, or a fresh PostGIS database."""
    if request.param == "gpkg":
        return str(tmp_path / "名录.gpkg")
    return request.getfixturevalue("postgres").new_database()


def run_cli(argv) -> int:
    """The exit code of ``ordos-geo argv`` run in this process (argparse's own usage errors
    exit 2 by SystemExit)."""
    from ordos_geo import cli

    try:
        return cli.main(argv)
    except SystemExit as exc:
        return exc.code


def five_listed_mines(path):
    """A register at ``path`` of five 1 ha mines M1–M5 (M5 in Dalad Banner, the rest in Jungar),
    all listed as national green mines on 2022-01-01: ``(open register, the mines)``."""
    mines = sites_from_metric(squares_metric(JUNGAR, 5, 100.0, 400.0),
                              ids=["M1", "M2", "M3", "M4", "M5"])
    mines.loc[4, "banner"] = "达拉特旗"
    reg = og.register.init(path, sites=mines)
    for m in ("M1", "M2", "M3", "M4", "M5"):
        reg.add(mine_id=m, event="listed", date="2022-01-01", level="national")
    return reg, mines
