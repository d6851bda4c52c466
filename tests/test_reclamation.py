import warnings

import numpy as np
import pandas as pd
import pytest

import ordos_geo as og
from ordos_geo import imagery, reclamation


@pytest.fixture(scope="module")
def embedded():
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    result = og.zones.build_zones(sites, max_zone_ha=10_000)
    zones = og.rules.apply_rules(result.zones, sites=result.sites)
    plans = og.plans.read_plans(og.datasets.synthetic_plans_path())
    return result.sites, zones, plans


@pytest.fixture(scope="module")
def run(embedded, sample_imagery):
    sites, zones, plans = embedded
    manifest, truth = sample_imagery
    result = reclamation.progress(sites, imagery.read_manifest(manifest), zones=zones, plans=plans)
    return result, truth, sites


def test_detected_vegetation_matches_the_known_truth(run):
    result, truth, sites = run
    bd = result.by_date.assign(year=result.by_date["date"].dt.year)
    bd["share"] = bd["vegetated_ha"] / (bd["covered_ha"] - bd["masked_ha"])
    m = bd.merge(truth, on=["site_id", "year"]).merge(sites[["site_id", "kind"]], on="site_id")
    inside = m[(m["covered_ha"] / m["area_ha"] > 0.999) & (m["kind"] != "mine")
               & (m["valid_fraction"] > 0.99)]
    assert len(inside) >= 20
    err = (inside["share"] - inside["true_vegetated_share"]).abs()
    assert err.mean() < 0.01 and err.max() < 0.03  # edge pixels: truth counts pixel centres


def test_tables_have_the_contract_columns(run):
    result, _, _ = run
    for col in ("site_id", "date", "valid_fraction", "mean_ndvi", "mean_fvc", "vegetated_ha",
                "bare_ha", "area_ha"):
        assert col in result.by_date.columns
    for col in ("site_id", "year", "target_ha", "vegetated_ha", "status", "trajectory"):
        assert col in result.summary.columns
    assert set(result.summary["status"]) <= {"ahead", "on_track", "behind", "no_target",
                                              "no_data"}
    assert result.latest.crs.to_epsg() == 4326 and len(result.latest) > 0
    assert len(result.zones_by_date) and len(result.banners_by_date)
    clouds = result.by_date[result.by_date["valid_fraction"] < 1]
    assert len(clouds) and (clouds["masked_ha"] > 0).all()  # clouds excluded and reported


def test_trajectories_follow_the_true_schedules(run):
    result, truth, sites = run
    traj = result.summary.drop_duplicates("site_id").set_index("site_id")["trajectory"]
    sched = truth.pivot_table(index="site_id", columns="year", values="true_schedule_share")
    kinds = sites.set_index("site_id")["kind"]
    flat_high = sched[(sched.std(axis=1) < 1e-9) & (sched.mean(axis=1) >= 0.6)].index
    flat_low = sched[(sched.max(axis=1) < 0.1)].index
    parcels = lambda idx: [s for s in idx if kinds[s] != "mine" and s in traj.index]
    assert parcels(flat_high) and all(traj[s] == "reclaimed_stable" for s in parcels(flat_high))
    assert parcels(flat_low) and all(traj[s] == "still_disturbed" for s in parcels(flat_low))


def test_stac_catalog_gives_the_same_answer(run, embedded, sample_imagery):
    result, _, _ = run
    manifest, _ = sample_imagery
    scenes = imagery.scenes_from_stac(manifest.parent / "stac" / "catalog.json")
    assert [s.date for s in scenes] == sorted(s.date for s in scenes)
    sites, zones, plans = embedded
    again = reclamation.progress(sites, scenes)
    pd.testing.assert_frame_equal(again.by_date, result.by_date)


def test_a_local_dask_cluster_gives_the_same_answer(run, embedded, sample_imagery):
    from distributed import Client, LocalCluster

    result, _, _ = run
    manifest, _ = sample_imagery
    sites, _, _ = embedded
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed's own start-up notices
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            again = reclamation.progress(sites, imagery.read_manifest(manifest), client=client)
    pd.testing.assert_frame_equal(again.by_date, result.by_date)


@pytest.mark.parametrize("gain,target,data,expected", [
    (11.0, 10.0, True, "ahead"), (10.9, 10.0, True, "on_track"), (9.0, 10.0, True, "on_track"),
    (8.9, 10.0, True, "behind"), (5.0, np.nan, True, "no_target"), (5.0, 10.0, False, "no_data")])
def test_status_rule(gain, target, data, expected):
    assert reclamation.status_of(gain, target, data) == expected


def test_trajectory_classes_on_constructed_series():
    years = list(range(2019, 2026))
    series = {"up": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6], "flat_high": [0.7] * 7,
              "down": [0.7, 0.7, 0.7, 0.7, 0.55, 0.4, 0.25], "flat_low": [0.05] * 7,
              "short": [0.1, 0.2]}
    rows = [{"site_id": k, "year": y, "vegetated_share": v}
            for k, vals in series.items() for y, v in zip(years, vals)]
    t = reclamation.trajectories(pd.DataFrame(rows), "site_id", 0.6).set_index("site_id")
    assert t.loc["up", "trajectory"] == "recovering"
    assert t.loc["up", "projected_year"] == 2025
    assert t.loc["flat_high", "trajectory"] == "reclaimed_stable"
    assert t.loc["down", "trajectory"] == "degrading"
    assert t.loc["flat_low", "trajectory"] == "still_disturbed"
    assert t.loc["short", "trajectory"] == "insufficient_data"


def test_progress_command(tmp_path, sample_imagery):
    import os
    import shutil
    import subprocess
    import sys

    manifest, _ = sample_imagery
    exe = shutil.which("ordos-geo", path=os.path.dirname(sys.executable))
    out = tmp_path / "p"
    res = subprocess.run([exe, "progress", str(og.datasets.synthetic_sites_path()), "--imagery",
                          str(manifest), "--plans", str(og.datasets.synthetic_plans_path()),
                          "--out", str(out), "--lang", "en"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    for name in ("progress.csv", "progress_summary.csv", "progress.geojson"):
        assert (out / name).exists() and str(out / name) in res.stdout
    table = pd.read_csv(out / "progress.csv")
    assert table["site_id"].nunique() > 10 and table["date"].nunique() == 7


def test_search_stac_against_a_local_stac_api(sample_imagery):
    """pystac-client against a minimal STAC API on loopback that serves the sample items."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import pystac

    manifest, _ = sample_imagery
    catalog = pystac.Catalog.from_file(str(manifest.parent / "stac" / "catalog.json"))
    items = []
    for item in catalog.get_items(recursive=True):
        item.make_asset_hrefs_absolute()
        d = item.to_dict()
        d["collection"] = "sentinel-2-l2a"
        items.append(d)
    seen = {}

    class Api(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, body):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/geo+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            root = f"http://127.0.0.1:{self.server.server_port}"
            self._send({"type": "Catalog", "id": "local-api", "description": "test", "stac_version":
                        "1.0.0", "conformsTo": ["https://api.stacspec.org/v1.0.0/core",
                                                "https://api.stacspec.org/v1.0.0/item-search"],
                        "links": [{"rel": "self", "href": root + "/"},
                                  {"rel": "root", "href": root + "/"},
                                  {"rel": "search", "href": root + "/search",
                                   "method": "POST", "type": "application/geo+json"}]})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.update(body)
            lo, hi = body["datetime"].split("/")
            chosen = [i for i in items if lo[:10] <= i["properties"]["datetime"][:10] <= hi[:10]]
            self._send({"type": "FeatureCollection", "features": chosen, "links": []})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        scenes = imagery.search_stac(f"http://127.0.0.1:{server.server_port}/",
                                     bbox=(111.0, 39.5, 111.5, 40.0),
                                     datetime="2021-01-01/2023-12-31",
                                     collections=["sentinel-2-l2a"])
    finally:
        server.shutdown()
        server.server_close()
    assert [s.date.year for s in scenes] == [2021, 2022, 2023]
    assert scenes[-1].sensor == "sentinel2-l2a" and scenes[-1].s2_offset()
    assert seen["collections"] == ["sentinel-2-l2a"] and len(seen["bbox"]) == 4
