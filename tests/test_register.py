"""The green-mine register, on both backends (a GeoPackage and a real PostgreSQL/PostGIS started
by the tests): model, sign-off rules, append-only history, derived state with known answers,
import all-or-nothing and idempotent, concurrency, a killed import, the CLI. The other side's
tests (tampering, invisible signatures, sequences, one answer to overdue) are in
test_register_trust.py."""

import os
import subprocess
import sys
import textwrap

import pandas as pd
import pyogrio
import pytest
import sqlalchemy as sa
from conftest import JUNGAR, sites_from_metric, squares_metric

import ordos_geo as og
from ordos_geo import cli
from ordos_geo.core.errors import ValidationError
from ordos_geo.register import current_state, rules

SIGN = {"checked_by": "张三", "evaluated_by": "李四", "tracked_by": "王五", "responsible": "赵六"}


@pytest.fixture(autouse=True)
def _english():
    og.settings.lang = "en"  # the assertions read the English messages; one test reads Chinese


@pytest.fixture
def mines():
    geoms = squares_metric(JUNGAR, 4, 100.0, 400.0)
    frame = sites_from_metric(geoms, ids=["M1", "M2", "M3", "M4"])
    return frame


@pytest.fixture
def reg(register_location, mines):
    with og.register.init(register_location, sites=mines) as register:
        yield register


def _listing(path, rows):
    pd.DataFrame(rows).to_csv(path, index=False, encoding="gbk")
    return path


def _count(reg):
    with reg.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM register_events")).scalar()


def _events(reg, **kw):
    """The history without the entries of mines (``entered``)."""
    history = reg.history(**kw)
    return history[history["event"] != "entered"].reset_index(drop=True)


# --- model and storage --------------------------------------------------------------------------
def test_init_enters_the_mines_with_their_boundaries(reg, mines):
    got = reg.mines(geometry=True)
    assert list(got["mine_id"]) == ["M1", "M2", "M3", "M4"]
    want = mines.set_index("site_id").to_crs(4326).geometry
    for mine_id, geom in zip(got["mine_id"], got.geometry):
        assert geom.geom_type == "MultiPolygon"
        assert geom.symmetric_difference(want[mine_id]).area < 1e-12
    history = reg.history()  # one signed-in entry per mine, with its boundary's digest
    assert history["event"].tolist() == ["entered"] * 4 and _count(reg) == 4
    assert history["mine_id"].tolist() == ["M1", "M2", "M3", "M4"]
    assert history["detail"].str.contains("geometry_sha256").all()
    assert reg.verify().ok and reg.head().startswith("4:")


def test_a_register_is_created_once(reg):
    with pytest.raises(og.errors.UsageError, match="already|exists"):
        og.register.init(reg.location)


def test_the_geopackage_opens_in_gdal_as_qgis_would(tmp_path, mines):
    path = tmp_path / "r.gpkg"
    reg = og.register.init(path, sites=mines)
    reg.add(mine_id="M1", event="applied", date="2024-01-02")
    layers = dict(pyogrio.list_layers(path))
    assert layers["register_mines"] == "MultiPolygon" and "register_events" in layers
    events = pyogrio.read_dataframe(path, layer="register_events", read_geometry=False)
    applied = events[events["event"] == "applied"].iloc[0]
    assert str(applied["date"])[:10] == "2024-01-02" and len(applied["hash"]) == 64
    info = subprocess.run(["ogrinfo", "-so", str(path), "register_mines"], capture_output=True,
                          text=True, check=True).stdout
    assert "Feature Count: 4" in info and ("EPSG" in info or "4326" in info)


def test_history_cannot_be_altered(reg):
    first = reg.add(mine_id="M1", event="applied", date="2024-01-02")
    for sql in ("UPDATE register_events SET note = 'x'", "DELETE FROM register_events"):
        # GeoPackage: the trigger; PostgreSQL: the tool's writer role has no such right
        with pytest.raises(sa.exc.DBAPIError, match="append-only|permission denied"):
            with reg.engine.begin() as conn:
                conn.exec_driver_sql(sql)
    assert list(_events(reg)["event_id"]) == [first]
    assert not any(hasattr(reg, name) for name in ("update", "delete", "remove", "edit"))


def test_values_are_bound_never_formatted_in(reg):
    hostile = "M1'); DROP TABLE register_events; --"
    with pytest.raises(ValidationError, match="mine_id"):  # ';' is not allowed in an id
        reg.add(mine_id=hostile, event="applied", date="2024-01-02")
    with pytest.raises(ValidationError, match="no such mine"):
        reg.add(mine_id="M1' OR '1'='1", event="applied", date="2024-01-02")
    reg.add(mine_id="M1", event="applied", date="2024-01-02", note=hostile)
    assert _events(reg)["note"].tolist() == [hostile]


# --- sign-off and completeness ------------------------------------------------------------------
SIGNED = [e for e, spec in rules()["events"].items() if spec.get("signed_by")
          and e != "correction"]
#: What must be on the register before each event can follow (the sequence model).
BEFORE = {"spot_check": ["listed"], "demonstration": ["listed"], "removed": ["listed"],
          "reinstated": ["listed", "removed"]}


@pytest.mark.parametrize("event", SIGNED)
def test_signed_events_are_refused_without_each_name(tmp_path, mines, event):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.close()
    reg = og.register.open_register(tmp_path / "r.gpkg")
    finding = reg.add(mine_id="M1", event="finding", date="2024-01-01", **SIGN)
    for k, kind in enumerate(BEFORE.get(event, [])):
        reg.add(mine_id="M1", event=kind, date=f"2024-01-0{k + 2}", level="national", **SIGN)
    extra = {"level": "national", "score": 900, "evaluator_org": "某评估公司",
             "refers_to": finding, "due_date": "2024-06-01", "banner": "达拉特旗",
             "note": "原因"}
    mine = None if rules()["events"][event].get("scope") == "register" else "M1"
    if event == "rectified":
        extra.pop("due_date")
    if mine is None:
        extra = {"evaluator_org": "某评估公司", "note": "出具虚假报告"}
    needed = rules()["events"][event]["signed_by"]
    for name in needed:
        fields = {**SIGN, **extra}
        fields.pop(name)
        with pytest.raises(ValidationError, match=name):
            reg.add(mine_id=mine, event=event, date="2024-02-01", **fields)
    assert reg.add(mine_id=mine, event=event, date="2024-02-01", **SIGN, **extra) > finding


def test_messages_are_chinese_by_default(reg):
    og.settings.lang = "zh"
    with pytest.raises(ValidationError) as err:
        reg.add(mine_id="M1", event="抽查", date="2024-05-01")
    assert "事件未记录" in str(err.value) and "须签字" in str(err.value)
    assert "谁核查、谁评估、谁跟踪、谁负责" in str(err.value)


def test_every_problem_of_an_event_is_named(reg):
    with pytest.raises(ValidationError) as err:
        reg.add(mine_id="M1", event="verification", date="2024-13-01", score="x", level="county")
    text = str(err.value)
    for field in ("date", "score", "level", "evaluated_by", "responsible"):
        assert field in text
    assert set(err.value.report["field"]) >= {"date", "score", "level"}


# --- the derived state: known answers -----------------------------------------------------------
def test_state_follows_listing_checks_findings_and_removal(reg):
    add = reg.add
    add(mine_id="M1", event="applied", date="2023-01-05")
    add(mine_id="M1", event="initial_evaluation", date="2023-02-01", **SIGN)
    add(mine_id="M1", event="verification", date="2023-03-01", score=812, evaluator_org="甲公司",
        **SIGN)
    add(mine_id="M1", event="public_notice", date="2023-03-10")
    add(mine_id="M1", event="listed", date="2023-04-01", level="国家级")
    add(mine_id="M2", event="verification", date="2023-03-01", score=799, evaluator_org="乙公司",
        **SIGN)
    add(mine_id="M3", event="listed", date="2022-01-01", level="regional")
    f1 = add(mine_id="M3", event="finding", date="2024-03-01", **SIGN)
    add(mine_id="M3", event="rectification_due", date="2024-03-02", refers_to=f1,
        due_date="2024-09-01", **SIGN)
    f2 = add(mine_id="M3", event="finding", date="2024-05-01", **SIGN)
    add(mine_id="M3", event="rectification_due", date="2024-05-02", refers_to=f2,
        due_date="2024-11-01", **SIGN)
    add(mine_id="M3", event="spot_check", date="2024-03-01", **SIGN)
    add(mine_id="M4", event="listed", date="2021-01-01", level="regional")
    add(mine_id="M4", event="removed", date="2024-01-01", **SIGN)

    state = reg.state(as_of="2024-10-01").set_index("mine_id")
    assert state.loc["M1", ["listed", "level", "stage"]].tolist() == [True, "national", "listed"]
    assert state.loc["M1", "verification_passed"] and state.loc["M1", "verification_score"] == 812
    assert not state.loc["M2", "verification_passed"] and not state.loc["M2", "listed"]
    assert state.loc["M2", "stage"] == "verification"
    m3 = state.loc["M3"]
    assert m3["open_findings"] == 2 and str(m3["next_due"])[:10] == "2024-09-01" and m3["overdue"]
    assert m3["n_spot_checks"] == 1 and str(m3["last_spot_check"])[:10] == "2024-03-01"
    assert state.loc["M4", "listed"] == False and str(state.loc["M4", "removed_date"])[:10] == "2024-01-01"  # noqa: E712

    add(mine_id="M3", event="rectified", date="2024-10-02", refers_to=f1, **SIGN)
    m3 = reg.state(as_of="2024-10-03").set_index("mine_id").loc["M3"]
    assert m3["open_findings"] == 1 and str(m3["next_due"])[:10] == "2024-11-01" and not m3["overdue"]
    add(mine_id="M3", event="rectified", date="2024-12-01", **SIGN)  # no reference: closes all
    assert reg.state(as_of="2025-01-01").set_index("mine_id").loc["M3", "open_findings"] == 0
    # before the events, nothing had happened
    early = reg.state(as_of="2020-01-01").set_index("mine_id")
    assert not early["listed"].any() and (early["n_events"] == 0).all()


def test_reinstated_and_the_2024_scale(reg):
    reg.add(mine_id="M1", event="listed", date="2020-01-01", level="regional")
    reg.add(mine_id="M1", event="removed", date="2022-01-01", **SIGN)
    reg.add(mine_id="M1", event="reinstated", date="2023-01-01", level="national", **SIGN)
    reg.add(mine_id="M2", event="verification", date="2024-06-01", score=80, score_max=100,
            evaluator_org="丙公司", **SIGN)
    state = reg.state(as_of="2024-07-01").set_index("mine_id")
    assert state.loc["M1", ["listed", "level", "stage"]].tolist() == [True, "national", "reinstated"]
    assert state.loc["M2", "verification_passed"]  # 80 of 100 = 80 %
    with pytest.raises(ValidationError, match="maximum"):
        reg.add(mine_id="M2", event="verification", date="2024-06-01", score=101, score_max=100,
                evaluator_org="丙公司", **SIGN)


def test_corrections_supersede_without_changing_the_history(reg):
    wrong = reg.add(mine_id="M1", event="listed", date="2023-04-01", level="regional")
    reg.add(mine_id="M1", event="correction", date="2023-04-05", supersedes=wrong,
            level="national", responsible="赵六", note="级别录错")
    state = reg.state(as_of="2024-01-01").set_index("mine_id")
    assert state.loc["M1", "level"] == "national"
    history = reg.history()
    assert history.loc[history["event_id"] == wrong, "level"].item() == "regional"  # as recorded
    listed = state.loc["M1", "listed_date"]
    assert str(listed)[:10] == "2023-04-01"  # the correction's own date does not move it
    later = reg.add(mine_id="M2", event="listed", date="2023-01-01", level="regional")
    reg.add(mine_id="M2", event="correction", date="2023-01-02", supersedes=later,
            corrected_event="void", responsible="赵六")
    assert not reg.state(as_of="2024-01-01").set_index("mine_id").loc["M2", "listed"]
    with pytest.raises(ValidationError, match="no such event of this mine"):
        reg.add(mine_id="M3", event="correction", date="2023-01-02", supersedes=later,
                responsible="赵六")
    fix = int(reg.history()["event_id"].max())
    with pytest.raises(ValidationError, match="not another correction"):
        reg.add(mine_id="M2", event="correction", date="2023-01-03", supersedes=fix,
                responsible="赵六")


def test_current_state_is_vectorised_and_matches_a_per_mine_reading():
    """10,000 mines × 10 events: the one function against a plain per-mine loop."""
    import numpy as np

    rng = np.random.default_rng(1)
    n, per = 2000, 10
    kinds = rng.choice(["listed", "removed", "reinstated", "spot_check", "finding"], n * per)
    frame = pd.DataFrame({"event_id": pd.array(np.arange(1, n * per + 1), dtype="Int64"),
                          "mine_id": np.repeat([f"M{k:05d}" for k in range(n)], per),
                          "event": kinds,
                          "date": pd.to_datetime("2020-01-01") + pd.to_timedelta(
                              rng.integers(0, 1500, n * per), unit="D"),
                          "level": np.where(np.isin(kinds, ["listed", "reinstated"]),
                                            rng.choice(["national", "regional"], n * per), None)})
    for col in og.register.EVENT_COLUMNS:
        if col not in frame:
            frame[col] = pd.array([None] * len(frame), dtype="Int64") \
                if col in ("refers_to", "supersedes") else None
    frame["due_date"] = pd.NaT
    state = current_state(frame, as_of="2030-01-01").set_index("mine_id")
    for mine_id, events in frame.groupby("mine_id"):
        events = events.sort_values(["date", "event_id"])
        lst = events[events["event"].isin(["listed", "reinstated", "removed"])]
        listed = len(lst) > 0 and lst["event"].iloc[-1] != "removed"
        assert state.loc[mine_id, "listed"] == listed
        found = events[events["event"] == "finding"]
        assert state.loc[mine_id, "open_findings"] == len(found)


# --- import -------------------------------------------------------------------------------------
def test_import_listing_table_in_chinese(reg, tmp_path):
    path = _listing(tmp_path / "名录.csv", [
        {"矿山编号": "M1", "矿山名称": "一号矿", "旗区": "准格尔旗", "级别": "国家级",
         "纳入名录日期": "2021/05/01", "状态": "在录"},
        {"矿山编号": "M2", "矿山名称": "二号矿", "旗区": "准格尔旗", "级别": "自治区级",
         "纳入名录日期": "2022-06-01", "状态": "移出", "移出日期": "2024-03-01",
         "核查人": "王五", "责任人": "赵六"},
        {"矿山编号": "N9", "矿山名称": "新矿", "旗区": "准格尔旗", "级别": "自治区级",
         "纳入名录日期": "2023-01-01", "状态": "在录"}])
    counts = reg.import_table(path)
    assert counts == {"mines": 1, "events": 4, "skipped": 0}
    state = reg.state(as_of="2025-01-01").set_index("mine_id")
    assert state.loc["M1", ["listed", "level"]].tolist() == [True, "national"]
    assert state.loc["M2", ["listed", "level"]].tolist() == [False, "regional"]
    assert state.loc["N9", "listed"] and state.loc["N9", "name"] == "新矿"
    before = reg.history()
    assert reg.import_table(path) == {"mines": 0, "events": 0, "skipped": 4}  # idempotent
    pd.testing.assert_frame_equal(reg.history(), before)
    other = _listing(tmp_path / "again.csv", [  # the same mine listed again on another day
        {"矿山编号": "M1", "级别": "国家级", "纳入名录日期": "2022/05/01", "状态": "在录"}])
    with pytest.raises(ValidationError, match="the mine is listed at that date"):
        reg.import_table(other)


def test_import_xlsx_with_dates_as_cells(reg, tmp_path):
    import datetime as dt

    path = tmp_path / "名录.xlsx"
    og.io.write_xlsx(pd.DataFrame({"矿山编号": ["M1", "M2"], "级别": ["国家级", "自治区级"],
                                   "纳入名录日期": [dt.datetime(2021, 5, 1), dt.datetime(2022, 6, 1)],
                                   "状态": ["在录", "在录"], "备注": ["=1+1", "@SUM(A1)"]}), path)
    assert reg.import_table(path) == {"mines": 0, "events": 2, "skipped": 0}
    history = _events(reg)
    assert history["date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-05-01", "2022-06-01"]
    assert history["note"].tolist() == ["=1+1", "@SUM(A1)"]  # text, as written


def test_a_bad_row_names_itself_and_nothing_is_written(reg, tmp_path):
    reg.add(mine_id="M1", event="applied", date="2020-01-01")
    before = reg.history()
    path = _listing(tmp_path / "bad.csv", [
        {"矿山编号": "M1", "级别": "国家级", "纳入名录日期": "2021-05-01", "状态": "在录"},
        {"矿山编号": "M2", "级别": "省部级", "纳入名录日期": "2021-05-01", "状态": "在录"},
        {"矿山编号": "M3", "级别": "国家级", "纳入名录日期": "昨天", "状态": "在录"},
        {"矿山编号": "M4", "级别": "国家级", "纳入名录日期": "2021-05-01", "状态": "移出",
         "移出日期": "2024-01-01"}])
    with pytest.raises(ValidationError) as err:
        reg.import_table(path)
    text = str(err.value)
    assert "row 3, level = '省部级'" in text and "row 4, date = '昨天'" in text
    assert "row 5" in text and "must be signed" in text
    pd.testing.assert_frame_equal(reg.history(), before)
    assert len(reg.mines()) == 4


def test_history_round_trip_keeps_references(reg, tmp_path):
    f = reg.add(mine_id="M1", event="finding", date="2024-01-01", **SIGN)
    reg.add(mine_id="M1", event="rectification_due", date="2024-01-02", refers_to=f,
            due_date="2024-06-01", **SIGN)
    out = tmp_path / "history.csv"
    og.export.write_register(reg, out, history=True)
    other = og.register.init(tmp_path / "other.gpkg",
                             sites=reg.mines(geometry=True).rename(columns={"mine_id": "site_id"})
                             .assign(kind="mine"))
    other.add(mine_id="M2", event="applied", date="2023-01-01")  # ids shift by one
    assert other.import_table(out)["events"] == 2
    assert other.import_table(out) == {"mines": 0, "events": 0, "skipped": 2}  # twice: nothing
    got = other.history()
    finding = got.loc[got["event"] == "finding", "event_id"].item()
    assert got.loc[got["event"] == "rectification_due", "refers_to"].item() == finding != f


# --- concurrency and a killed import ------------------------------------------------------------
WRITER = textwrap.dedent("""
    import sys
    import ordos_geo as og
    reg = og.register.open_register(sys.argv[1])
    for k in range(int(sys.argv[3])):
        reg.add(mine_id="M1", event="spot_check", date="2024-01-01", checked_by="核查员" + "甲乙丙丁戊己庚辛"[int(sys.argv[2])],
                responsible="赵六", note=f"{sys.argv[2]}:{k}")
""")


def test_eight_writers_lose_nothing(reg):
    n_writers, n_events = 8, 50
    reg.add(mine_id="M1", event="listed", date="2023-01-01", level="national")
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, reg.location, str(w), str(n_events)],
                              stderr=subprocess.PIPE, text=True) for w in range(n_writers)]
    errors = [p.communicate(timeout=600)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    history = reg.history()
    history = history[history["event"] == "spot_check"]
    assert len(history) == n_writers * n_events
    assert history["event_id"].is_unique
    assert reg.verify().ok  # one chain, whatever the interleaving
    for w in range(n_writers):
        mine = history[history["checked_by"] == "核查员" + "甲乙丙丁戊己庚辛"[w]]
        order = mine["note"].str.split(":").str[1].astype(int).tolist()
        assert order == list(range(n_events))  # each writer's events in the order it wrote them
        assert mine["recorded_at"].is_monotonic_increasing


def test_a_killed_import_leaves_the_register_as_it_was(reg, tmp_path):
    reg.add(mine_id="M1", event="applied", date="2020-01-01")
    before, mines_before = reg.history(), reg.mines()
    path = _listing(tmp_path / "list.csv", [
        {"矿山编号": f"K{k}", "矿山名称": f"矿{k}", "旗区": "准格尔旗", "级别": "国家级",
         "纳入名录日期": "2021-05-01", "状态": "在录"} for k in range(50)])
    for kill_after in (1, 2):  # after the mines, after the events (before the commit)
        env = {**os.environ, "ORDOS_GEO_TEST_KILL_AFTER": str(kill_after)}
        res = subprocess.run([sys.executable, "-m", "ordos_geo", "register", "import",
                              reg.location, str(path)], env=env, capture_output=True)
        assert res.returncode == -9
        pd.testing.assert_frame_equal(reg.history(), before)
        pd.testing.assert_frame_equal(reg.mines(), mines_before)
    assert reg.import_table(path) == {"mines": 50, "events": 50, "skipped": 0}  # still works
    assert reg.verify().ok


# --- the command line ---------------------------------------------------------------------------
def test_cli_register_round_trip(tmp_path, mines, capsys):
    sites = tmp_path / "sites.geojson"
    og.io.write_geojson(mines, sites)
    db = str(tmp_path / "名录.gpkg")
    assert cli.main(["register", "init", db, "--sites", str(sites)]) == 0
    assert "4" in capsys.readouterr().out
    table = _listing(tmp_path / "t.csv", [{"矿山编号": "M1", "级别": "国家级",
                                           "纳入名录日期": "2021-05-01", "状态": "在录"}])
    assert cli.main(["register", "import", db, str(table)]) == 0
    assert cli.main(["register", "add", db, "--mine-id", "M1", "--event", "抽查", "--date",
                     "2024-05-01", "--checked-by", "张三", "--responsible", "李四",
                     "--note", "=HYPERLINK(\"http://x\")"]) == 0
    assert cli.main(["register", "add", db, "--mine-id", "M1", "--event", "问题", "--date",
                     "2024-05-01"]) == 1
    assert "must be signed" in capsys.readouterr().err
    capsys.readouterr()
    assert cli.main(["register", "show", db, "--as-of", "2024-12-31"]) == 0
    out = capsys.readouterr().out
    assert "准格尔旗" in out and " 1 " in out
    assert cli.main(["register", "history", db, "--mine-id", "M1"]) == 0
    assert "Spot check" in capsys.readouterr().out  # spot_check, as people read it (issue 23)
    for name in ("state.xlsx", "state.csv", "state.gpkg"):
        assert cli.main(["register", "export", db, "--out", str(tmp_path / name)]) == 0
    assert cli.main(["register", "export", db, "--history", "--out",
                     str(tmp_path / "h.xlsx")]) == 0
    import openpyxl

    sheet = openpyxl.load_workbook(tmp_path / "h.xlsx").active
    cells = [c for row in sheet.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" for c in cells)  # text, never a formula
    assert dict(pyogrio.list_layers(tmp_path / "state.gpkg"))["register_state"] == "MultiPolygon"
    assert cli.main(["register", "init", db]) == 2
    assert cli.main(["register", "show", str(tmp_path / "none.gpkg")]) == 1
    assert cli.main(["register", "export", db, "--out", str(tmp_path / "x.txt")]) == 2


def test_blacklisted_evaluators_are_refused_and_earlier_work_reviewed(reg, capsys):
    early = reg.add(mine_id="M1", event="verification", date="2023-05-01", score=850,
                    evaluator_org="某某评估公司", **SIGN)
    reg.add(mine_id="M2", event="verification", date="2023-06-01", score=820,
            evaluator_org="另一公司", **SIGN)
    reg.blacklist(organisation="某某评估公司", date="2024-01-01", reason="出具虚假报告",
                  responsible="赵六")
    with pytest.raises(ValidationError, match="blacklisted since 2024-01-01"):
        reg.add(mine_id="M3", event="verification", date="2024-02-01", score=900,
                evaluator_org=" 某某评估公司 ", **SIGN)  # spelled with spaces: the same one
    review = reg.review_list()
    assert review["event_id"].tolist() == [early]
    assert review.loc[0, "blacklist_reason"] == "出具虚假报告"
    with pytest.raises(sa.exc.DBAPIError, match="append-only|permission denied"):
        with reg.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM register_events WHERE event = 'blacklisted'")
    assert cli.main(["register", "review", reg.location, "--lang", "en"]) == 0
    assert str(early) in capsys.readouterr().out
