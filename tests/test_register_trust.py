"""The register as the other side would try it, on both backends (a GeoPackage edited with
sqlite3, a PostgreSQL database edited with psycopg as its superuser): every single-event edit,
deletion and insertion is found and named; invisible characters are no signature; corrections,
voids and deadline changes need the signatures of what they produce; events follow the
sequence model; one function answers "is it overdue?" for the state, the lists, the spot-check
weights and the map."""

import datetime as dt
import shutil
import sys
import unicodedata

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import JUNGAR, sites_from_metric, squares_metric
from conftest import run_cli as _cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ordos_geo as og
from ordos_geo.core.errors import UsageError, ValidationError
from ordos_geo.register import TamperedError, _chain
from ordos_geo.register import _storage as db
from ordos_geo.register._names import NameRefused, clean_name, clean_text

SIGN = {"checked_by": "张三", "evaluated_by": "李四", "tracked_by": "王五", "responsible": "赵六"}


@pytest.fixture(autouse=True)
def _english():
    og.settings.lang = "en"


@pytest.fixture
def mines():
    return sites_from_metric(squares_metric(JUNGAR, 4, 100.0, 400.0), ids=["M1", "M2", "M3", "M4"])


def _story(reg) -> None:
    """A small, realistic history: listings, checks, a finding with its deadline, a
    verification, a blacklisting, a correction."""
    reg.add(mine_id="M1", event="listed", date="2022-01-01", level="national")
    reg.add(mine_id="M2", event="listed", date="2022-03-01", level="regional")
    reg.add(mine_id="M1", event="spot_check", date="2024-03-01", **SIGN)
    f = reg.add(mine_id="M1", event="finding", date="2024-03-01", note="边坡未复绿", **SIGN)
    reg.add(mine_id="M1", event="rectification_due", date="2024-03-02", refers_to=f,
            due_date="2024-09-01", **SIGN)
    reg.add(mine_id="M3", event="verification", date="2024-04-01", score=842,
            evaluator_org="甲评估公司", **SIGN)
    reg.blacklist(organisation="乙评估公司", date="2024-05-01", reason="出具虚假报告",
                  responsible="赵六")
    reg.add(mine_id="M2", event="correction", date="2024-06-01", supersedes=6,
            level="national", responsible="赵六")


@pytest.fixture
def story(register_location, mines):
    reg = og.register.init(register_location, sites=mines)
    _story(reg)
    n = int(reg.head().split(":")[0])
    reg.close()
    return register_location, n


class Raw:
    """Another program on the register: sqlite3 or psql as the owner, triggers out of the way."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.pg = db.is_postgres(location)
        self.engine = sa.create_engine(db._url(location))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.engine.dispose()

    def run(self, sql: str, **params):
        with self.engine.begin() as conn:
            tables = []
            if self.pg:
                tables = [t for t in ("register_events", "register_heads", "register_mines",
                                      "register_meta") if sa.inspect(conn).has_table(t)]
                for table in tables:
                    conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            else:
                names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = "
                                             "'trigger' AND name LIKE 'register_%'").scalars()
                for name in list(names):
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")
            result = conn.execute(sa.text(sql), params)
            rows = result.mappings().all() if result.returns_rows else None
            for table in tables:
                if sa.inspect(conn).has_table(table):
                    conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
        return rows


def _with(location, call, *, verify=True):
    """Open the register, call ``call(reg)``, close it (no connection left open)."""
    with og.register.open_register(location, verify=verify) as reg:
        return call(reg)


def _ok(location) -> bool:
    return _with(location, lambda r: r.verify().ok)


def _first(location):
    found = _with(location, lambda r: r.verify(), verify=False)
    assert not found.ok
    return found.problems.iloc[0]


def _copy(location, tmp_path, k):
    """A fresh copy of a GeoPackage register (PostgreSQL cases undo their edit instead)."""
    if db.is_postgres(location):
        return location
    target = tmp_path / f"c{k}.gpkg"
    shutil.copy(location, target)
    return str(target)


# --- 1. history that cannot be rewritten unnoticed ----------------------------------------------
def test_every_single_event_edit_deletion_and_insertion_is_named(story, tmp_path):
    location, n = story
    assert _ok(location)
    for k in range(1, n + 1):
        # an edit of any field, left as it is: the event is named
        for field, value in (("note", "'改'"), ("date", "'2020-01-01'"), ("checked_by", "'某'")):
            where = _copy(location, tmp_path, f"{k}{field}")
            with Raw(where) as raw:
                before = raw.run("SELECT * FROM register_events WHERE event_id = :k", k=k)[0]
                raw.run(f"UPDATE register_events SET {field} = {value} WHERE event_id = :k", k=k)
                first = _first(where)
                assert (first["kind"], first["event_id"]) == ("changed", k), (k, field)
                if raw.pg:
                    raw.run(f"UPDATE register_events SET {field} = :v WHERE event_id = :k",
                            v=before[field], k=k)
        # a deletion: the gap is named
        where = _copy(location, tmp_path, f"{k}del")
        with Raw(where) as raw:
            before = dict(raw.run("SELECT * FROM register_events WHERE event_id = :k", k=k)[0])
            raw.run("DELETE FROM register_events WHERE event_id = :k", k=k)
            first = _first(where)
            assert first["kind"] == "removed" and first["event_id"] == k, k
            if raw.pg:
                cols = ", ".join(before)
                raw.run(f"INSERT INTO register_events ({cols}) VALUES "
                        f"({', '.join(':' + c for c in before)})", **before)
    assert _ok(location)  # the PostgreSQL edits were undone


def test_an_event_inserted_by_another_program_is_named(story, tmp_path):
    location, n = story
    forged = {"event_id": n + 1, "mine_id": "M2", "event": "removed", "date": "2024-07-01",
              "recorded_at": "2024-07-01T00:00:00Z"}
    with Raw(location) as raw:  # an unsigned removal, no hash: as in the report
        last = raw.run("SELECT hash FROM register_events WHERE event_id = :n", n=n)[0]["hash"]
        raw.run("INSERT INTO register_events (event_id, mine_id, event, date, recorded_at, "
                "prev_hash, hash) VALUES (:event_id, :mine_id, :event, :date, :recorded_at, "
                ":prev, 'x')", prev=last, **forged)
        first = _first(location)
        assert (first["kind"], first["event_id"]) == ("inserted", n + 1)
        # forged with a correct hash (the attacker knows the algorithm): the head records say
        row = [forged.get(c) for c in _chain.HASHED]
        good = _chain.link(last, _chain.canonical(row))
        raw.run("UPDATE register_events SET hash = :h WHERE event_id = :k", h=good, k=n + 1)
        first = _first(location)
        assert (first["kind"], first["event_id"]) == ("inserted", n + 1)
    with pytest.raises(TamperedError, match=f"#{n + 1}"):
        _with(location, lambda r: None)


def test_a_rewritten_chain_is_caught_by_the_heads_and_by_a_published_head(story, tmp_path):
    """An attacker who recomputes every hash after an edit leaves the head records wrong; one
    who recomputes those too is caught only by a head published before: verify --head."""
    location, n = story
    published = _with(location, lambda r: r.head())
    with Raw(location) as raw:
        raw.run("UPDATE register_events SET score = 950 WHERE event_id = 10")
        rows = raw.run("SELECT * FROM register_events ORDER BY event_id")
        prev = rows[0]["prev_hash"]
        for r in rows:
            value = [r[c] for c in _chain.HASHED]
            digest = _chain.link(prev, _chain.canonical(value))
            raw.run("UPDATE register_events SET prev_hash = :p, hash = :h WHERE event_id = :k",
                    p=prev, h=digest, k=r["event_id"])
            prev = digest
        first = _first(location)
        assert first["kind"] == "rewritten" and first["event_id"] <= 10 <= first["last"]
        for h in raw.run("SELECT n_events FROM register_heads"):  # the heads rewritten too
            new = raw.run("SELECT hash FROM register_events WHERE event_id = :k",
                          k=h["n_events"])[0]["hash"]
            raw.run("UPDATE register_heads SET hash = :h WHERE n_events = :k", h=new,
                    k=h["n_events"])
    # consistent again: only the published page proves it
    assert not _with(location, lambda r: r.verify(head=published).ok)
    assert _cli(["register", "verify", location, "--head", published]) == 1
    assert _cli(["register", "verify", location]) == 0


def test_replace_and_upsert_are_refused_with_the_triggers_in_place(story):
    location, n = story
    engine = sa.create_engine(db._url(location))
    statements = [
        "INSERT OR REPLACE INTO register_events (event_id, mine_id, event, date, recorded_at, "
        "prev_hash, hash) VALUES (3, 'M1', 'removed', '2024-01-01', 'x', 'x', 'x')",
        "INSERT INTO register_events (event_id, mine_id, event, date, recorded_at, prev_hash, "
        "hash) VALUES (3, 'M1', 'removed', '2024-01-01', 'x', 'x', 'x') ON CONFLICT (event_id) "
        "DO UPDATE SET event = 'removed'",
        "INSERT OR REPLACE INTO register_mines (fid, mine_id, name, banner) VALUES "
        "(1, 'M1', 'x', '达拉特旗')",
        "UPDATE register_mines SET banner = '达拉特旗' WHERE mine_id = 'M1'",
        "DELETE FROM register_mines WHERE mine_id = 'M1'",
        "UPDATE register_meta SET value = 'x' WHERE key = 'register_id'"]
    if db.is_postgres(location):
        statements = [s for s in statements if "OR REPLACE" not in s] + [
            "TRUNCATE register_events", "TRUNCATE register_mines"]
    for sql in statements:
        with pytest.raises(sa.exc.DBAPIError, match="append-only|mine_changed|permission"):
            with engine.begin() as conn:
                conn.exec_driver_sql(sql)
    engine.dispose()
    assert _ok(location)


def test_the_postgres_writer_role_cannot_update_delete_or_truncate(postgres, mines):
    location = postgres.new_database()
    with og.register.init(location, sites=mines) as reg:
        _story(reg)
    engine = sa.create_engine(db._url(location))
    for sql in ("UPDATE register_events SET note = 'x'", "DELETE FROM register_events",
                "TRUNCATE register_events", "UPDATE register_heads SET hash = 'x'",
                "DELETE FROM register_mines"):
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            with engine.begin() as conn:  # the triggers off, as its owner could do …
                conn.exec_driver_sql("ALTER TABLE register_events DISABLE TRIGGER ALL")
                conn.exec_driver_sql("ALTER TABLE register_heads DISABLE TRIGGER ALL")
                conn.exec_driver_sql("ALTER TABLE register_mines DISABLE TRIGGER ALL")
                conn.exec_driver_sql(f"SET LOCAL ROLE {db.WRITER_ROLE}")  # … but as the tool
                conn.exec_driver_sql(sql)
    engine.dispose()


def test_a_mine_moved_to_another_banner_outside_the_tool(story):
    location, _ = story
    with Raw(location) as raw:
        raw.run("UPDATE register_mines SET banner = '达拉特旗' WHERE mine_id = 'M2'")
    first = _first(location)
    assert first["kind"] == "mine_changed" and first["mine_id"] == "M2"
    assert "banner" in first["message"]
    with Raw(location) as raw:
        raw.run("UPDATE register_mines SET banner = '准格尔旗' WHERE mine_id = 'M2'")
    with og.register.open_register(location) as reg:
        with pytest.raises(ValidationError, match="responsible"):  # the legal way is signed
            reg.add(mine_id="M2", event="mine_changed", date="2024-06-02", banner="达拉特旗")
        reg.add(mine_id="M2", event="mine_changed", date="2024-06-02", banner="达拉特旗",
                responsible="赵六", note="行政区划调整")
        assert reg.mines().set_index("mine_id").loc["M2", "banner"] == "达拉特旗"
        assert reg.verify().ok


def test_every_command_refuses_a_tampered_register_and_names_the_event(story, tmp_path, capsys):
    location, n = story
    with Raw(location) as raw:
        raw.run("UPDATE register_events SET date = '2021-01-01' WHERE event_id = 7")
    out = tmp_path / "o"
    commands = [["register", "show", location], ["register", "history", location],
                ["register", "export", location, "--out", str(tmp_path / "x.csv")],
                ["register", "review", location],
                ["register", "map", location, "--out", str(tmp_path / "m.html")],
                ["register", "add", location, "--mine-id", "M1", "--event", "spot_check",
                 "--date", "2024-08-01", "--checked-by", "张三", "--responsible", "李四"],
                ["spot-check", location, "--year", "2025", "--out", str(out)],
                ["rectification", location, "--out", str(out)],
                ["lookback", location, "--year", "2024", "--out", str(tmp_path / "l.csv")],
                ["register", "verify", location]]
    for argv in commands:
        capsys.readouterr()
        assert _cli(argv + ["--lang", "en"]) == 1, argv
        text = capsys.readouterr()
        assert "#7" in text.err + text.out, argv
    assert not out.exists() and not (tmp_path / "x.csv").exists()


def test_the_head_is_on_every_report(story, tmp_path, capsys):
    location, n = story
    head = _with(location, lambda r: r.head())
    assert head.startswith(f"{n}:") and len(head.split(":")[1]) == 16
    capsys.readouterr()
    assert _cli(["register", "show", location]) == 0
    assert head in capsys.readouterr().out
    assert _cli(["register", "export", location, "--out", str(tmp_path / "s.csv"),
                     "--lang", "en"]) == 0
    assert set(pd.read_csv(tmp_path / "s.csv")["register_head"]) == {head}
    assert _cli(["rectification", location, "--out", str(tmp_path / "r")]) == 0
    assert set(pd.read_csv(tmp_path / "r" / "rectification_items.csv")["register_head"]) == \
        {head}
    assert _cli(["register", "map", location, "--out", str(tmp_path / "m.html")]) == 0
    assert head in (tmp_path / "m.html").read_text("utf-8")
    assert _cli(["spot-check", location, "--year", "2025", "--out", str(tmp_path / "p")]) == 0
    assert head in (tmp_path / "p" / "spot_checks.json").read_text("utf-8")


def test_verify_100000_events_within_a_second(tmp_path):
    """The target of the issue on this machine: opening a register of 100,000 events (what
    every command does: the whole chain, the mine rows, the rules for events this machine has
    not checked) within a second, best of 3 (20 % for this shared machine); the full check of
    every event against the rules (`register verify`) is measured by the benchmark."""
    import time

    import numpy as np

    rng = np.random.default_rng(0)
    rows = []
    for m in range(2000):
        rows.append({"event_id": len(rows) + 1, "mine_id": f"M{m:05d}", "event": "listed",
                     "date": "2020-01-01", "level": "national", "banner": "准格尔旗"})
        for k in range(49):
            rows.append({"event_id": len(rows) + 1, "mine_id": f"M{m:05d}", "event": "spot_check",
                         "date": f"202{1 + k % 4}-0{1 + k % 9}-1{k % 9}", "checked_by": "张三",
                         "responsible": "李四", "note": str(rng.integers(1000))})
    table = tmp_path / "h.csv"
    pd.DataFrame(rows).to_csv(table, index=False)
    with og.register.init(tmp_path / "big.gpkg") as reg:
        reg.import_table(table)
        assert int(reg.head().split(":")[0]) == 102_000
        assert reg.verify().ok  # every event against the rules too
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        og.register.open_register(tmp_path / "big.gpkg").close()
        seconds.append(time.perf_counter() - start)
    assert min(seconds) <= 1.2, seconds


# --- 2. a signature is a person's name ------------------------------------------------------------
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u3164",
             "\u2800", "\u180e", "\u034f", "\ufe0f", " \u200b ", "\u3000", "\t"]
NO_NAME = ["-", "—", "…", "N/A", "n/a", "无", "不详", "123", "？", "***"]


@pytest.mark.parametrize("value", INVISIBLE + NO_NAME)
def test_invisible_or_meaningless_signatures_are_refused_on_every_signed_event(
        tmp_path, mines, value):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.add(mine_id="M1", event="listed", date="2022-01-01", level="national")
    finding = reg.add(mine_id="M1", event="finding", date="2023-01-01", **SIGN)
    extra = {"level": "national", "score": 900, "evaluator_org": "某评估公司",
             "refers_to": finding, "note": "原因"}
    for event, spec in og.register.rules()["events"].items():
        for field in spec.get("signed_by", []):
            fields = {**SIGN, **extra, field: value}
            if event == "rectification_due":
                fields["due_date"] = "2023-05-01"
            mine = None if spec.get("scope") == "register" else "M1"
            if event == "correction":
                fields["supersedes"] = finding
            with pytest.raises(ValidationError, match=field):
                reg.add(mine_id=mine, event=event, date="2024-01-01", **fields)
    assert len(reg.history()) == 6


def test_names_are_stored_and_compared_in_one_spelling(tmp_path, mines):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.add(mine_id="M1", event="verification", date="2023-01-01", score=850,
            evaluator_org="绿评咨询有限公司（内蒙古）", evaluated_by="张\u200b三",
            responsible="Ｚｈａｏ  Ｌｉｕ")
    got = reg.history().iloc[-1]
    assert (got["evaluated_by"], got["responsible"]) == ("张三", "Zhao Liu")
    assert got["evaluator_org"] == "绿评咨询有限公司(内蒙古)"
    reg.blacklist(organisation="绿评咨询有限公司（内蒙古）", date="2024-01-01", reason="虚假报告",
                  responsible="赵六")
    for spelling in ("绿评\u200b咨询有限公司（内蒙古）", "绿评咨询有限公司 (内蒙古)",
                     "绿评咨询有限公司(内蒙古)\ufeff"):
        with pytest.raises(ValidationError, match="blacklisted since 2024-01-01"):
            reg.add(mine_id="M2", event="verification", date="2024-02-01", score=900,
                    evaluator_org=spelling, **SIGN)


def test_a_correction_needs_the_signatures_of_what_it_produces(tmp_path, mines, capsys):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    applied = reg.add(mine_id="M1", event="applied", date="2023-01-01")
    turn = dict(mine_id="M1", event="correction", date="2023-07-01", supersedes=applied,
                corrected_event="verification", score=950, evaluator_org="黑名单评估公司")
    with pytest.raises(ValidationError, match="evaluated_by"):  # responsible alone
        reg.add(**turn, responsible="赵六")
    early = reg.add(**turn, responsible="赵六", evaluated_by="李四", corrected_date="2023-05-01")
    reg.blacklist(organisation="黑名单评估公司", date="2023-06-01", reason="虚假报告",
                  responsible="赵六")
    review = reg.review_list()  # a verification by any route is reviewed
    assert review["event_id"].tolist() == [applied] and not review["after_blacklisting"][0]
    other = reg.add(mine_id="M2", event="applied", date="2023-01-01")
    for corrected_date in ("2023-06-15", "2023-05-01"):  # backdated or not: refused now
        with pytest.raises(ValidationError, match="blacklisted since 2023-06-01"):
            reg.add(**{**turn, "mine_id": "M2", "supersedes": other}, responsible="赵六",
                    evaluated_by="李四", corrected_date=corrected_date)
        with pytest.raises(ValidationError, match="blacklisted since 2023-06-01"):
            reg.add(mine_id="M3", event="verification", date=corrected_date, score=900,
                    evaluator_org="黑名单评估公司", **SIGN)
    assert early > applied
    # a void withdraws only with the signatures of what it voids
    finding = reg.add(mine_id="M1", event="finding", date="2023-08-01", **SIGN)
    with pytest.raises(ValidationError, match="checked_by"):
        reg.add(mine_id="M1", event="correction", date="2023-08-02", supersedes=finding,
                corrected_event="void", responsible="赵六")
    reg.add(mine_id="M1", event="correction", date="2023-08-02", supersedes=finding,
            corrected_event="void", **SIGN)
    assert reg.state(as_of="2024-01-01").set_index("mine_id").loc["M1", "open_findings"] == 0


def test_deadlines_are_signed_and_an_overdue_item_is_not_extended(tmp_path, mines):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.add(mine_id="M1", event="listed", date="2021-01-01", level="national")
    finding = reg.add(mine_id="M1", event="finding", date="2022-01-10", **SIGN)
    move = dict(mine_id="M1", event="rectification_due", refers_to=finding, due_date="2030-01-01")
    with pytest.raises(ValidationError, match="tracked_by"):
        reg.add(**move, date="2022-02-01", responsible="赵六")
    with pytest.raises(ValidationError, match="overdue item cannot be extended"):
        reg.add(**move, date="2023-01-01", **SIGN)  # the six months ran out on 2022-07-10
    with pytest.raises(ValidationError, match="before the finding"):
        reg.add(**{**move, "due_date": "2021-12-31"}, date="2022-02-01", **SIGN)
    reg.add(**{**move, "due_date": "2022-12-31"}, date="2022-02-01", **SIGN)
    state = reg.state(as_of="2023-01-01").set_index("mine_id")
    assert state.loc["M1", "overdue"] and state.loc["M1", "removable"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=12) |
       st.builds(lambda a, b: a + b, st.sampled_from(INVISIBLE + NO_NAME), st.text(max_size=3)))
def test_a_cleaned_name_has_a_letter_and_nothing_invisible(text):
    try:
        name = clean_name(text)
    except NameRefused:
        return
    if name is None:
        assert not text.strip()
        return
    assert any(unicodedata.category(c).startswith("L") for c in name)
    assert not any(unicodedata.category(c) in ("Cf", "Cc", "Co", "Cs", "Cn") for c in name)
    assert name == name.strip() and "  " not in name
    assert clean_name(name) == name == clean_text(name)  # one spelling: cleaning is idempotent


# --- 3. events that make sense ------------------------------------------------------------------
def test_events_follow_the_sequence_model(tmp_path, mines):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    with pytest.raises(ValidationError, match="not listed at that date: no removed"):
        reg.add(mine_id="M1", event="removed", date="2024-01-01", **SIGN)
    with pytest.raises(ValidationError, match="not listed at that date: no spot_check"):
        reg.add(mine_id="M1", event="spot_check", date="2024-01-01", **SIGN)
    reg.add(mine_id="M2", event="verification", date="2023-01-01", score=780,
            evaluator_org="甲公司", **SIGN)
    for event in ("public_notice", "listed"):
        with pytest.raises(ValidationError, match="last verification failed"):
            reg.add(mine_id="M2", event=event, date="2023-02-01", level="national")
    reg.add(mine_id="M3", event="listed", date="2022-01-01", level="national")
    reg.add(mine_id="M3", event="spot_check", date="2023-05-01", **SIGN)
    with pytest.raises(ValidationError, match="would make the recorded event"):
        reg.add(mine_id="M3", event="removed", date="2023-01-01", **SIGN)  # backdated
    with pytest.raises(ValidationError, match="listed at that date: no listed"):
        reg.add(mine_id="M3", event="listed", date="2023-06-01", level="national")
    with pytest.raises(ValidationError, match="no open finding"):
        reg.add(mine_id="M3", event="rectified", date="2023-06-01", **SIGN)
    tomorrow = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date() +
                dt.timedelta(days=1)).isoformat()
    for date in ("2099-01-01", tomorrow):
        with pytest.raises(ValidationError, match="events are not recorded in advance"):
            reg.add(mine_id="M4", event="listed", date=date, level="national")
    for score, top in ((500, 0), (500, -1), (float("nan"), 1000), (float("inf"), 1000),
                       (1001, 1000), (-1, 1000), ("九百", 1000)):
        with pytest.raises(ValidationError, match="score"):
            reg.add(mine_id="M4", event="verification", date="2024-01-01", score=score,
                    score_max=top, evaluator_org="甲公司", **SIGN)


def test_unknown_banners_are_refused_with_the_known_ones(tmp_path, mines, capsys):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    with pytest.raises(UsageError, match="准格尔旗"):
        reg.state(banner="火星旗")
    assert _cli(["register", "show", reg.location, "--banner", "火星旗"]) == 2
    assert "准格尔旗" in capsys.readouterr().err
    assert len(reg.state(banner="准旗")) == 4  # an accepted spelling
    with pytest.raises(ValidationError, match="banner"):
        reg.add(mine_id="M1", event="mine_changed", date="2024-01-01", banner="火星旗",
                responsible="赵六")
    table = tmp_path / "t.csv"
    pd.DataFrame({"矿山编号": ["Z1"], "旗区": ["火星旗"], "级别": ["国家级"],
                  "纳入名录日期": ["2022-01-01"]}).to_csv(table, index=False)
    with pytest.raises(ValidationError, match="unknown banner"):
        reg.import_table(table)
    for bad in ("2024-02-30", "昨天"):
        assert _cli(["register", "show", reg.location, "--as-of", bad]) == 2


# --- 4. one answer to "is it overdue?" ------------------------------------------------------------
def test_a_finding_without_deadline_is_overdue_everywhere(tmp_path, mines):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.add(mine_id="M1", event="listed", date="2021-01-01", level="national")
    reg.add(mine_id="M1", event="finding", date="2022-03-01", **SIGN)
    state = reg.state(as_of="2023-01-01")
    items = og.supervision.rectification_items(reg.history(), as_of="2023-01-01")
    removal = og.supervision.removal_list(items, state=state)
    m1 = state.set_index("mine_id").loc["M1"]
    assert m1["overdue"] and str(m1["next_due"])[:10] == "2022-09-01"
    assert removal["mine_id"].tolist() == ["M1"]


def test_a_failed_recheck_clears_when_the_problem_is_rectified(tmp_path, mines):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.add(mine_id="M1", event="listed", date="2021-01-01", level="national")
    f1 = reg.add(mine_id="M1", event="finding", date="2022-03-01", **SIGN)
    reg.add(mine_id="M1", event="rectified", date="2022-05-01", refers_to=f1, **SIGN)
    f2 = reg.add(mine_id="M1", event="finding", date="2022-06-01", refers_to=f1, **SIGN)
    items = og.supervision.rectification_items(reg.history(), as_of="2022-07-01")
    assert items.set_index("finding_id").loc[f1, "status"] == "failed_recheck"
    assert reg.state(as_of="2022-07-01").set_index("mine_id").loc["M1", "removable"]
    reg.add(mine_id="M1", event="rectified", date="2022-08-01", refers_to=f2, **SIGN)
    for as_of in ("2022-08-02", "2024-08-02"):
        items = og.supervision.rectification_items(reg.history(), as_of=as_of)
        assert set(items["status"]) == {"rectified"}
        state = reg.state(as_of=as_of)
        assert not state["removable"].any() and state["open_findings"].sum() == 0
        assert og.supervision.removal_list(items, state=state).empty


def test_lookback_without_findings_on_both_backends(register_location, mines, tmp_path):
    reg = og.register.init(register_location, sites=mines)
    reg.add(mine_id="M1", event="listed", date="2021-01-01", level="national")
    reg.close()
    assert _cli(["lookback", register_location, "--year", "2024", "--out",
                     str(tmp_path / "l.csv")]) == 0
    table = _with(register_location, lambda r: og.supervision.lookback(
        r.history(), mines=r.mines(), year=2024))
    assert table["overdue"].sum() == 0 and table["listed"].sum() == 1


def _random_history(draw_kinds, days, refs, n_mines=4):
    """Events as a register would hold them, in random (not necessarily sensible) order."""
    rows = []
    for k, (kind, day, ref) in enumerate(zip(draw_kinds, days, refs), start=1):
        findings = [r["event_id"] for r in rows if r["event"] == "finding"
                    and r["mine_id"] == f"M{k % n_mines}"]
        rows.append({"event_id": k, "mine_id": f"M{k % n_mines}", "event": kind,
                     "date": pd.Timestamp("2020-01-01") + pd.Timedelta(days=day),
                     "level": "national" if kind in ("listed", "reinstated") else None,
                     "refers_to": findings[ref % len(findings)] if findings and ref >= 0 and
                     kind in ("finding", "rectified", "rectification_due") else None,
                     "due_date": pd.Timestamp("2020-01-01") + pd.Timedelta(days=day + 90)
                     if kind == "rectification_due" else pd.NaT})
    frame = pd.DataFrame(rows)
    for col in og.register.EVENT_COLUMNS:
        if col not in frame:
            frame[col] = None
    frame["refers_to"] = pd.array(frame["refers_to"], dtype="Int64")
    frame["supersedes"] = pd.array([None] * len(frame), dtype="Int64")
    return frame


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["listed", "removed", "reinstated", "finding",
                                           "finding", "rectified", "rectification_due",
                                           "spot_check"]),
                          st.integers(0, 2000), st.integers(-1, 3)), min_size=1, max_size=40),
       st.integers(0, 2600), st.sampled_from([1, 6, 12]))
def test_state_lists_weights_and_map_agree(events, as_of_day, months):
    kinds, days, refs = zip(*events)
    frame = _random_history(kinds, days, refs)
    as_of = pd.Timestamp("2020-01-01") + pd.Timedelta(days=as_of_day)
    state = og.register.current_state(frame, as_of=as_of, months=months)
    state["banner"] = "准格尔旗"
    items = og.supervision.rectification_items(frame, as_of=as_of, months=months)
    for mine, row in state.set_index("mine_id").iterrows():
        mine_items = items[items["mine_id"] == mine]
        unclosed = mine_items[mine_items["status"] != "rectified"]
        assert row["open_findings"] == len(unclosed)
        assert row["overdue"] == (mine_items["status"] == "overdue").any()
        assert row["removable"] == mine_items["status"].isin(["overdue", "failed_recheck"]).any()
        if len(unclosed):
            assert row["next_due"] == unclosed["due"].min()
    removal = og.supervision.removal_list(items, state=state)
    assert set(removal["mine_id"]) == set(state.loc[state["listed"] & state["removable"],
                                                    "mine_id"])
    flags = og.supervision._flags(state)  # noqa: SLF001 - the weight the plan gives each mine
    assert (flags["overdue"] == state["removable"].to_numpy()).all()


def test_the_map_colours_removable_mines_red_from_the_same_rule(tmp_path, mines):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    for m in ("M1", "M2", "M3"):
        reg.add(mine_id=m, event="listed", date="2021-01-01", level="national")
    f = reg.add(mine_id="M1", event="finding", date="2022-01-01", **SIGN)  # overdue
    f2 = reg.add(mine_id="M2", event="finding", date="2022-01-01", **SIGN)
    reg.add(mine_id="M2", event="finding", date="2022-02-01", refers_to=f2, **SIGN)  # failed
    reg.add(mine_id="M3", event="finding", date="2022-11-01", **SIGN)  # open
    state = reg.state(as_of="2022-12-01")
    page = og.maps.map_supervision(reg.mines(geometry=True), state)
    layer = next(x for x in page.spec["layers"] if x["key"] == "supervision")
    colour = {f["properties"]["t"][0]: layer["palette"][f["properties"]["c"]]
              for f in layer["geojson"]["features"]}
    red = og.maps.SUPERVISION_COLOURS["sup_overdue"]
    removable = set(state.loc[state["removable"], "mine_id"])
    assert removable == {"M1", "M2"} and f
    assert {m for m, c in colour.items() if c == red} == removable


# --- 5. spot checks nobody can predict -------------------------------------------------------------
def _listed(counts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame([{"mine_id": f"{b}-{k:03d}", "name": None, "banner": b, "listed": True,
                          "listed_date": pd.Timestamp("2025-06-01")}
                         for b, n in counts.items() for k in range(n)])


@pytest.mark.parametrize("n", [1, 3, 5, 7, 10, 15, 16, 23, 40])
def test_every_quarter_gets_checks_whatever_the_banner_size(n):
    seen = {q: 0 for q in ("Q1", "Q2", "Q3", "Q4")}
    for seed in range(200):
        plan = og.supervision.spot_check_plan(_listed({"准格尔旗": n}), year=2026, seed=seed)
        counts = plan["quarter"].value_counts().reindex(list(seen), fill_value=0)
        k = len(plan)
        assert set(counts) <= {k // 4, -(-k // 4)}  # each quarter ⌊k/4⌋ or ⌈k/4⌉
        for q, c in counts.items():
            seen[q] += c
    assert min(seen.values()) > 0.15 * sum(seen.values())  # no quarter is left out


def test_a_banner_plan_does_not_depend_on_the_other_banners():
    one = og.supervision.spot_check_plan(_listed({"准格尔旗": 30}), year=2026, seed=5)
    more = og.supervision.spot_check_plan(_listed({"东胜区": 12, "准格尔旗": 30, "乌审旗": 4}),
                                          year=2026, seed=5)
    pd.testing.assert_frame_equal(one, more[more["banner"] == "准格尔旗"].reset_index(drop=True))


def test_without_a_seed_the_plan_cannot_be_computed_before_it_is_drawn():
    state = _listed({"准格尔旗": 40})
    plans = [og.supervision.spot_check_plan(state, year=2026) for _ in range(5)]
    seeds = {int(p.attrs["seed"]) for p in plans}
    assert len(seeds) == 5  # drawn from the operating system each time
    for plan in plans:  # and each one reproduced from its recorded seed
        again = og.supervision.spot_check_plan(state, year=2026, seed=int(plan["seed"].iloc[0]))
        pd.testing.assert_frame_equal(plan, again)


def _four_listed(tmp_path, mines) -> str:
    """A register of the four mines, all listed since 2021."""
    with og.register.init(tmp_path / "r.gpkg", sites=mines) as reg:
        for m in ("M1", "M2", "M3", "M4"):
            reg.add(mine_id=m, event="listed", date="2021-01-01", level="national")
    return str(tmp_path / "r.gpkg")


def test_cli_records_the_plan_and_refuses_a_silent_redraw(tmp_path, mines, capsys):
    import json

    db_ = _four_listed(tmp_path, mines)
    assert _cli(["spot-check", db_, "--year", "2025", "--out", str(tmp_path / "a")]) == 0
    meta = json.loads((tmp_path / "a" / "spot_checks.json").read_text("utf-8"))
    seed = meta["seed"]
    plans = _with(db_, lambda r: r.plans(year=2025))
    assert plans["seed"].tolist() == [seed] and plans["plan_sha256"].tolist() == \
        [meta["plan_sha256"]]
    capsys.readouterr()
    assert _cli(["spot-check", db_, "--year", "2025", "--out", str(tmp_path / "b")]) == 2
    assert str(seed) in capsys.readouterr().err
    _with(db_, lambda r: r.add(mine_id="M1", event="spot_check", date="2025-01-02",
                               **SIGN))  # later events do not change the reproduction
    assert _cli(["spot-check", db_, "--year", "2025", "--seed", str(seed), "--out",
                     str(tmp_path / "c")]) == 0
    first = pd.read_csv(tmp_path / "a" / "spot_checks.csv")
    again = pd.read_csv(tmp_path / "c" / "spot_checks.csv")
    pd.testing.assert_frame_equal(first.drop(columns="register_head"),
                                  again.drop(columns="register_head"))
    assert _cli(["spot-check", db_, "--year", "2025", "--redraw", "--out",
                     str(tmp_path / "d")]) == 2
    assert _cli(["spot-check", db_, "--year", "2025", "--redraw", "--responsible", "赵六",
                     "--note", "计划遗失", "--out", str(tmp_path / "d")]) == 0
    assert len(_with(db_, lambda r: r.plans(year=2025))) == 2  # both on the record


def _sites_in(banners: list[str]):
    """Mines M00, M01, … 300 m apart, in the banners given."""
    sites = sites_from_metric(squares_metric(JUNGAR, len(banners), 100.0, 300.0),
                              ids=[f"M{k:02d}" for k in range(len(banners))])
    sites["banner"] = banners
    return sites


def test_a_register_table_gives_the_same_plan_as_the_register(tmp_path):
    """The same plan from the register, from its history exported as CSV and from its state
    exported as CSV, in Chinese and in English (the state is the register's on 1 January: no
    event of this year)."""
    from ordos_geo.register._checks import today

    year = today().year
    reg = og.register.init(tmp_path / "r.gpkg", sites=_sites_in(["准格尔旗"] * 14 +
                                                               ["东胜区"] * 10))
    for k in range(24):
        reg.add(mine_id=f"M{k:02d}", event="listed", date=f"{year - 1 - k % 7}-01-01",
                level="national")
        if k % 3 == 0:
            reg.add(mine_id=f"M{k:02d}", event="spot_check", date=f"{year - 1}-03-01", **SIGN)
        if k % 4 == 1:
            reg.add(mine_id=f"M{k:02d}", event="finding", date=f"{year - 2}-03-01", **SIGN)
    reg.close()
    db_ = str(tmp_path / "r.gpkg")
    argv = ["--year", str(year), "--rate", "0.25", "--lang", "en"]
    assert _cli(["spot-check", db_, *argv, "--out", str(tmp_path / "reg")]) == 0  # drawn
    drawn = pd.read_csv(tmp_path / "reg" / "spot_checks.csv")
    want = drawn[["banner", "mine_id", "quarter", "reason", "weight"]]
    argv += ["--seed", str(drawn["seed"].iloc[0])]  # the recorded seed, on the tables
    assert len(want) >= 4 + 3 and want["reason"].str.contains("drawn").any()  # a real draw
    for lang in ("zh", "en"):
        for history in (True, False):
            table = tmp_path / f"{lang}{history}.csv"
            export = ["register", "export", db_, "--out", str(table), "--lang", lang]
            assert _cli(export + (["--history"] if history else [])) == 0
            out = tmp_path / f"p{lang}{history}"
            assert _cli(["spot-check", str(table), *argv, "--out", str(out)]) == 0
            got = pd.read_csv(out / "spot_checks.csv")
            pd.testing.assert_frame_equal(got[want.columns], want, obj=f"{lang} {history}")


# --- a register of ordos_geo 0.1 (schema 1) ---------------------------------------------------------
def _to_schema_1(location: str) -> None:
    """Turn a register back into what ordos_geo 0.1 wrote: no chain columns, no heads, no
    entries of mines, the blacklist in its own table, event numbers with a gap."""
    with Raw(location) as raw:
        pg = raw.pg
        raw.run("CREATE TABLE register_blacklist (entry_id INTEGER PRIMARY KEY, organisation "
                "TEXT NOT NULL, date DATE NOT NULL, reason TEXT NOT NULL, responsible TEXT NOT "
                "NULL, recorded_at TEXT NOT NULL)")
        raw.run("INSERT INTO register_blacklist (entry_id, organisation, date, reason, "
                "responsible, recorded_at) SELECT event_id, evaluator_org, date, note, "
                "responsible, recorded_at FROM register_events WHERE event = 'blacklisted'")
        raw.run("DELETE FROM register_events WHERE event IN ('entered', 'blacklisted') OR "
                "event_id = 13")  # an applied event: a gap as a rolled-back sequence leaves
        for column in ("corrected_date", "name", "banner", "detail", "prev_hash", "hash"):
            raw.run(f"ALTER TABLE register_events DROP COLUMN {column}")
        raw.run("DROP TABLE register_heads")
        raw.run("DELETE FROM register_meta WHERE key = 'register_id'")
        raw.run("UPDATE register_meta SET value = '1' WHERE key = 'schema'")
        if pg:
            with raw.engine.begin() as conn:
                for table in ("register_events", "register_heads", "register_meta"):
                    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"
                                         if table != "register_heads" else "SELECT 1")
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS register_mines_rows ON "
                                     "register_mines")
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS register_events_no_truncate ON "
                                     "register_events")
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS register_meta_no_truncate ON "
                                     "register_meta")
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS register_mines_no_truncate ON "
                                     "register_mines")
                conn.exec_driver_sql("DROP FUNCTION register_mine_rows()")
        else:
            raw.run("DELETE FROM gpkg_contents WHERE table_name = 'register_heads'")


def test_a_schema_1_register_is_upgraded_in_place(register_location, mines, capsys):
    reg = og.register.init(register_location, sites=mines)
    _story(reg)
    reg.add(mine_id="M4", event="applied", date="2024-01-01")
    reg.add(mine_id="M4", event="applied", date="2024-02-01")  # events 13, 14: 13 goes
    want = reg.state(as_of="2024-12-31").drop(columns=["stage", "n_events"])
    reg.close()
    _to_schema_1(register_location)
    assert _cli(["register", "show", register_location]) == 1
    assert "register upgrade" in capsys.readouterr().err
    assert _cli(["register", "upgrade", register_location]) == 0
    assert "chained" in capsys.readouterr().out
    with og.register.open_register(register_location) as reg:
        assert reg.verify().ok
        history = reg.history()
        assert 13 not in set(history["event_id"])  # the old gap is history, not a removal
        assert (history["event"] == "entered").sum() == 4
        assert reg.blacklisted()["organisation"].tolist() == ["乙评估公司"]
        got = reg.state(as_of="2024-12-31").drop(columns=["stage", "n_events"])
        pd.testing.assert_frame_equal(got, want)
        reg.add(mine_id="M1", event="spot_check", date="2024-12-01", **SIGN)  # and it goes on
    assert _cli(["register", "upgrade", register_location]) == 2  # once
    with Raw(register_location) as raw:  # an edit after the upgrade is caught
        raw.run("UPDATE register_events SET note = 'x' WHERE event_id = 7")
    assert _first(register_location)["event_id"] == 7


def test_edits_with_the_sqlite3_and_psql_programs_are_found(story):
    """The report's own tools: the sqlite3 shell on the GeoPackage, psql on PostgreSQL."""
    import subprocess

    location, n = story
    if db.is_postgres(location):
        url = sa.make_url(db._url(location))
        shell = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", url.query["host"], "-U",
                 "postgres", "-d", url.database, "-c"]
        off = "ALTER TABLE register_events DISABLE TRIGGER ALL; "
        refused = "UPDATE register_events SET note = 'x' WHERE event_id = 8"
    else:
        shell = ["sqlite3", location]
        off = "DROP TRIGGER register_events_no_update; DROP TRIGGER register_events_no_delete; "
        refused = ("INSERT OR REPLACE INTO register_events (event_id, mine_id, event, date, "
                   "recorded_at, prev_hash, hash) VALUES (8, 'M1', 'rectified', '2024-04-01', "
                   "'x', 'x', 'x')")
    res = subprocess.run([*shell, refused], capture_output=True, text=True)
    assert res.returncode != 0 and "append-only" in res.stderr  # with the triggers in place
    subprocess.run([*shell, off + "DELETE FROM register_events WHERE event_id = 8; "
                    "UPDATE register_events SET date = '2020-01-01' WHERE event_id = 10;"],
                   check=True, capture_output=True)
    res = subprocess.run([sys.executable, "-m", "ordos_geo", "register", "verify", location,
                          "--lang", "en"], capture_output=True, text=True)
    assert res.returncode == 1
    assert "event(s) #8–#8 were removed" in res.stdout and "event #10 was changed" in res.stdout


# --- a fuzz over the register, on both backends ---------------------------------------------------
_KINDS = [e for e, s in og.register.rules()["events"].items() if not s.get("internal")]
_DATES = ["2021-01-01", "2022-06-30", "2023-03-15", "2024-02-29", "2024-02-30", "2099-01-01",
          "昨天", None, "20230101", "2023/07/01"]
_NAMES = ["张三", "李四", "\u200b", "-", "无", "王\u200b五", "Ｚｈａｏ", None, "<b>x</b>", "=1+1",
          "绿评\u200b咨询有限公司", "🙂"]
_SCORES = [850, 780, 1000, 1200, -1, float("nan"), float("inf"), "九百", None, 0]


@st.composite
def _event(draw):
    kind = draw(st.sampled_from(_KINDS + ["void", "县级", "抽查", "问题"]))
    fields = {"mine_id": draw(st.sampled_from(["M1", "M2", "M3", "M9", "Ｍ１", "M1\u200b",
                                               None])),
              "event": kind, "date": draw(st.sampled_from(_DATES))}
    for field in ("checked_by", "evaluated_by", "tracked_by", "responsible", "evaluator_org"):
        fields[field] = draw(st.sampled_from(_NAMES))
    fields["level"] = draw(st.sampled_from(["national", "国家级", "县级", None]))
    fields["score"] = draw(st.sampled_from(_SCORES))
    fields["refers_to"] = draw(st.sampled_from([None, 1, 5, 8, 9, 30, 10**9]))
    fields["supersedes"] = draw(st.sampled_from([None, 5, 6, 8, 10]))
    fields["corrected_event"] = draw(st.sampled_from([None, "void", "verification", "listed"]))
    fields["due_date"] = draw(st.sampled_from([None, "2022-12-31", "2030-01-01", "bad"]))
    fields["note"] = draw(st.sampled_from([None, "原因", "\u2028", "</script>"]))
    return {k: v for k, v in fields.items() if v is not None or k in ("mine_id", "date")}


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(_event(), min_size=1, max_size=8))
def test_random_events_never_break_the_register(story, events):
    from ordos_geo.register._checks import rules as register_rules
    from ordos_geo.register._sequence import sequence_problems

    location, _ = story
    with og.register.open_register(location) as reg:
        for event in events:
            try:
                reg.add(**event)
            except (ValidationError, UsageError):
                pass  # refused, with a message: nothing written
        assert reg.verify().ok
        history = reg.history()
        for row in history.itertuples():  # every signature on the record is a cleaned name
            for field in register_rules()["events"][row.event].get("signed_by", []):
                value = getattr(row, field)
                assert value and clean_name(value) == value, (row.event, field, value)
        assert sequence_problems(history[history["mine_id"].notna()], 6) == {}
        reg.state()  # and the state is derived


# --- what the other side found next (the helper's report), each as a test ----------------------
@pytest.fixture
def clock(monkeypatch):
    """Set the register's clock: ``clock("2024-03-01")`` records from then on at that day."""
    import ordos_geo.register._audit as audit_module
    import ordos_geo.register._checks as checks
    import ordos_geo.register.ledger as register_module

    def set_day(day: str):
        moment = dt.datetime.fromisoformat(day + "T10:00:00+08:00").astimezone(dt.timezone.utc)
        for module in (checks, register_module, audit_module):
            monkeypatch.setattr(module, "now", lambda m=moment: m)

    return set_day


def test_a_forged_append_with_a_correct_hash_breaks_the_rules(story, tmp_path):
    """Another program appends events with correctly computed hashes and a head record: the
    chain holds, the rules do not — every forged event is named."""
    location, n = story
    forged = [
        {"mine_id": "M1", "event": "rectified", "date": "2024-03-05", "refers_to": 8,
         "checked_by": "无", "tracked_by": "\u200b", "responsible": "-"},
        {"mine_id": "M3", "event": "verification", "date": "2030-01-01", "score": 5000.0,
         "evaluator_org": "甲评估公司", "evaluated_by": "无", "responsible": "无"},
        {"mine_id": "M4", "event": "removed", "date": "2024-05-01", "checked_by": "张三",
         "responsible": "李四"}]
    with Raw(location) as raw:
        prev = raw.run("SELECT hash FROM register_events WHERE event_id = :n", n=n)[0]["hash"]
        for k, event in enumerate(forged, start=n + 1):
            row = {c: event.get(c) for c in _chain.HASHED}
            row.update(event_id=k, recorded_at="2026-01-01T00:00:00.000000Z")
            digest = _chain.link(prev, _chain.canonical([row[c] for c in _chain.HASHED]))
            raw.run(f"INSERT INTO register_events ({', '.join(row)}, prev_hash, hash) VALUES "
                    f"({', '.join(':' + c for c in row)}, :p, :h)", p=prev, h=digest, **row)
            prev = digest
        raw.run("INSERT INTO register_heads (n_events, hash, recorded_at) VALUES (:n, :h, 'x')",
                n=n + 3, h=prev)
    found = _with(location, lambda r: r.verify(), verify=False)
    named = found.problems.set_index("event_id")
    assert set(named.index) == {n + 1, n + 2, n + 3}
    assert set(named["kind"]) == {"rules"}
    assert "signature" in named.loc[n + 1, "message"] or "not a name" in named.loc[n + 1,
                                                                               "message"]
    assert _cli(["register", "add", location, "--mine-id", "M1", "--event", "spot_check",
                 "--date", "2024-08-01", "--checked-by", "张三", "--responsible", "李四"]) == 1


@pytest.mark.parametrize("score", ["-0", "-0.0", -0.0])
def test_a_negative_zero_score_is_zero_on_both_backends(register_location, mines, score):
    with og.register.init(register_location, sites=mines) as reg:
        reg.add(mine_id="M1", event="verification", date="2024-01-01", score=score,
                evaluator_org="甲评估公司", **SIGN)
        assert reg.verify().ok
    assert _ok(register_location)
    history = _with(register_location, lambda r: r.history())
    assert str(history["score"].iloc[-1]) == "0.0"


def test_an_item_overdue_on_the_register_is_not_extended_or_rectified_by_backdating(
        tmp_path, mines, clock):
    clock("2023-01-10")
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.add(mine_id="M1", event="listed", date="2023-01-01", level="national")
    finding = reg.add(mine_id="M1", event="finding", date="2023-01-10", **SIGN)  # due 07-10
    clock("2023-12-01")  # the deadline passed on the register
    move = dict(mine_id="M1", event="rectification_due", refers_to=finding, **SIGN)
    with pytest.raises(ValidationError, match="cannot be extended"):
        reg.add(**move, date="2023-03-01", due_date="2024-12-31")  # dated in time: still late
    with pytest.raises(ValidationError, match="rectified late"):
        reg.add(mine_id="M1", event="rectified", date="2023-06-01", refers_to=finding, **SIGN)
    reg.add(mine_id="M1", event="rectified", date="2023-11-30", refers_to=finding, **SIGN)
    state = reg.state(as_of="2023-12-01").set_index("mine_id")
    assert state.loc["M1", "open_findings"] == 0
    assert reg.state(as_of="2023-09-01").set_index("mine_id").loc["M1", "overdue"]  # history


def test_a_deadline_corrected_after_it_passed_is_refused(tmp_path, mines, clock):
    clock("2023-01-10")
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.add(mine_id="M1", event="listed", date="2023-01-01", level="national")
    finding = reg.add(mine_id="M1", event="finding", date="2023-01-10", **SIGN)
    due = reg.add(mine_id="M1", event="rectification_due", date="2023-01-10", refers_to=finding,
                  due_date="2023-03-31", **SIGN)
    clock("2023-06-01")
    with pytest.raises(ValidationError, match="cannot be extended"):
        reg.add(mine_id="M1", event="correction", date="2023-06-01", supersedes=due,
                due_date="2027-12-31", **SIGN)
    assert reg.state(as_of="2023-06-01").set_index("mine_id").loc["M1", "removable"]


def test_backfilling_a_history_the_register_did_not_know_is_allowed(tmp_path, mines):
    """Findings recorded today for 2022: their deadlines passed before the register knew of
    them, so a deadline and a rectification dated back then are history, not evasion."""
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.add(mine_id="M1", event="listed", date="2021-01-01", level="national")
    finding = reg.add(mine_id="M1", event="finding", date="2022-01-10", **SIGN)
    reg.add(mine_id="M1", event="rectification_due", date="2022-01-11", refers_to=finding,
            due_date="2022-03-31", **SIGN)
    reg.add(mine_id="M1", event="rectified", date="2022-03-01", refers_to=finding, **SIGN)
    assert reg.verify().ok


def test_a_listing_cannot_be_backdated_under_a_failed_verification(tmp_path, mines):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.add(mine_id="M1", event="verification", date="2024-01-01", score=700,
            evaluator_org="甲评估公司", **SIGN)
    for date in ("2024-02-01", "2023-12-31", "2020-01-01"):
        with pytest.raises(ValidationError, match="last verification failed"):
            reg.add(mine_id="M1", event="listed", date=date, level="national")
    reg.add(mine_id="M1", event="verification", date="2024-03-01", score=850,
            evaluator_org="甲评估公司", **SIGN)
    reg.add(mine_id="M1", event="listed", date="2024-03-10", level="national")


@pytest.mark.parametrize("spelling", [
    "绿评咨询有限公司\u180b", "绿评\u17b4咨询有限公司", "绿评咨询有限公司\u0301", "綠評諮詢有限公司",
    "绿评咨询有限公司。", "“绿评咨询有限公司”", "绿评·咨询有限公司", "绿评-咨询有限公司",
    "绿评咨询有限公司_", "绿评咨询有限公司(盖章)", "绿评咨询有限公司（签章）", "ＬＰ绿评咨询有限公司"[2:]])
def test_a_blacklisted_evaluator_under_another_spelling(tmp_path, mines, spelling):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    early = reg.add(mine_id="M1", event="verification", date="2023-01-01", score=850,
                    evaluator_org=spelling, **SIGN)
    reg.blacklist(organisation="绿评咨询有限公司", date="2024-01-01", reason="虚假报告",
                  responsible="赵六")
    with pytest.raises(ValidationError, match="blacklisted since 2024-01-01"):
        reg.add(mine_id="M2", event="verification", date="2024-02-01", score=900,
                evaluator_org=spelling, **SIGN)
    assert reg.review_list()["event_id"].tolist() == [early]


@pytest.mark.parametrize("name", ["（无）", "暂 无", "ˍ", "ー", "nan", "#N/A", "无。", "-无-", "不详。",
                                  "N/A.", "n.a.", "NaN", "t e s t", "同上", "签名：", "丨", "ǀ", "ˉ"])
def test_placeholder_signatures_in_any_dress(name):
    with pytest.raises(NameRefused):
        clean_name(name)


def test_a_history_changed_after_export_is_refused(story, tmp_path):
    location, n = story
    for lang, suffix in (("zh", ".csv"), ("en", ".xlsx")):
        out = tmp_path / f"h_{lang}{suffix}"
        assert _cli(["register", "export", location, "--history", "--out", str(out),
                     "--lang", lang]) == 0
        og.settings.lang = "en"
        table = pd.read_csv(out, dtype=str) if suffix == ".csv" else pd.read_excel(out,
                                                                                   dtype=object)
        score = "得分" if lang == "zh" else "score"
        tampered = table.copy()
        tampered.loc[tampered[score].notna(), score] = "990.0"
        bad = tmp_path / f"bad_{lang}{suffix}"
        og.io.write_csv(tampered, bad) if suffix == ".csv" else og.io.write_xlsx(tampered, bad)
        with og.register.init(tmp_path / f"fresh_{lang}.gpkg", sites=sites_from_metric(
                squares_metric(JUNGAR, 4, 100.0, 400.0), ids=["M1", "M2", "M3", "M4"])) as reg:
            with pytest.raises(ValidationError, match="changed after it was exported"):
                reg.import_table(bad)
            assert reg.import_table(out)["events"] > 0  # the export as written imports


def test_a_new_mine_needs_its_banner(tmp_path, mines):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    table = tmp_path / "t.csv"
    pd.DataFrame({"矿山编号": ["NOB-001"], "级别": ["国家级"], "纳入名录日期": ["2022-01-01"]}).to_csv(
        table, index=False)
    with pytest.raises(ValidationError, match="row 2, banner = None: mine 'NOB-001'"):
        reg.import_table(table)
    pd.DataFrame({"矿山编号": ["NOB-001"], "旗区": ["准旗"], "级别": ["国家级"],
                  "纳入名录日期": ["2022-01-01"]}).to_csv(table, index=False)
    assert reg.import_table(table)["mines"] == 1
    assert reg.mines().set_index("mine_id").loc["NOB-001", "banner"] == "准格尔旗"


def test_a_seed_is_never_chosen_for_a_register(tmp_path, mines, capsys):
    import json

    db_ = _four_listed(tmp_path, mines)
    assert _cli(["spot-check", db_, "--year", "2025", "--seed", "5", "--out",
                 str(tmp_path / "x")]) == 2  # the first draw comes from the operating system
    assert "--seed only reproduces" in capsys.readouterr().err
    assert _cli(["spot-check", db_, "--year", "2025", "--rate", "0.5", "--out",
                 str(tmp_path / "a")]) == 0
    meta = json.loads((tmp_path / "a" / "spot_checks.json").read_text("utf-8"))
    assert meta["seed_source"] == "os" and meta["rate"] == 0.5 and meta["recorded"]
    seed = str(meta["seed"])
    assert _cli(["spot-check", db_, "--year", "2025", "--seed", seed, "--rate", "1", "--out",
                 str(tmp_path / "b")]) == 2  # another rate is another plan
    assert _cli(["spot-check", db_, "--year", "2025", "--seed", seed, "--out",
                 str(tmp_path / "b")]) == 0  # the recorded rate
    again = json.loads((tmp_path / "b" / "spot_checks.json").read_text("utf-8"))
    assert again["plan_sha256"] == meta["plan_sha256"] and again["seed_source"] == "recorded"
    for note in ("\u200b", "-", ""):
        assert _cli(["spot-check", db_, "--year", "2025", "--redraw", "--responsible", "赵六",
                     "--note", note, "--out", str(tmp_path / "c")]) == 2
    assert _cli(["spot-check", db_, "--year", "2025", "--redraw", "--responsible", "赵六",
                 "--note", "计划遗失", "--seed", seed, "--out", str(tmp_path / "c")]) == 2
    assert len(_with(db_, lambda r: r.plans(year=2025))) == 1


def test_forged_heads_and_metadata_are_refused_and_head_zero_is_checked(story):
    location, n = story
    engine = sa.create_engine(db._url(location))
    for sql in ("INSERT INTO register_heads (n_events, hash, recorded_at) VALUES "
                f"({n + 5}, 'bogus', 'x')",
                "INSERT INTO register_heads (n_events, hash, recorded_at) VALUES "
                f"({n}, 'bogus', 'x')",
                "INSERT INTO register_meta (key, value) VALUES ('legacy_upto', '999999')"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only|permission"):
            with engine.begin() as conn:
                if db.is_postgres(location):
                    conn.exec_driver_sql(f"SET LOCAL ROLE {db.WRITER_ROLE}")  # as the tool
                conn.exec_driver_sql(sql)
    engine.dispose()
    assert _ok(location)
    assert _cli(["register", "verify", location, "--head", "0:00000000"]) == 0
    assert _cli(["register", "verify", location, "--head", "0:deadbeef"]) == 1


def test_inputs_that_cannot_be_stored_are_refused_not_crashes(story, tmp_path, capsys):
    location, _ = story
    sign = ["--checked-by", "张三", "--responsible", "李四"]
    argv = ["register", "add", location, "--mine-id", "M1", "--event", "spot_check", "--date",
            "2024-08-01", *sign, "--note"]
    for note in ("\udcff", "a\x00b"):
        assert _cli([*argv, note]) == 1
        assert "cannot be stored" in capsys.readouterr().err
    table = tmp_path / "t.csv"
    table.write_text("矿山编号,事件,日期,核查人,责任人,备注\nM1,spot_check,2024-08-01,张三,李四,"
                     "a\x00b\n", encoding="utf-8")
    assert _cli(["register", "import", location, str(table)]) == 1
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"this is no database" * 100)
    assert _cli(["register", "show", str(junk)]) == 1
    assert _ok(location)


@pytest.mark.parametrize("blob", [b"GP\x00\x0a\xe6\x10\x00\x00" + b"\x00" * 10, b"xy"])
def test_a_broken_geometry_blob_is_reported_not_a_crash(tmp_path, mines, blob):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.close()
    with Raw(str(tmp_path / "r.gpkg")) as raw:
        raw.run("UPDATE register_mines SET geom = :g WHERE mine_id = 'M2'", g=blob)
    first = _first(str(tmp_path / "r.gpkg"))
    assert first["mine_id"] == "M2" and "geom" in first["message"]


def test_a_boundary_moved_to_another_srs_is_found(story):
    location, _ = story
    if db.is_postgres(location):
        sql = "UPDATE register_mines SET geom = ST_SetSRID(geom, 3857) WHERE mine_id = 'M3'"
        with Raw(location) as raw:
            raw.run("ALTER TABLE register_mines ALTER COLUMN geom TYPE geometry")
            raw.run(sql)
    else:
        with Raw(location) as raw:
            raw.run("UPDATE gpkg_geometry_columns SET srs_id = 3857 WHERE table_name = "
                    "'register_mines'")
    found = _with(location, lambda r: r.verify(), verify=False)
    assert not found.ok and ("SRS" in " ".join(found.problems["message"]) or "3857" in
                             " ".join(found.problems["message"]))


def test_the_map_outlines_the_mines_checked_in_a_past_year(tmp_path, mines, capsys):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    for m in ("M1", "M2"):
        reg.add(mine_id=m, event="listed", date="2021-01-01", level="national")
    reg.add(mine_id="M1", event="spot_check", date="2023-05-01", **SIGN)
    reg.add(mine_id="M1", event="spot_check", date="2025-05-01", **SIGN)
    reg.add(mine_id="M2", event="spot_check", date="2024-05-01", **SIGN)
    reg.close()
    for year, want in ((2023, {"M1"}), (2024, {"M2"}), (2025, {"M1"}), (2022, set())):
        out = tmp_path / f"m{year}.html"
        assert _cli(["register", "map", str(tmp_path / "r.gpkg"), "--year", str(year),
                     "--out", str(out)]) == 0
        data = og.maps.read_page_data(out.read_text("utf-8"))
        layer = next(x for x in data["layers"] if x["key"] == "supervision")
        weights = layer["geojson"]["features"]
        heavy = {f["properties"]["t"][0] for f in weights
                 if f["properties"].get("w", layer["weight"]) == 3.5}
        assert heavy == want, year


def test_after_a_banner_change_the_exported_history_gives_the_same_plan(tmp_path):
    from ordos_geo.register._checks import today

    year = today().year
    reg = og.register.init(tmp_path / "r.gpkg", sites=_sites_in(["准格尔旗"] * 6 +
                                                               ["达拉特旗"] * 6))
    for k in range(12):
        reg.add(mine_id=f"M{k:02d}", event="listed", date=f"{year - 2}-01-01", level="national")
    reg.add(mine_id="M07", event="mine_changed", date=f"{year - 1}-01-01", banner="准格尔旗",
            responsible="赵六", note="区划调整")
    reg.close()
    db_ = str(tmp_path / "r.gpkg")
    assert _cli(["spot-check", db_, "--year", str(year), "--rate", "0.5", "--out",
                 str(tmp_path / "reg")]) == 0
    want = pd.read_csv(tmp_path / "reg" / "spot_checks.csv")
    assert _cli(["register", "export", db_, "--history", "--out", str(tmp_path / "h.xlsx")]) == 0
    assert _cli(["spot-check", str(tmp_path / "h.xlsx"), "--year", str(year), "--rate", "0.5",
                 "--seed", str(want["seed"].iloc[0]), "--out", str(tmp_path / "x")]) == 0
    got = pd.read_csv(tmp_path / "x" / "spot_checks.csv")
    cols = ["banner", "mine_id", "quarter"]
    pd.testing.assert_frame_equal(got[cols], want[cols])
    assert (want.loc[want["mine_id"] == "M07", "banner"] == "准格尔旗").all()


@pytest.mark.parametrize("given, stored", [
    ("张\u200b三", "张三"), ("Ｚｈａｏ\u3000Liu", "Zhao Liu"), ("王\u2028五", "王 五"),
    (" 李四\t", "李四"), ("Li\ufe0fWei", "LiWei"), ("赵\u00ad六", "赵六"), ("孙\u202e七", "孙七"),
    ("周  八", "周 八"), ("吴\u3164九", "吴九")])
def test_a_name_is_stored_in_one_spelling(given, stored):
    assert clean_name(given) == stored


# --- the second round ---------------------------------------------------------------------------
def _forge(location: str, events: list[dict], *, role: bool = False) -> int:
    """Append ``events`` with correctly computed hashes and a head record, as another program
    that knows the algorithm would (on PostgreSQL as the tool's own writer role)."""
    with Raw(location) as raw:
        last = raw.run("SELECT event_id, hash, recorded_at FROM register_events ORDER BY "
                       "event_id DESC LIMIT 1")[0]
        prev, k = last["hash"], last["event_id"]
        for event in events:
            k += 1
            row = {c: event.get(c) for c in _chain.HASHED}
            row.update(event_id=k, recorded_at=last["recorded_at"])
            digest = _chain.link(prev, _chain.canonical([row[c] for c in _chain.HASHED]))
            raw.run(f"INSERT INTO register_events ({', '.join(row)}, prev_hash, hash) VALUES "
                    f"({', '.join(':' + c for c in row)}, :p, :h)", p=prev, h=digest, **row)
            prev = digest
        raw.run("INSERT INTO register_heads (n_events, hash, recorded_at) VALUES (:n, :h, 'x')",
                n=k, h=prev)
    return k


def test_switching_the_rules_off_in_the_metadata_breaks_the_chain(story):
    location, n = story
    with Raw(location) as raw:
        raw.run("INSERT INTO register_meta (key, value) VALUES ('legacy_upto', '1000000')")
    first = _first(location)
    assert first["kind"] == "genesis" and first["event_id"] == 1


def test_a_memory_of_checked_events_does_not_hide_an_append_that_breaks_an_older_one(story):
    location, n = story
    assert _ok(location)  # this machine has checked every event
    forged = _forge(location, [{"mine_id": "M1", "event": "removed", "date": "2024-01-01",
                                "checked_by": "张三", "responsible": "李四"}])  # before #7
    with pytest.raises(TamperedError, match=f"#{forged}"):
        _with(location, lambda r: None)  # opening refuses, naming the forged event
    found = _with(location, lambda r: r.verify(), verify=False)
    assert found.problems["event_id"].tolist() == [forged]
    assert "#7" in found.problems["message"].iloc[0]  # the spot check it makes wrong


def test_a_finding_overdue_on_the_register_is_not_corrected_away(tmp_path, mines, clock):
    clock("2023-05-02")
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.add(mine_id="M1", event="listed", date="2023-01-01", level="national")
    finding = reg.add(mine_id="M1", event="finding", date="2023-05-02", **SIGN)
    clock("2024-01-10")  # due 2023-11-02: overdue on the register
    fix = dict(mine_id="M1", event="correction", date="2024-01-10", supersedes=finding)
    reg.add(**fix, note="补充说明", **SIGN)  # a note may be corrected …
    with pytest.raises(ValidationError, match="rectified late"):  # … it changes no knowledge
        reg.add(mine_id="M1", event="rectified", date="2023-10-01", refers_to=finding, **SIGN)
    for change in ({"corrected_date": "2023-12-30"}, {"corrected_event": "void"},
                   {"corrected_event": "spot_check"}):
        with pytest.raises(ValidationError, match="not corrected away"):
            reg.add(**fix, **change, **SIGN)
    with pytest.raises(ValidationError, match="cannot be extended"):
        reg.add(mine_id="M1", event="rectification_due", date="2023-06-01", refers_to=finding,
                due_date="2027-06-30", **SIGN)
    reg.add(**fix, corrected_date="2023-04-01", **SIGN)  # earlier is stricter: allowed
    assert reg.state(as_of="2024-01-10").set_index("mine_id").loc["M1", "removable"]
    assert reg.verify().ok


def test_a_clock_behind_the_register_is_refused_not_taken_for_tampering(tmp_path, mines,
                                                                         monkeypatch):
    import ordos_geo.register._checks as checks
    import ordos_geo.register.ledger as register_module

    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.add(mine_id="M1", event="listed", date="2022-01-01", level="national")
    real = checks.now()
    for behind, refused in ((dt.timedelta(hours=2), True), (dt.timedelta(seconds=5), False)):
        for module in (checks, register_module):
            monkeypatch.setattr(module, "now", lambda b=behind: real - b)
        if refused:
            with pytest.raises(UsageError, match="clock"):
                reg.add(mine_id="M1", event="spot_check", date="2023-01-01", **SIGN)
        else:
            reg.add(mine_id="M1", event="spot_check", date="2023-01-01", **SIGN)
    monkeypatch.undo()
    assert _ok(str(tmp_path / "r.gpkg"))  # every other machine opens it


@pytest.mark.parametrize("spelling", [
    "绿评咨询有限公司（单位盖章）", "绿评谘询有限公司", "绿评ー咨询有限公司", "绿评咨询有限公司(盖 章)",
    "绿评咨询有限公司《盖章》", "绿评咨询有限公司（签字盖章）", "绿评咨询有限公司 盖章", "绿评ǀ咨询有限公司",
    "绿评ˉ咨询有限公司", "绿评ˍ咨询有限公司", "绿评咨询有限公司{盖章}", "绿评咨询有限公司‹盖章>",
    "绿评咨询有限公司（此处盖章）"])
def test_a_blacklisted_evaluator_under_new_spellings(tmp_path, mines, spelling):
    reg = og.register.init(tmp_path / "r.gpkg", sites=mines)
    reg.blacklist(organisation="绿评咨询有限公司", date="2024-01-01", reason="虚假报告",
                  responsible="赵六")
    with pytest.raises(ValidationError, match="blacklisted since 2024-01-01"):
        reg.add(mine_id="M2", event="verification", date="2024-02-01", score=900,
                evaluator_org=spelling, **SIGN)


@pytest.mark.parametrize("name", [
    "无 无", "暂无暂无", "N/A N/A", "н/а", "ɴᴀ", "匿名", "无名", "xxxx", "测试1", "ǀǀ", "佚名", "某某某",
    "testtest", "未签", "见附件", "同左", "admin", "тест", "tést", "aa", "丽丽"])
def test_placeholder_signatures_in_new_dress(name):
    with pytest.raises(NameRefused):
        clean_name(name)


def test_a_cut_or_unhashed_history_is_said(story, tmp_path, caplog):
    location, n = story
    out = tmp_path / "h.csv"
    assert _cli(["register", "export", location, "--history", "--out", str(out),
                 "--lang", "en"]) == 0
    og.settings.lang = "en"
    table = pd.read_csv(out, dtype=str)
    cut = tmp_path / "cut.csv"
    og.io.write_csv(table.iloc[:-3].drop(columns="register_head"), cut)
    bare = tmp_path / "bare.csv"
    og.io.write_csv(table.drop(columns=["prev_hash", "hash", "register_head"]), bare)
    with og.register.init(tmp_path / "o.gpkg", sites=sites_from_metric(
            squares_metric(JUNGAR, 4, 100.0, 400.0), ids=["M1", "M2", "M3", "M4"])) as reg:
        with pytest.raises(ValidationError, match="may have been cut"):
            reg.import_table(cut)
        with caplog.at_level("WARNING", logger="ordos_geo"):
            reg.import_table(bare)
        assert "without hashes" in caplog.text
    tampered = tmp_path / "t.csv"
    og.io.write_csv(table.assign(score=table["score"].where(table["score"].isna(), "990.0")),
                    tampered)
    assert _cli(["spot-check", str(tampered), "--year", "2025", "--out", str(tmp_path / "p")]) == 1


@pytest.mark.parametrize("head", ["152:0x46122c62", "152:4612_2c62ab", "152:-46122c62",
                                  "15_2:46122c62", "١٥٢:46122c62", "152"])
def test_a_mistyped_head_is_a_usage_error(story, head):
    location, _ = story
    assert _cli(["register", "verify", location, "--head", head]) == 2


def test_a_closed_pipe_is_not_an_error(tmp_path):
    import subprocess

    rows = [{"event_id": 1, "mine_id": "P1", "event": "listed", "date": "2020-01-01",
             "level": "national", "banner": "准格尔旗"}]
    rows += [{"event_id": k, "mine_id": "P1", "event": "spot_check", "date": "2021-01-01",
              "checked_by": "张三", "responsible": "李四", "note": "x" * 50}
             for k in range(2, 3000)]  # far more than a pipe holds
    pd.DataFrame(rows).to_csv(tmp_path / "h.csv", index=False)
    location = str(tmp_path / "r.gpkg")
    with og.register.init(location) as reg:
        reg.import_table(tmp_path / "h.csv")
    res = subprocess.run(["bash", "-c", f"'{sys.executable}' -m ordos_geo register history "
                          f"'{location}' | head -1; exit ${{PIPESTATUS[0]}}"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr  # the command's own exit code
    assert "Broken pipe" not in res.stderr and "Traceback" not in res.stderr


def test_a_write_committed_between_two_reads_is_not_a_removal(monkeypatch):
    """A reader without the write lock read the events, a writer committed event 7 and its
    head, the reader read the heads: a head named an event it had not seen, reported as
    "events #7–#7 removed" (eight PostGIS writers, now and then). The heads are read around
    the events until they agree."""
    from ordos_geo.register import _storage, ledger

    states = [([(k,) for k in range(1, 7)], [(6, "h6")]),
              ([(k,) for k in range(1, 8)], [(6, "h6"), (7, "h7")])]
    calls = {"rows": 0, "heads": 0}

    def chain_rows(conn, *, columns):
        calls["rows"] += 1
        return states[min(calls["rows"] - 1, 1)][0]

    def heads(conn):  # before the first read: 6; the writer commits 7 during it
        calls["heads"] += 1
        return states[0][1] if calls["heads"] == 1 else states[1][1]

    monkeypatch.setattr(_storage, "chain_rows", chain_rows)
    monkeypatch.setattr(_storage, "heads", heads)
    rows, got = ledger._snapshot(None)
    assert [r[0] for r in rows] == list(range(1, 8)) and got == states[1][1]
