"""Register benchmark: import 10,000 mines with 100,000 events (a history table, CSV) and derive
the current state of the 10,000 mines, on a GeoPackage and on PostgreSQL/PostGIS (a throwaway
cluster on a Unix socket, as the tests start it).

Side by side, each case in a fresh process (wall time, peak memory):
* ``floor`` – the same rows read with ``pandas.read_csv`` and inserted with one bare
  ``executemany`` into a table of the same columns (sqlite3 for the GeoPackage; psycopg ``COPY``
  for PostgreSQL): no checks, no ids, no mines.
* ``ordos_geo import`` – ``Register.import_table``: aliases, every field of every row checked,
  signatures, references, mines entered, ids reserved, one transaction.
* ``ordos_geo state`` – ``Register.state()``: one read of the events, the vectorised
  ``current_state`` over all mines (targets: import ≤ 10 s on each backend, state ≤ 1 s).
* ``floor: read + sha256 chain`` – the events read with the bare driver (every column, in
  order) and SHA-256 chained over each row's text: the least a verification does.
* ``ordos_geo open`` – what every command does before its work: open the register, which
  verifies the chain recomputed from the canonical content of every event, the head records,
  every mine row against its events, and the rules for the events this machine has not
  checked (none here: the import checked them; target ≤ 1 s for 100,000 events; the register
  also holds the 10,000 ``entered`` events of its mines).
* ``ordos_geo verify`` – ``Register.verify()`` (``register verify``): the same, and every one of
  the 110,000 recorded events checked against the rules again.
* ``ordos_geo open + state`` – what ``register show`` does: open and derive the state.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _harness import run_case, write_markdown

HERE = Path(__file__).resolve().parent


def make_history(path: Path, n_mines: int, per_mine: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(5)
    kinds = ["listed", "spot_check", "spot_check", "finding", "spot_check", "spot_check",
             "spot_check", "spot_check", "spot_check", "spot_check"][:per_mine]
    rows = []
    for m in range(n_mines):
        start = pd.Timestamp("2018-01-01") + pd.Timedelta(days=int(rng.integers(0, 700)))
        for k, kind in enumerate(kinds):
            rows.append({"event_id": m * per_mine + k + 1, "mine_id": f"M{m:05d}",
                         "name": f"合成矿{m:05d}", "banner": "准格尔旗", "event": kind,
                         "date": (start + pd.Timedelta(days=90 * k)).strftime("%Y-%m-%d"),
                         "level": "national" if kind == "listed" else None,
                         "checked_by": "核查员甲" if kind != "listed" else None,
                         "tracked_by": "跟踪员丙" if kind == "finding" else None,
                         "responsible": "责任人乙" if kind != "listed" else None})
    pd.DataFrame(rows).to_csv(path, index=False)


SETUP = """
import os, sys, pathlib, tempfile
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp()  # this run's memory of checked registers
sys.path.insert(0, {tests!r})
import ordos_geo as og
og.settings.progress = False
history = pathlib.Path({history!r})
def location(k):
    if {backend!r} == "gpkg":
        path = pathlib.Path({folder!r}) / f"r{{k}}.gpkg"
        path.unlink(missing_ok=True)
        return str(path)
    from postgres_helpers import Cluster
    global cluster
    if "cluster" not in globals():
        import atexit
        cluster = Cluster()
        atexit.register(cluster.stop)
    return cluster.new_database()
counter = [0]
"""
CASES = {
    "floor: read_csv + executemany": (
        "import pandas as pd, sqlite3, psycopg",
        "frame = pd.read_csv(history, dtype=str)\n"
        "cols = list(frame.columns)\n"
        "rows = frame.astype(object).where(frame.notna(), None).values.tolist()\n"
        "counter[0] += 1\n"
        "loc = location(counter[0])\n"
        "if loc.endswith('.gpkg'):\n"
        "    con = sqlite3.connect(loc)\n"
        "    con.execute('create table e (' + ', '.join(c + ' text' for c in cols) + ')')\n"
        "    con.executemany('insert into e values (' + ','.join('?' * len(cols)) + ')', rows)\n"
        "    con.commit(); con.close()\n"
        "else:\n"
        "    url = loc.replace('postgresql://postgres@/', '').split('?host=')\n"
        "    with psycopg.connect(host=url[1], dbname=url[0], user='postgres') as con:\n"
        "        con.execute('create table e (' + ', '.join(c + ' text' for c in cols) + ')')\n"
        "        with con.cursor().copy('copy e from stdin') as cp:\n"
        "            for r in rows:\n"
        "                cp.write_row(r)\n"),
    "ordos_geo import": (
        "",
        "counter[0] += 1\n"
        "reg = og.register.init(location(counter[0]))\n"
        "reg.import_table(history)\n"
        "reg.close()"),
    "ordos_geo state": (
        "reg = og.register.init(location(0))\n"
        "reg.import_table(history)",
        "state = reg.state(as_of='2030-01-01')"),
    "floor: read + sha256 chain": (
        "reg = og.register.init(location(0))\n"
        "reg.import_table(history)\n"
        "import hashlib\n"
        "cols = ', '.join(og.register.HISTORY_COLUMNS)",
        "with reg.engine.connect() as conn:\n"
        "    rows = conn.exec_driver_sql(f'SELECT {cols} FROM register_events ORDER BY event_id')"
        ".cursor.fetchall()\n"
        "prev = ''\n"
        "for row in rows:\n"
        "    prev = hashlib.sha256((prev + '|'.join(map(str, row))).encode()).hexdigest()"),
    "ordos_geo open": (
        "reg = og.register.init(location(0))\n"
        "reg.import_table(history)\n"
        "reg.close()",
        "og.register.open_register(reg.location).close()"),
    "ordos_geo verify": (
        "reg = og.register.init(location(0))\n"
        "reg.import_table(history)",
        "assert reg.verify().ok"),
    "ordos_geo open + state": (
        "reg = og.register.init(location(0))\n"
        "reg.import_table(history)\n"
        "reg.close()",
        "with og.register.open_register(reg.location) as r:\n"
        "    state = r.state(as_of='2030-01-01')"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mines", type=int, default=10_000)
    ap.add_argument("--per-mine", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        history = Path(tmp) / "history.csv"
        make_history(history, args.mines, args.per_mine)
        for backend in ("gpkg", "postgis"):
            base, chain_floor = None, None
            for name, (extra, stmt) in CASES.items():
                setup = SETUP.format(tests=str(HERE.parent / "tests"), history=str(history),
                                     backend=backend, folder=tmp) + extra
                res = run_case(setup, stmt, repeat=args.repeat)
                base = base or res["seconds"]
                if name.startswith("floor: read + sha"):
                    chain_floor = res["seconds"]
                ratio = res["seconds"] / base if "import" in name or name.startswith(
                    "floor: read_csv") else res["seconds"] / chain_floor if name in (
                    "ordos_geo open", "ordos_geo verify") else "-"
                rows.append({"backend": backend, "mines": args.mines,
                             "events": args.mines * args.per_mine, "method": name,
                             "seconds": res["seconds"], "x floor": ratio,
                             "target": "≤ 10 s" if "import" in name else
                             "≤ 1 s" if name in ("ordos_geo state", "ordos_geo open")
                             else "-",
                             "peak MB": res["peak_mb"]})
                print(rows[-1], flush=True)
    path = write_markdown("register", "Green-mine register: import and state", rows, __doc__)
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
