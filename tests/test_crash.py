"""Crash safety: a run killed (SIGKILL) at any write step leaves the earlier outputs whole, never a
mix of two runs; the next run cleans the leftovers.

``ORDOS_GEO_TEST_KILL_AFTER=k`` makes a process kill itself at its k-th write step
(``ordos_geo.io.atomic.checkpoint``). Each test runs the real command for k = 1, 2, … until a run
completes, and looks at the folder after every kill.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyogrio
import pytest

import ordos_geo as og

EXE = str(Path(sys.executable).with_name("ordos-geo"))
SITES = og.datasets.synthetic_sites_path()
PLANS = og.datasets.synthetic_plans_path()
KILLED = -signal.SIGKILL


def run(args, *, kill_after=None, cwd=None, env_extra=None):
    env = dict(os.environ)
    env.pop("ORDOS_GEO_TEST_KILL_AFTER", None)
    if kill_after is not None:
        env["ORDOS_GEO_TEST_KILL_AFTER"] = str(kill_after)
    env.update(env_extra or {})
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def digest(folder: Path, names) -> dict[str, str]:
    return {n: hashlib.sha256((folder / n).read_bytes()).hexdigest()
            for n in names if (folder / n).exists()}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".ordos-" in p.name)


DETERMINISTIC = ["zones.geojson", "sites_zoned.geojson", "zones.csv", "plan_problems.csv"]


def test_zones_killed_at_every_step_keeps_one_whole_set(tmp_path):
    out = tmp_path / "z"
    ref = tmp_path / "ref"
    assert run(["zones", SITES, "--plans", PLANS, "--out", out]).returncode == 0
    assert run(["zones", SITES, "--plans", PLANS, "--gap-m", 300, "--out", ref]).returncode == 0
    old, new = digest(out, DETERMINISTIC), digest(ref, DETERMINISTIC)
    assert old != new and len(old) == len(DETERMINISTIC)
    (out / "my_notes.txt").write_text("the planner's own file")
    k, kills = 1, 0
    while True:
        res = run(["zones", SITES, "--plans", PLANS, "--gap-m", 300, "--out", out], kill_after=k)
        now = digest(out, DETERMINISTIC)
        assert now in (old, new), f"mixed set after a kill at step {k}"
        assert (out / "my_notes.txt").read_text() == "the planner's own file"
        assert (out / "zones.gpkg").exists()
        if res.returncode == 0:
            break
        assert res.returncode == KILLED, res.stderr
        kills += 1
        assert len(leftovers(tmp_path)) <= 2, leftovers(tmp_path)  # only this run's
        k += 1
    assert kills >= 6  # every file, the staging and the swap were each a step
    assert digest(out, DETERMINISTIC) == new
    assert leftovers(tmp_path) == []


def test_a_stale_file_of_an_earlier_run_does_not_survive(tmp_path):
    out = tmp_path / "z"
    assert run(["zones", SITES, "--plans", PLANS, "--out", out]).returncode == 0
    assert (out / "plan_problems.csv").exists()
    assert run(["zones", SITES, "--out", out]).returncode == 0
    assert not (out / "plan_problems.csv").exists()  # it belonged to the earlier set


def _shapefile_state(shp: Path):
    """(ids, records in .dbf, records in .shx) of a Shapefile, or None when there is no .shp."""
    if not shp.exists():
        return None
    dbf = shp.with_suffix(".dbf").read_bytes()
    n_dbf = int.from_bytes(dbf[4:8], "little")
    n_shx = (shp.with_suffix(".shx").stat().st_size - 100) // 8
    ids = frozenset(pyogrio.read_dataframe(shp, columns=["site_id"])["site_id"])
    return ids, n_dbf, n_shx


def test_a_shapefile_export_killed_at_every_step_is_never_torn(tmp_path):
    sites, _ = og.sites.read_sites(SITES)
    few = tmp_path / "few.geojson"
    og.io.write_geojson(sites.iloc[:40], few)
    target = tmp_path / "exp" / "mysites.shp"
    assert run(["export", SITES, "--format", "shp", "--out", target]).returncode == 0
    full = _shapefile_state(target)
    assert full[1] == full[2] == len(sites)
    k = 1
    while True:
        res = run(["export", few, "--format", "shp", "--out", target], kill_after=k)
        state = _shapefile_state(target)
        if state is not None:
            ids, n_dbf, n_shx = state
            assert n_dbf == n_shx == len(ids), f"torn Shapefile after a kill at step {k}"
            assert len(ids) in (len(sites), 40)
        if res.returncode == 0:
            break
        assert res.returncode == KILLED, res.stderr
        k += 1
    assert k > 3
    assert _shapefile_state(target)[1] == 40
    assert leftovers(tmp_path / "exp") == []


SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    import ordos_geo.io.atomic as a
    if sys.argv[3] == "no-exchange":
        a._renameat2_exchange = lambda x, y: False
    with a.output_set(sys.argv[1]) as out:
        for i in range(4):
            with a.atomic_path(out.dir / f"part{i}.txt") as tmp:
                tmp.write_text(sys.argv[2] * (i + 1))
""")


@pytest.mark.parametrize("mode", ["exchange", "no-exchange"])
def test_output_set_swap_and_its_fallback_survive_every_kill(tmp_path, mode):
    """Both ways of swapping the folder (renameat2 RENAME_EXCHANGE, and two renames where the
    file system lacks it) leave the old set or the new one, and the next run tidies up."""
    script = tmp_path / "writer.py"
    script.write_text(SCRIPT)
    out = tmp_path / "o"

    def go(text, kill=None):
        env = dict(os.environ)
        env.pop("ORDOS_GEO_TEST_KILL_AFTER", None)
        if kill:
            env["ORDOS_GEO_TEST_KILL_AFTER"] = str(kill)
        return subprocess.run([sys.executable, str(script), str(out), text, mode], env=env,
                              capture_output=True, text=True, timeout=120).returncode

    names = [f"part{i}.txt" for i in range(4)]
    assert go("a") == 0
    old = {n: (out / n).read_text() for n in names}
    for k in range(1, 20):
        rc = go("b", kill=k)
        if not out.exists():  # the fallback's window between its two renames
            assert mode == "no-exchange"
            assert go("b", kill=1) == KILLED  # any next run restores the earlier set first
        now = {n: (out / n).read_text() for n in names}
        assert now in (old, {n: "b" * (i + 1) for i, n in enumerate(names)}), (k, now)
        if rc == 0:
            break
        assert rc == KILLED
    assert go("c") == 0
    assert leftovers(tmp_path) == []
