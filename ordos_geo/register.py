"""The green-mine register (绿色矿山名录): every mine's listing, checks and sign-offs as one
append-only history, in a GeoPackage a bureau keeps and mails, or in PostgreSQL/PostGIS when the
city shares it.

>>> reg = og.register.init("名录.gpkg", sites=sites)          # mines from the sites (kind mine)
>>> reg.import_table("绿色矿山名录.xlsx")                        # 矿山编号, 级别, 纳入名录日期, 状态 …
>>> reg.add(mine_id="M01", event="spot_check", date="2026-03-10", checked_by="张三",
...         responsible="李四")
>>> reg.state(banner="准格尔旗")                                # current state, one row a mine

**Events** (:data:`EVENT_COLUMNS`): ``applied``, ``initial_evaluation`` (旗区初评),
``verification`` (第三方核查评估, with ``score`` of ``score_max``, default 1000, and
``evaluator_org``), ``public_notice`` (公示), ``listed`` (纳入名录, with ``level`` national 国家级 |
regional 自治区级), ``spot_check`` (抽查), ``finding`` (问题), ``rectification_due`` (整改期限:
``refers_to`` a finding, ``due_date``), ``rectified`` (整改完成: ``refers_to`` a finding, or every
open finding when empty), ``removed`` (移出名录), ``reinstated`` (恢复), ``demonstration`` (a
demonstration mine, 样板项目) and ``correction`` (更正).
The signatures the notice requires (谁核查、谁评估、谁跟踪、谁负责: ``checked_by``,
``evaluated_by``, ``tracked_by``, ``responsible``) are listed per event in
``resources/register.yaml``; an event without them is refused, naming what is missing.

**Nothing is updated or deleted** — the database refuses it with a trigger. A ``correction``
``supersedes`` an earlier event of the same mine: its non-empty fields replace that event's, its
``corrected_event`` changes the event's kind (``void`` withdraws it); the latest correction of an
event wins. :func:`current_state` derives each mine's state from its events (see there); the
history itself (:meth:`Register.history`) always shows every event as recorded.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
import yaml

from . import _registry_db as db
from ._atomic import checkpoint
from ._errors import InputFileError, ValidationError
from ._messages import msg
from ._schema import header_key, match_columns, normalise_id, Invalid

__all__ = ["Register", "init", "open_register", "current_state", "effective_events",
           "summary_by_banner", "read_register_table",
           "EVENT_COLUMNS", "STATE_COLUMNS", "SIGNATURES"]

EVENT_COLUMNS = ["event_id", "mine_id", "event", "date", "level", "score", "score_max",
                 "due_date", "refers_to", "supersedes", "corrected_event", "evaluator_org",
                 "checked_by", "evaluated_by", "tracked_by", "responsible", "note", "recorded_at"]
STATE_COLUMNS = ["mine_id", "name", "banner", "listed", "level", "stage", "listed_date",
                 "removed_date", "verification_score", "verification_passed", "last_spot_check",
                 "n_spot_checks", "open_findings", "next_due", "overdue", "n_events"]
SIGNATURES = ["checked_by", "evaluated_by", "tracked_by", "responsible"]
#: The event columns :func:`current_state` reads.
STATE_INPUT = ["event_id", "mine_id", "event", "date", "level", "score", "score_max", "due_date",
               "refers_to", "supersedes", "corrected_event"]
DEFAULT_SCORE_MAX = 1000.0
DATE_RANGE = (dt.date(1990, 1, 1), dt.date(2100, 12, 31))


@lru_cache(maxsize=1)
def rules() -> dict:
    """The register table (``resources/register.yaml``): events, signatures, value spellings."""
    text = resources.files("ordos_geo").joinpath("resources/register.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def __getattr__(name: str):
    if name == "EVENTS":
        return list(rules()["events"])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Problem:
    row: int | str
    field: str
    value: object
    why: str

    def __str__(self) -> str:
        if isinstance(self.row, int):
            return msg("reg_problem_row", row=self.row, field=self.field, value=repr(self.value),
                       why=self.why)
        return msg("reg_problem", field=self.field, value=repr(self.value), why=self.why)


# --- checking events ----------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _value_index(kind: str) -> dict[str, str]:
    """``header_key(spelling)`` → canonical value, for ``level``, ``status`` or ``event``."""
    spellings = rules()["values"][kind]
    index = {header_key(s): canon for canon, names in spellings.items() for s in [canon, *names]}
    if kind == "event":
        index.update({header_key(e): e for e in rules()["events"]})
        index[header_key("void")] = "void"
    return index


def _canonical(kind: str, value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return None
    return _value_index(kind).get(header_key(value), "?")


@lru_cache(maxsize=65536)
def _date_text(text: str) -> dt.date | str:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
            break
        except ValueError:
            continue
    else:
        return "?"
    return day if DATE_RANGE[0] <= day <= DATE_RANGE[1] else "?"


def _date(value) -> dt.date | None | str:
    """A date from text (YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD), a datetime or an Excel cell; None
    when empty; "?" when unreadable or out of range."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        return _date_text(text) if text else None
    return day if DATE_RANGE[0] <= day <= DATE_RANGE[1] else "?"


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _number(value) -> float | None | str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        number = float(str(value).replace(",", "").strip()) if isinstance(value, str) else float(value)
    except ValueError:
        return None if not str(value).strip() else "?"
    return number if math.isfinite(number) else "?"


def _integer(value) -> int | None | str:
    number = _number(value)
    if number in (None, "?"):
        return number
    return int(number) if float(number).is_integer() and number > 0 else "?"


def check_event(raw: dict, row: int | str, problems: list[Problem]) -> dict | None:
    """One event in canonical form, or None with its problems added (every field checked)."""
    before = len(problems)

    def bad(field, why):
        problems.append(Problem(row, field, raw.get(field), why))

    out: dict = {}
    try:
        out["mine_id"] = normalise_id(raw.get("mine_id"))
    except Invalid as exc:
        bad("mine_id", msg("reg_bad_id", reason=exc.code))
    if out.get("mine_id") is None and len(problems) == before:
        bad("mine_id", msg("reg_no_mine_id"))
    event = _canonical("event", raw.get("event"))
    if event in (None, "?", "void"):
        bad("event", msg("reg_bad_event", allowed=", ".join(rules()["events"])))
    out["event"] = event
    for field in ("date", "due_date"):
        out[field] = _date(raw.get(field))
        if out[field] == "?":
            bad(field, msg("reg_bad_date", lo=DATE_RANGE[0], hi=DATE_RANGE[1]))
    if out["date"] is None:
        bad("date", msg("reg_no_date"))
    out["level"] = _canonical("level", raw.get("level"))
    if out["level"] == "?":
        bad("level", msg("reg_bad_level"))
    for field in ("score", "score_max"):
        out[field] = _number(raw.get(field))
        if out[field] == "?" or (out[field] is not None and out[field] < 0):
            bad(field, msg("reg_bad_number"))
    for field in ("refers_to", "supersedes"):
        out[field] = _integer(raw.get(field))
        if out[field] == "?":
            bad(field, msg("reg_bad_event_id"))
    out["corrected_event"] = _canonical("event", raw.get("corrected_event"))
    if out["corrected_event"] in ("?", "correction"):
        bad("corrected_event", msg("reg_bad_correction"))
    for field in ("evaluator_org", *SIGNATURES, "note"):
        out[field] = _text(raw.get(field))
    if event in rules()["events"]:
        _check_needs(event, out, bad)
    return out if len(problems) == before else None


def _check_needs(event: str, out: dict, bad) -> None:
    spec = rules()["events"][event]
    missing = [s for s in spec.get("signed_by", []) if not out.get(s)]
    if missing:
        bad(missing[0], msg("reg_unsigned", event=event, zh=spec["zh"], names=", ".join(missing)))
    for field in spec.get("needs", []):
        if out.get(field) in (None, "?"):
            bad(field, msg("reg_needs", event=event, zh=spec["zh"], field=field))
    score, top = out.get("score"), out.get("score_max")
    if isinstance(score, float) and score > (top if isinstance(top, float) else DEFAULT_SCORE_MAX):
        bad("score", msg("reg_score_max", top=f"{top or DEFAULT_SCORE_MAX:g}"))


# --- the register -------------------------------------------------------------------------------
class Register:
    """An open register (GeoPackage file or PostgreSQL URL). Create one with :func:`init`."""

    def __init__(self, location: str | os.PathLike, *, _engine: sa.Engine | None = None) -> None:
        self.location = str(location)
        self.engine = _engine if _engine is not None else db.connect(location)

    def __repr__(self) -> str:
        return f"Register({db._shown(self.location)})"

    def close(self) -> None:
        """Close the register's connections (also on leaving a ``with`` block)."""
        self.engine.dispose()

    def __enter__(self) -> "Register":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # writing
    def add(self, *, mine_id: str, event: str, date: str | dt.date, **fields) -> int:
        """Record one event (keywords: :data:`EVENT_COLUMNS`); returns its ``event_id``.
        Refused (:class:`ValidationError`, naming each field) when it is incomplete or refers
        to an unknown mine or event."""
        unknown = set(fields) - set(EVENT_COLUMNS)
        if unknown:
            raise TypeError(f"add() got unknown fields: {', '.join(sorted(unknown))}")
        problems: list[Problem] = []
        row = check_event({"mine_id": mine_id, "event": event, "date": date, **fields}, "-",
                          problems)
        _raise_if(problems, msg("reg_event_refused"))
        with self.engine.begin() as conn:
            _check_links(conn, [row], ["-"], problems, new_mines=set())
            _check_blacklist(conn, [row], ["-"], problems)
            _raise_if(problems, msg("reg_event_refused"))
            (event_id,) = _insert_events(conn, [row])
        return event_id

    def add_mines(self, mines: pd.DataFrame) -> int:
        """Add mines (``mine_id``, ``name``, ``banner``, optional geometry); mines already in
        the register are kept as they are. Returns how many were new."""
        with self.engine.begin() as conn:
            return _insert_mines(conn, self.engine, mines)

    def import_table(self, path: str | os.PathLike, *, sites=None) -> dict[str, int]:
        """Import a listing table (one row a mine: mine_id, name, banner, level, listed_date,
        status listed | removed …) or a history table (with an ``event`` column), CSV or XLSX,
        Chinese headers and values accepted. A listed row becomes a ``listed`` event, a removed
        row ``listed`` + ``removed``. Every bad row is named and *nothing* is written when any
        is refused: one transaction. ``sites`` (a sites frame) gives new mines their geometry."""
        table = read_register_table(path)
        mines, events, rows = _events_of(table, path)
        if sites is not None:
            mines = _with_geometry(mines, sites)
        with self.engine.begin() as conn:
            problems: list[Problem] = []
            known = set(conn.execute(sa.select(db.MINES.c.mine_id)).scalars())
            _check_links(conn, events, rows, problems, new_mines=set(mines["mine_id"]) - known,
                         imported=True)
            if "event" not in table.columns:
                _check_not_listed(conn, events, rows, problems)
            _check_blacklist(conn, events, rows, problems)
            _raise_if(problems, msg("reg_nothing_imported", path=path))
            n_mines = _insert_mines(conn, self.engine, mines)
            checkpoint("register mines")
            ids = _insert_events(conn, events)
            checkpoint("register events")
        return {"mines": n_mines, "events": len(ids)}

    def blacklist(self, *, organisation: str, date: str | dt.date, reason: str,
                  responsible: str) -> None:
        """Put a third-party evaluator on the blacklist from ``date``: its later verifications
        are refused, its earlier ones listed by :meth:`review_list`. Append-only."""
        problems: list[Problem] = []
        day = _date(date)
        for field, value in (("organisation", organisation), ("reason", reason),
                             ("responsible", responsible)):
            if not _text(value):
                problems.append(Problem("-", field, value, msg("reg_needs", event="blacklist",
                                                               zh="黑名单", field=field)))
        if day in (None, "?"):
            problems.append(Problem("-", "date", date, msg("reg_bad_date", lo=DATE_RANGE[0],
                                                            hi=DATE_RANGE[1])))
        _raise_if(problems, msg("reg_event_refused"))
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self.engine.begin() as conn:
            conn.execute(sa.insert(db.BLACKLIST), [{
                "organisation": _text(organisation), "date": day, "reason": _text(reason),
                "responsible": _text(responsible), "recorded_at": now}])

    def blacklisted(self) -> pd.DataFrame:
        """The blacklist: ``organisation, date, reason, responsible, recorded_at``."""
        with self.engine.connect() as conn:
            frame = pd.read_sql(sa.select(db.BLACKLIST).order_by(db.BLACKLIST.c.entry_id), conn)
        frame["date"] = pd.to_datetime(frame["date"])
        return frame.drop(columns="entry_id")

    def review_list(self) -> pd.DataFrame:
        """Verifications by an evaluator recorded before it was blacklisted, to review: the
        events with the blacklisting ``blacklisted_on`` and ``blacklist_reason``."""
        listed = self.blacklisted()
        events = effective_events(self.history())
        ver = events[events["event"] == "verification"].copy()
        ver["_org"] = ver["evaluator_org"].map(lambda v: header_key(v) if v else None)
        first = listed.assign(_org=listed["organisation"].map(header_key)).sort_values("date") \
            .drop_duplicates("_org")[["_org", "date", "reason"]]
        out = ver.merge(first.rename(columns={"date": "blacklisted_on",
                                              "reason": "blacklist_reason"}), on="_org")
        return out[out["date"] < out["blacklisted_on"]].drop(columns="_org").reset_index(drop=True)

    # reading
    def history(self, *, mine_id: str | None = None) -> pd.DataFrame:
        """Every event as recorded, in the order recorded (corrections included)."""
        query = sa.select(db.EVENTS).order_by(db.EVENTS.c.event_id)
        if mine_id is not None:
            query = query.where(db.EVENTS.c.mine_id == normalise_id(mine_id))
        with self.engine.connect() as conn:
            frame = pd.read_sql(query, conn)
        return _typed_events(frame)

    def mines(self, *, geometry: bool = False) -> pd.DataFrame:
        """The register's mines (``mine_id``, ``name``, ``banner``; with ``geometry`` a
        GeoDataFrame in EPSG:4326)."""
        cols = [sa.column("mine_id"), sa.column("name"), sa.column("banner")]
        if geometry:
            cols.append(db.geometry_wkb_sql(self.engine))
        query = sa.select(*cols).select_from(sa.table("register_mines")).order_by("mine_id")
        with self.engine.connect() as conn:
            frame = _columns(conn.execute(query).cursor.fetchall(),
                             ["mine_id", "name", "banner"] + (["wkb"] if geometry else []))
        if not geometry:
            return frame
        import geopandas as gpd
        import shapely

        wkb = [db.wkb_from_stored(self.engine, v) for v in frame.pop("wkb")]
        return gpd.GeoDataFrame(frame, geometry=shapely.from_wkb(wkb), crs="EPSG:4326")

    def state(self, *, as_of: str | dt.date | None = None, banner: str | None = None
              ) -> pd.DataFrame:
        """The current state of every mine (:data:`STATE_COLUMNS`), from one read of the events
        (see :func:`current_state`); ``banner`` keeps one banner's mines."""
        with self.engine.connect() as conn:  # the columns the state needs, rows as the driver
            result = conn.exec_driver_sql(f"SELECT {', '.join(STATE_INPUT)} FROM register_events")
            events = _columns(result.cursor.fetchall(), STATE_INPUT)
        out = current_state(_typed_events(events, STATE_INPUT), mines=self.mines(), as_of=as_of)
        if banner is not None:
            out = out[out["banner"] == banner].reset_index(drop=True)
        return out


def _raise_if(problems: list[Problem], what: str) -> None:
    if problems:
        report = pd.DataFrame([p.__dict__ for p in problems])
        lines = "\n- ".join(str(p) for p in problems[:30])
        more = "\n" + msg("reg_more", n=len(problems) - 30) if len(problems) > 30 else ""
        raise ValidationError(f"{msg('reg_refused', what=what, n=len(problems))}\n- {lines}{more}",
                              report)


def _check_links(conn, events: list[dict], rows: list, problems: list[Problem], *,
                 new_mines: set[str], imported: bool = False) -> None:
    """Mines must be in the register (or come with this import); ``supersedes`` and
    ``refers_to`` must name an event of the same mine (a finding, for ``refers_to``), recorded
    earlier or earlier in this import."""
    mines = set(conn.execute(sa.select(db.MINES.c.mine_id)).scalars()) | set(new_mines)
    wanted = {e[f] for e in events for f in ("supersedes", "refers_to") if e.get(f)}
    found = {}
    if wanted and not imported:
        query = sa.select(db.EVENTS.c.event_id, db.EVENTS.c.mine_id, db.EVENTS.c.event).where(
            db.EVENTS.c.event_id.in_(sorted(wanted)))
        found = {r.event_id: (r.mine_id, r.event) for r in conn.execute(query)}
    if imported:
        found = {e["_source_id"]: (e["mine_id"], e["event"]) for e in events
                 if e.get("_source_id") is not None}
    for event, row in zip(events, rows):
        if event["mine_id"] not in mines:
            problems.append(Problem(row, "mine_id", event["mine_id"], msg("reg_no_mine")))
        for field, kinds in (("supersedes", None), ("refers_to", {"finding"})):
            ref = event.get(field)
            if ref is None:
                continue
            target = found.get(ref)
            if target is None or target[0] != event["mine_id"] or \
                    (kinds and target[1] not in kinds) or \
                    (field == "supersedes" and target[1] == "correction"):
                why = msg("reg_no_event" if target is None or target[0] != event["mine_id"]
                          else "reg_not_finding" if kinds else "reg_correct_original")
                problems.append(Problem(row, field, ref, why))


def _check_blacklist(conn, events: list[dict], rows: list, problems: list[Problem]) -> None:
    """A verification by an evaluator blacklisted on or before its date is refused."""
    orgs = {header_key(e["evaluator_org"]) for e in events
            if e.get("event") == "verification" and e.get("evaluator_org")}
    if not orgs:
        return
    entries = conn.execute(sa.select(db.BLACKLIST.c.organisation, db.BLACKLIST.c.date,
                                     db.BLACKLIST.c.reason)).all()
    since: dict[str, tuple] = {}
    for org, day, reason in entries:
        day = _date(day)
        key = header_key(org)
        if key in orgs and (key not in since or day < since[key][0]):
            since[key] = (day, reason)
    for event, row in zip(events, rows):
        if event.get("event") != "verification" or not event.get("evaluator_org"):
            continue
        hit = since.get(header_key(event["evaluator_org"]))
        if hit and event["date"] >= hit[0]:
            problems.append(Problem(row, "evaluator_org", event["evaluator_org"],
                                    msg("reg_blacklisted", since=hit[0], reason=hit[1])))


def _check_not_listed(conn, events: list[dict], rows: list, problems: list[Problem]) -> None:
    """A listing table enters mines once: a mine the register already lists is refused (its
    later changes are events: ``register add``)."""
    ids = sorted({e["mine_id"] for e in events})
    query = sa.select(db.EVENTS.c.mine_id).where(
        db.EVENTS.c.mine_id.in_(ids), db.EVENTS.c.event.in_(["listed", "reinstated"])).distinct()
    listed = set(conn.execute(query).scalars()) if ids else set()
    seen: set[str] = set()
    for event, row in zip(events, rows):
        mine = event["mine_id"]
        if event["event"] == "listed" and (mine in listed or mine in seen):
            why = msg("reg_already_listed" if mine in listed else "reg_listed_twice")
            problems.append(Problem(row, "mine_id", mine, why))
        seen.add(mine) if event["event"] == "listed" else None


def _insert_mines(conn, engine: sa.Engine, mines: pd.DataFrame) -> int:
    if not len(mines):
        return 0
    known = set(conn.execute(sa.select(db.MINES.c.mine_id)).scalars())
    new = mines[~mines["mine_id"].isin(known)].drop_duplicates("mine_id")
    if not len(new):
        return 0
    geoms = new["geometry"] if "geometry" in new.columns else [None] * len(new)
    rows = [{"mine_id": m, "name": _text(n), "banner": _text(b),
             "geom": db.geometry_param(engine, g)}
            for m, n, b, g in zip(new["mine_id"], new.get("name", [None] * len(new)),
                                  new.get("banner", [None] * len(new)), geoms)]
    stmt = sa.insert(db.MINES).values(mine_id=sa.bindparam("mine_id"), name=sa.bindparam("name"),
                                      banner=sa.bindparam("banner"),
                                      geom=db.mine_geometry_sql(engine))
    conn.execute(stmt, rows)
    return len(rows)


def _insert_events(conn, events: list[dict]) -> list[int]:
    """Append ``events``; ids of an import are reserved first, so that ``supersedes`` and
    ``refers_to`` inside the import point at the new numbers. Rows go to the driver as data —
    ``executemany`` with placeholders (SQLite) or ``COPY … FROM STDIN`` (PostgreSQL) — never
    as SQL text."""
    if not events:
        return []
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    ids = _reserve_ids(conn, len(events))
    mapping = {e["_source_id"]: i for e, i in zip(events, ids) if e.get("_source_id") is not None}
    cols = [c for c in EVENT_COLUMNS if c not in ("event_id", "recorded_at")]
    rows = []
    for event, event_id in zip(events, ids):
        row = [event_id] + [event.get(c) for c in cols] + [now]
        for k in (cols.index("supersedes") + 1, cols.index("refers_to") + 1):
            if row[k] is not None and mapping:
                row[k] = mapping.get(row[k], row[k])
        rows.append(row)
    names = ", ".join(EVENT_COLUMNS)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY register_events ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        dates = [EVENT_COLUMNS.index("date"), EVENT_COLUMNS.index("due_date")]
        for row in rows:
            for k in dates:
                if row[k] is not None:
                    row[k] = row[k].isoformat()
        marks = ", ".join("?" * len(EVENT_COLUMNS))
        conn.exec_driver_sql(f"INSERT INTO register_events ({names}) VALUES ({marks})",
                             [tuple(row) for row in rows])
    return ids


def _reserve_ids(conn, n: int) -> list[int]:
    """``n`` new event numbers. SQLite: after the largest, under the write lock every
    transaction holds (BEGIN IMMEDIATE); PostgreSQL: from the sequence, safe for concurrent
    writers."""
    if conn.dialect.name == "postgresql":
        return list(conn.execute(sa.text(
            "SELECT nextval(pg_get_serial_sequence('register_events', 'event_id')) "
            "FROM generate_series(1, :n)"), {"n": n}).scalars())
    top = conn.execute(sa.select(sa.func.max(db.EVENTS.c.event_id))).scalar() or 0
    return list(range(top + 1, top + n + 1))


def _columns(rows: list, names: list[str]) -> pd.DataFrame:
    """A frame from the driver's row tuples, built column by column (object columns; the
    callers type what they use)."""
    table = np.empty((len(rows), len(names)), dtype=object)
    if rows:
        table[:] = rows
    return pd.DataFrame({n: table[:, k] for k, n in enumerate(names)})


def _typed_events(frame: pd.DataFrame, columns: list[str] = EVENT_COLUMNS) -> pd.DataFrame:
    out = frame.reindex(columns=columns).copy()
    for col in ("date", "due_date"):  # ISO text (GeoPackage) or dates (PostgreSQL)
        out[col] = pd.to_datetime(out[col], format="ISO8601", errors="coerce")
    for col in ("event_id", "refers_to", "supersedes"):
        out[col] = pd.array(out[col], dtype="Int64")
    return out


def init(location: str | os.PathLike, *, sites=None) -> Register:
    """Create a register (a new ``.gpkg`` file, or the tables in an empty PostgreSQL database)
    and, with ``sites``, enter its mines (the sites of kind ``mine``, with their boundaries)."""
    register = Register(location, _engine=db.create(location))
    if sites is not None:
        register.add_mines(_mines_of_sites(sites))
    return register


def open_register(location: str | os.PathLike) -> Register:
    """Open an existing register (refused when there is none)."""
    return Register(location)


def _mines_of_sites(sites) -> pd.DataFrame:
    mines = sites[sites["kind"] == "mine"] if "kind" in sites.columns else sites
    mines = mines.to_crs("EPSG:4326")
    return pd.DataFrame({"mine_id": mines["site_id"].astype(str).to_numpy(),
                         "name": mines.get("name"), "banner": mines.get("banner"),
                         "geometry": mines.geometry.to_numpy()})


def _with_geometry(mines: pd.DataFrame, sites) -> pd.DataFrame:
    shapes = _mines_of_sites(sites).set_index("mine_id")["geometry"]
    out = mines.copy()
    out["geometry"] = out["mine_id"].map(shapes)
    return out


# --- reading tables -----------------------------------------------------------------------------
def read_register_table(path: str | os.PathLike) -> pd.DataFrame:
    """A register table (CSV in UTF-8 or GBK, or XLSX) with its columns named canonically
    through the alias table's ``register`` section; other columns are dropped."""
    from . import io

    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{str(path)!r} does not exist.")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            table = pd.read_excel(path, dtype=object)
        except Exception as exc:  # noqa: BLE001 - a damaged or foreign file
            raise InputFileError(f"{str(path)!r}: not a readable XLSX ({exc}).") from None
    else:
        table, _ = io.read_table(path)
    matched = match_columns(table.columns, "register")
    table = table[list(matched)].rename(columns={c: f for c, (f, _) in matched.items()})
    if "mine_id" not in table.columns:
        raise ValidationError(msg("reg_needs_mine_id", path=repr(str(path)),
                                  columns=", ".join(map(str, table.columns)) or "—"))
    return table.astype(object).where(table.notna(), None)


def _events_of(table: pd.DataFrame, path) -> tuple[pd.DataFrame, list[dict], list[int]]:
    """Mines and events of a listing or history table; every bad row named at once."""
    problems: list[Problem] = []
    events, rows = [], []
    history = "event" in table.columns
    for k, raw in enumerate(table.to_dict("records"), start=2):  # row 1 is the header
        if history:
            parts = [dict(raw)]
        else:
            parts = _listing_events(raw, k, problems)
        for part in parts:
            event = check_event(part, k, problems)
            if event is not None:
                event["_source_id"] = _integer(raw.get("event_id")) if history else None
                if event["_source_id"] == "?":
                    problems.append(Problem(k, "event_id", raw.get("event_id"),
                                            msg("reg_bad_event_id")))
                events.append(event)
                rows.append(k)
    _raise_if(problems, msg("reg_nothing_imported", path=path))
    ids = [normalise_id(m) for m in table["mine_id"]]
    mines = pd.DataFrame({"mine_id": ids, "name": table.get("name"), "banner": table.get("banner")})
    return mines.dropna(subset=["mine_id"]).drop_duplicates("mine_id"), events, rows


def _listing_events(raw: dict, row: int, problems: list[Problem]) -> list[dict]:
    status = _canonical("status", raw.get("status")) or "listed"
    if status == "?":
        problems.append(Problem(row, "status", raw.get("status"), msg("reg_bad_status")))
        return []
    listed = {**raw, "event": "listed", "date": raw.get("listed_date")}
    if status == "listed":
        return [listed]
    return [listed, {**raw, "event": "removed", "date": raw.get("removed_date"), "level": None}]


# --- the state of each mine ---------------------------------------------------------------------
PIPELINE = ["applied", "initial_evaluation", "verification", "public_notice", "listed",
            "removed", "reinstated"]


def effective_events(events: pd.DataFrame) -> pd.DataFrame:
    """The events as they stand after corrections: each corrected event takes the non-empty
    fields of its latest correction (and its ``corrected_event`` kind; ``void`` drops it);
    corrections themselves are not events of the mine's state."""
    corrections = events[events["event"] == "correction"].sort_values("event_id")
    latest = corrections.drop_duplicates("supersedes", keep="last").set_index("supersedes")
    out = events[events["event"] != "correction"].set_index("event_id", drop=False)
    hit = out.index.intersection(latest.index)
    if len(hit):
        fix = latest.loc[hit]
        for col in ("date", "level", "score", "score_max", "due_date", "refers_to",
                    "evaluator_org", *SIGNATURES, "note"):
            if col not in out.columns:  # the state reads only the columns it needs
                continue
            given = fix[col].notna()
            out.loc[hit[given.to_numpy()], col] = fix.loc[given, col].to_numpy()
        kind = fix["corrected_event"]
        out.loc[hit[kind.notna().to_numpy()], "event"] = kind[kind.notna()].to_numpy()
        out = out[out["event"] != "void"]
    return out.reset_index(drop=True)


def current_state(events: pd.DataFrame, *, mines: pd.DataFrame | None = None,
                  as_of: str | dt.date | None = None) -> pd.DataFrame:
    """Each mine's state on ``as_of`` (default today) from its events — the one definition.

    After corrections (:func:`effective_events`), the events dated up to ``as_of`` are taken in
    order of date, then of recording (``event_id``):

    * ``listed`` — the last of listed / reinstated / removed is listed or reinstated;
      ``listed_date`` its date, ``removed_date`` that of a last ``removed``;
      ``level`` — that of the last listed or reinstated event;
    * ``stage`` — the last step of applied → initial_evaluation → verification → public_notice
      → listed → removed → reinstated;
    * ``verification_score`` and ``verification_passed`` — the last verification, passed at
      ≥ ``verification_pass_share`` (80 %) of its ``score_max`` (default 1000);
    * ``last_spot_check``, ``n_spot_checks``;
    * ``open_findings`` — findings not closed by a ``rectified`` that refers to them (or by a
      ``rectified`` without reference dated on or after them); ``next_due`` — the earliest due
      date (latest ``rectification_due`` of each) of the open findings; ``overdue`` when it is
      before ``as_of``;
    * ``n_events`` — events counted (corrections not).

    Vectorised over all mines at once (no loop per mine).
    """
    day = np.datetime64(pd.Timestamp(_date(as_of) if as_of is not None else dt.date.today()),
                        "ns")
    eff = effective_events(events)
    eff = eff[eff["date"].to_numpy(dtype="datetime64[ns]") <= day]  # NaT is never ≤
    known = [eff["mine_id"].to_numpy(dtype=object)] + \
        ([mines["mine_id"].to_numpy(dtype=object)] if mines is not None else [])
    ids = pd.Index(np.sort(pd.unique(np.concatenate(known))), name="mine_id")
    pos = ids.get_indexer(eff["mine_id"])
    date = eff["date"].to_numpy(dtype="datetime64[ns]")
    order = np.lexsort((eff["event_id"].to_numpy(dtype="int64"), date, pos))
    ev = _Events(eff.iloc[order], pos[order], date[order], len(ids))
    listing, entry = ev.last("listed", "reinstated", "removed"), ev.last("listed", "reinstated")
    check = ev.last("verification")
    share = float(rules()["verification_pass_share"])
    score, top = ev.column("score", check, float), ev.column("score_max", check, float)
    out = pd.DataFrame({
        "mine_id": ids,
        "listed": ev.column("event", listing, object) != None,  # noqa: E711 - elementwise
        "level": ev.column("level", entry, object),
        "stage": ev.column("event", ev.last(*PIPELINE), object),
        "listed_date": ev.dates(entry),
        "removed_date": ev.dates(listing, only="removed"),
        "verification_score": score,
        "verification_passed": pd.array(np.where(np.isnan(score), None, score >= share * np.where(
            np.isnan(top), DEFAULT_SCORE_MAX, top)), dtype="boolean"),
        "last_spot_check": ev.dates(ev.last("spot_check")),
        "n_spot_checks": ev.count("spot_check"),
        "n_events": np.bincount(ev.pos, minlength=ev.n)})
    out["listed"] &= ev.column("event", listing, object) != "removed"
    _findings(ev, out, day)
    if mines is not None:
        out = out.merge(mines[["mine_id", "name", "banner"]], on="mine_id", how="left")
    else:
        out["name"], out["banner"] = None, None
    return out[STATE_COLUMNS]


class _Events:
    """The effective events in order of mine, date and recording, as arrays: ``last(kinds)``
    gives, per mine, the position of its last event of those kinds (vectorised: the events of
    a mine are consecutive)."""

    def __init__(self, frame: pd.DataFrame, pos: np.ndarray, date: np.ndarray, n: int) -> None:
        self.frame, self.pos, self.date, self.n = frame, pos, date, n
        self.kind = frame["event"].to_numpy(dtype=object)
        self._codes, self._names = pd.factorize(self.kind)

    def mask(self, *kinds: str) -> np.ndarray:
        wanted = [k for k, name in enumerate(self._names) if name in kinds]
        return np.isin(self._codes, wanted)

    def last(self, *kinds: str) -> np.ndarray:
        idx = np.flatnonzero(self.mask(*kinds))
        if not len(idx):
            return idx
        m = self.pos[idx]
        return idx[np.r_[m[1:] != m[:-1], True]]

    def column(self, name: str, rows: np.ndarray, dtype) -> np.ndarray:
        """Per mine, the value of ``name`` at its row in ``rows`` (missing: None or NaN)."""
        out = np.full(self.n, np.nan if dtype is float else None, dtype=dtype)
        values = self.frame[name].to_numpy()[rows]
        if dtype is float:
            values = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
        out[self.pos[rows]] = values
        return out

    def dates(self, rows: np.ndarray, only: str | None = None) -> np.ndarray:
        if only is not None:
            rows = rows[self.kind[rows] == only]
        out = np.full(self.n, np.datetime64("NaT"), dtype="datetime64[ns]")
        out[self.pos[rows]] = self.date[rows]
        return out

    def count(self, kind: str) -> np.ndarray:
        return np.bincount(self.pos[self.mask(kind)], minlength=self.n)


def _findings(ev: _Events, out: pd.DataFrame, day: np.datetime64) -> None:
    """Open findings, their next due date and whether it has passed (see current_state)."""
    ref = ev.frame["refers_to"].to_numpy(dtype=object)
    event_id = ev.frame["event_id"].to_numpy(dtype="int64")
    found = np.flatnonzero(ev.mask("finding"))
    fixed = ev.mask("rectified")
    closed = {int(r) for r in ref[fixed] if r is not None and r is not pd.NA}
    blanket = _latest_blanket(ev, ref, fixed)
    still = np.array([int(e) not in closed for e in event_id[found]], dtype=bool) & \
        ~(ev.date[found] <= blanket[ev.pos[found]])
    open_ = found[still]
    due_rows = np.flatnonzero(ev.mask("rectification_due"))  # in date order: the last wins
    due_of = {int(r): d for r, d in zip(ref[due_rows], ev.frame["due_date"].to_numpy(
        dtype="datetime64[ns]")[due_rows]) if r is not None and r is not pd.NA}
    due = np.array([due_of.get(int(e), np.datetime64("NaT")) for e in event_id[open_]],
                   dtype="datetime64[ns]")
    out["open_findings"] = np.bincount(ev.pos[open_], minlength=ev.n)
    next_due = pd.Series(due).groupby(ev.pos[open_]).min()
    out["next_due"] = pd.Series(next_due).reindex(range(ev.n)).to_numpy(dtype="datetime64[ns]")
    out["overdue"] = out["next_due"].to_numpy(dtype="datetime64[ns]") < day


def _latest_blanket(ev: _Events, ref: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Per mine, the date of its last ``rectified`` without a reference (NaT when none)."""
    rows = np.flatnonzero(fixed & np.array([r is None or r is pd.NA for r in ref], dtype=bool))
    out = np.full(ev.n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if len(rows):
        m = ev.pos[rows]
        rows = rows[np.r_[m[1:] != m[:-1], True]]
        out[ev.pos[rows]] = ev.date[rows]
    return out


def summary_by_banner(state: pd.DataFrame) -> pd.DataFrame:
    """Per banner: mines, listed (national, regional), removed, open findings, overdue."""
    frame = state.assign(banner=state["banner"].fillna("—"))
    grouped = frame.groupby("banner", sort=True)
    return pd.DataFrame({
        "n_mines": grouped.size(),
        "listed": grouped["listed"].sum().astype(int),
        "national": grouped.apply(lambda g: int((g["listed"] & (g["level"] == "national")).sum()),
                                  include_groups=False),
        "regional": grouped.apply(lambda g: int((g["listed"] & (g["level"] == "regional")).sum()),
                                  include_groups=False),
        "removed": grouped["removed_date"].count().astype(int),
        "open_findings": grouped["open_findings"].sum().astype(int),
        "overdue": grouped["overdue"].sum().astype(int),
    }).reset_index()

