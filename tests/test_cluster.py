"""A Dask cluster gives the same outputs as this machine: ``progress``, ``disturbance`` and
``terrain`` on a ``LocalCluster`` of worker *processes* (on loopback), from Python and from the
command line (``--scheduler`` and ``DASK_SCHEDULER_ADDRESS``); a scheduler that cannot be reached
is a message, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

import ordos_geo as og
from ordos_geo.core import cluster
from ordos_geo.core.errors import UsageError

EXE = [sys.executable, "-m", "ordos_geo"]
X0, Y0 = 400_000.0, 4_420_000.0  # UTM 49N, in Ordos (109.8° E, 39.9° N)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as local, \
            distributed.Client(local, set_as_default=False) as c:
        yield c


@pytest.fixture(scope="module")
def sample(sample_imagery):
    manifest, _ = sample_imagery
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    return manifest, sites, og.imagery.read_manifest(manifest)


def _dem(folder: Path, *, fill: float | None = None) -> tuple[Path, object]:
    """A 600 × 600 DEM of 1 m cells: tilted noisy ground, a cone pit and a box dump; with
    ``fill``, a patch of the pit written as that undeclared value."""
    rows, cols = np.mgrid[0:600, 0:600] + 0.5
    z = 1200 + 0.02 * cols - 0.01 * rows + np.random.default_rng(3).normal(0, 0.3, rows.shape)
    z -= np.clip(60 - np.hypot(cols - 300, rows - 300), 0, None)
    z[100:180, 420:500] += 25.0
    if fill is not None:
        z[290:300, 290:300] = fill
    path = folder / ("dem.tif" if fill is None else "undeclared.tif")
    profile = dict(driver="GTiff", width=600, height=600, count=1, dtype="float32",
                   crs="EPSG:32649", transform=from_origin(X0, Y0, 1.0, 1.0))
    if fill is None:
        profile["nodata"] = -9999
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z.astype("float32"), 1)
    sites = og.terrain.gpd.GeoDataFrame(
        {"site_id": ["PIT", "DUMP", "FLAT"]},
        geometry=[shapely.Point(X0 + 300, Y0 - 300).buffer(70),
                  shapely.box(X0 + 410, Y0 - 190, X0 + 510, Y0 - 90),
                  shapely.box(X0 + 20, Y0 - 580, X0 + 200, Y0 - 400)], crs="EPSG:32649")
    return path, sites


@pytest.mark.parametrize("strip_rows", [7, 256])
def test_terrain_on_a_cluster_is_the_same_to_the_bit(tmp_path, client, strip_rows):
    """Many bands (7-row strips, 8 a band: 11 bands) or one; a DEM file the workers open
    themselves and a DEM held in memory."""
    path, sites = _dem(tmp_path)
    for dem in (path, og.terrain.read_dem(path)):
        here = og.terrain.terrain_stats(sites, dem, strip_rows=strip_rows)
        there = og.terrain.terrain_stats(sites, dem, strip_rows=strip_rows, client=client)
        pd.testing.assert_frame_equal(here, there, check_exact=True)
    assert here.set_index("site_id").loc["PIT", "pit_volume_m3"] > 100_000


def test_the_cluster_counts_implausible_heights_as_this_machine_does(tmp_path, client, caplog):
    path, sites = _dem(tmp_path, fill=-32768.0)
    with caplog.at_level("WARNING", logger="ordos_geo"):
        here = og.terrain.terrain_stats(sites, path, strip_rows=7)
        there = og.terrain.terrain_stats(sites, path, strip_rows=7, client=client)
    pd.testing.assert_frame_equal(here, there, check_exact=True)
    warnings = [r.getMessage() for r in caplog.records if "-32768" in r.getMessage()]
    assert len(warnings) == 2 and warnings[0] == warnings[1], warnings


@pytest.mark.parametrize("strip_rows", [1, 7, 256])
def test_implausible_heights_are_counted_once_whatever_the_strips(tmp_path, strip_rows, caplog):
    """The 10 × 10 patch of -32768 is 100 cells, however many strips (each read with a row of
    its neighbours) it falls across."""
    path, sites = _dem(tmp_path, fill=-32768.0)
    with caplog.at_level("WARNING", logger="ordos_geo"):
        og.terrain.terrain_stats(sites, path, strip_rows=strip_rows)
    (warning,) = [r.getMessage() for r in caplog.records if "-32768" in r.getMessage()]
    assert "：100 个" in warning or ": 100 cell" in warning, warning


def test_progress_on_a_cluster_is_the_same(sample, client):
    _, sites, scenes = sample
    here = og.reclamation.progress(sites, scenes)
    there = og.reclamation.progress(sites, scenes, client=client)
    for name in ("by_date", "zones_by_date", "banners_by_date", "summary", "scenes"):
        pd.testing.assert_frame_equal(getattr(here, name), getattr(there, name),
                                      check_exact=True, obj=name)
    assert len(here.by_date) > 0


def test_disturbance_on_a_cluster_is_the_same(sample, client):
    _, sites, scenes = sample
    here = og.disturbance.detect(sites, scenes)
    there = og.disturbance.detect(sites, scenes, client=client)
    assert len(here.suspected) >= 1
    pd.testing.assert_frame_equal(here.suspected.drop(columns="geometry"),
                                  there.suspected.drop(columns="geometry"), check_exact=True)
    assert all(a.equals_exact(b, 0) for a, b in zip(here.suspected.geometry,
                                                    there.suspected.geometry))
    pd.testing.assert_frame_equal(here.new_inside, there.new_inside, check_exact=True)


def test_disturbance_with_a_classifier_on_a_cluster_is_the_same(tmp_path, client):
    from ordos_geo.imagery import classify, landscapes, read_manifest

    scenes = read_manifest(landscapes.write_landcover_years(
        tmp_path, years=(2024, 2025), dig_from=2025, drought=None))
    labels = og.io.read_vector(tmp_path / "labels.geojson").frame
    model = classify.train([s for s in scenes if s.date.year == 2024], labels, trees=10,
                           folds=2)
    sites = og.sites.read_sites(og.datasets.synthetic_sites_path())[0]
    here = og.disturbance.detect(sites, scenes, classifier=model, show_progress=False)
    there = og.disturbance.detect(sites, scenes, classifier=model, client=client,
                                  show_progress=False)
    assert len(here.suspected) >= 1
    pd.testing.assert_frame_equal(here.suspected.drop(columns="geometry"),
                                  there.suspected.drop(columns="geometry"), check_exact=True)
    pd.testing.assert_frame_equal(here.classes_by_year, there.classes_by_year, check_exact=True)


def _run(args: list, cwd: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(EXE + args, capture_output=True, text=True, cwd=cwd, timeout=600,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8", **env})


def test_the_cli_runs_terrain_on_the_scheduler_it_is_given(tmp_path, client):
    path, sites = _dem(tmp_path)
    layer = tmp_path / "sites.geojson"
    sites.assign(name=sites["site_id"], kind="mine", status="producing",
                 banner="准格尔旗").to_crs(4326).to_file(layer)
    address = client.scheduler.address
    for out, extra, env in (("here", [], {}), ("flag", ["--scheduler", address], {}),
                            ("env", [], {"DASK_SCHEDULER_ADDRESS": address})):
        done = _run(["terrain", str(layer), "--dem", str(path), "--out", str(tmp_path / out)]
                    + extra, tmp_path, **env)
        assert done.returncode == 0, done.stderr
    want = (tmp_path / "here" / "terrain.csv").read_bytes()
    assert (tmp_path / "flag" / "terrain.csv").read_bytes() == want
    assert (tmp_path / "env" / "terrain.csv").read_bytes() == want


def test_the_cli_runs_disturbance_on_the_scheduler_of_the_environment(tmp_path, sample, client):
    manifest, _, _ = sample
    sites = og.datasets.synthetic_sites_path()
    for out, env in (("here", {}), ("env", {"DASK_SCHEDULER_ADDRESS": client.scheduler.address})):
        done = _run(["disturbance", str(sites), "--imagery", str(manifest), "--out",
                     str(tmp_path / out)], tmp_path, **env)
        assert done.returncode == 0, done.stderr
    for name in ("findings.csv", "new_inside.csv", "suspected_outside.geojson"):
        assert (tmp_path / "env" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_scheduler_that_cannot_be_reached_is_a_message(tmp_path, sample, how):
    manifest, _, _ = sample
    dead = "tcp://127.0.0.1:9"  # discard port on loopback: nothing listens
    args = ["progress", str(og.datasets.synthetic_sites_path()), "--imagery", str(manifest),
            "--out", str(tmp_path / "out")]
    done = _run(args + (["--scheduler", dead] if how == "flag" else []), tmp_path,
                **({"DASK_SCHEDULER_ADDRESS": dead} if how == "env" else {}))
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert dead in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_without_an_address_the_work_stays_here(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    import dask

    with dask.config.set({"scheduler-address": None}):
        assert cluster.scheduler_address() is None
        assert cluster.scheduler_address("  ") is None
        with cluster.connect() as c:
            assert c is None
    with dask.config.set({"scheduler-address": " tcp://10.1.2.3:8786 "}):
        assert cluster.scheduler_address() == "tcp://10.1.2.3:8786"
        assert cluster.scheduler_address("tcp://127.0.0.1:1") == "tcp://127.0.0.1:1"


def test_connect_names_the_address_it_could_not_reach():
    with pytest.raises(UsageError, match="127.0.0.1:9"):
        with cluster.connect("tcp://127.0.0.1:9", timeout=2):
            pass


@pytest.mark.parametrize("address", [
    "garbage", "tcp://", "http://127.0.0.1:8786", "tcp://[::1", "tls://", "ucx://x:1",
    "inproc://foo", "::", "tcp://127.0.0.1:8786\u200b", "\ufefftcp://127.0.0.1:8786", ":abc",
    "/path", "-", "tcp://127.0.0.1:99999999999999999999", "tcp://127.0.0.1:0", "\u200b"])
def test_an_address_that_is_none_is_refused_at_once_by_name(address):
    import time

    t0 = time.perf_counter()
    with pytest.raises(UsageError) as caught:
        with cluster.connect(address, timeout=5):
            pass
    assert time.perf_counter() - t0 < 2
    assert repr(address.strip()) in str(caught.value)  # invisible characters shown escaped


@pytest.mark.parametrize("kind", ["http", "silent"])
def test_a_program_that_is_no_scheduler_is_given_up_on_in_time(kind):
    """A web server (the dashboard's port given by mistake) or a port that accepts and says
    nothing: Dask's own timeout does not cover the handshake; connect gives up after
    timeout + 5 s."""
    import http.server
    import socket
    import threading
    import time

    if kind == "http":
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                 http.server.BaseHTTPRequestHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port, close = server.server_address[1], server.shutdown
    else:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(5)
        held = []
        threading.Thread(target=lambda: [held.append(sock.accept()) for _ in range(5)],
                         daemon=True).start()
        port, close = sock.getsockname()[1], sock.close
    try:
        t0 = time.perf_counter()
        with pytest.raises(UsageError, match=f"127.0.0.1:{port}"):
            with cluster.connect(f"tcp://127.0.0.1:{port}", timeout=1):
                pass
        assert time.perf_counter() - t0 < 10
    finally:
        close()


def test_the_cli_refuses_a_bad_address_quickly_and_quietly(tmp_path, sample):
    import time

    manifest, _, _ = sample
    t0 = time.perf_counter()
    done = _run(["progress", str(og.datasets.synthetic_sites_path()), "--imagery", str(manifest),
                 "--out", str(tmp_path / "out"), "--scheduler", "garbage"], tmp_path)
    assert done.returncode == 2 and "'garbage'" in done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert time.perf_counter() - t0 < 15 and not (tmp_path / "out").exists()


def _foreign_server(greets: bool):
    """A program on a local port that is no scheduler: it greets in HTTP at once (a web server
    that speaks first), or says nothing until spoken to and then answers in HTTP (a proxy)."""
    import socket
    import threading

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(20)

    def serve():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            if not greets:
                conn.settimeout(5)
                try:
                    conn.recv(64)
                except OSError:
                    pass
            try:
                conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello\n" * 3)
            except OSError:
                pass
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return sock


@pytest.mark.parametrize("greets", [True, False])
@pytest.mark.parametrize("scheme", ["tcp", "tls"])
def test_a_program_answering_in_http_is_refused_at_once_and_quietly(tmp_path, sample, greets,
                                                                   scheme):
    """Dask would read "HTTP/1.0" as the length of a message of exabytes, fail to allocate it and
    leave a half-made client that times out at exit with a traceback: the CLI says the program
    there is no scheduler, in seconds, exit 2, nothing else."""
    import time

    manifest, _, _ = sample
    server = _foreign_server(greets)
    address = f"{scheme}://127.0.0.1:{server.getsockname()[1]}"
    try:
        t0 = time.perf_counter()
        done = _run(["progress", str(og.datasets.synthetic_sites_path()), "--imagery",
                     str(manifest), "--out", str(tmp_path / "out"), "--scheduler", address],
                    tmp_path)
        took = time.perf_counter() - t0
    finally:
        server.close()
    assert done.returncode == 2 and repr(address) in done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert "EiB" not in done.stderr and "allocate" not in done.stderr
    assert took < 12 and not (tmp_path / "out").exists()
