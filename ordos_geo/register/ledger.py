"""The green-mine register (绿色矿山名录): every mine's listing, checks and sign-offs as one
append-only, hash-chained history, in a GeoPackage a bureau keeps and mails, or in
PostgreSQL/PostGIS when the city shares it.

>>> reg = og.register.init("名录.gpkg", sites=sites)          # mines from the sites (kind mine)
>>> reg.import_table("绿色矿山名录.xlsx")                        # 矿山编号, 级别, 纳入名录日期, 状态 …
>>> reg.add(mine_id="M01", event="spot_check", date="2026-03-10", checked_by="张三",
...         responsible="李四")
>>> reg.state(banner="准格尔旗")                                # current state, one row a mine
>>> reg.head()                                                  # '1234:9f3a1c2b7d0e55aa'

**Events** (``resources/register.yaml``): ``applied``, ``initial_evaluation`` (旗区初评),
``verification`` (第三方核查评估, with ``score`` of ``score_max``, default 1000, and
``evaluator_org``), ``public_notice`` (公示), ``listed`` (纳入名录, with ``level`` national 国家级 |
regional 自治区级), ``spot_check`` (抽查), ``finding`` (问题), ``rectification_due`` (整改期限:
``refers_to`` a finding, ``due_date``), ``rectified`` (整改完成: ``refers_to`` a finding, or every
open finding when empty), ``removed`` (移出名录), ``reinstated`` (恢复), ``demonstration`` (a
demonstration mine, 样板项目), ``mine_changed`` (a mine's name or banner), ``correction`` (更正)
and, for the whole register, ``blacklisted`` (an evaluator). ordos_geo itself records
``entered`` (a mine entered, with its boundary's digest) and ``spot_check_plan`` (a drawn plan
and its seed).

**Signatures** (谁核查、谁评估、谁跟踪、谁负责: ``checked_by``, ``evaluated_by``, ``tracked_by``,
``responsible``) are listed per event in ``register.yaml``; names are cleaned (NFKC, invisible
characters removed) and refused when no letter is left (:mod:`ordos_geo.register._names`).

**Nothing is updated or deleted.** A ``correction`` ``supersedes`` an earlier event of the same
mine: its non-empty fields replace that event's, its ``corrected_date`` moves it, its
``corrected_event`` changes its kind (``void`` withdraws it); it carries the signatures of the
kind it produces. Every event is chained to the one before by SHA-256 (:mod:`ordos_geo.register._chain`);
opening a register verifies the chain and the mine rows against their events, and a register
whose history was changed, shortened or added to by another program is refused
(:class:`TamperedError`) — it can be read only by :meth:`Register.verify`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..core.errors import InputFileError, UsageError, ValidationError
from ..core.messages import msg
from ..core.schema import Invalid, schema
from ..io.atomic import checkpoint
from . import _chain
from . import _storage as db
from ._audit import audit
from ._checks import (
    DATES,
    EVENT_COLUMNS,
    SIGNATURES,
    Problem,
    check_event,
    effective_events,
    event_key,
    now,
    raise_if,
    rules,
    today,
    typed_events,
)
from ._ids import find_id, respelled
from ._memory import audited_upto, remember
from ._names import name_key
from ._rectification import default_months
from ._sequence import check_in_register
from ._state import STATE_COLUMNS, as_of_day, current_state, summary_by_banner
from ._tables import (
    NO_MINES,
    check_exported_chain,
    checked_mines,
    events_of,
    events_of_table,
    mines_of_sites,
    mines_of_table,
    read_register_table,
    with_geometry,
)

__all__ = ["Register", "init", "open_register", "upgrade", "check_exported_chain", "current_state", "effective_events",
           "summary_by_banner", "read_register_table", "events_of_table", "mines_of_table",
           "TamperedError", "Verification",
           "EVENT_COLUMNS", "HISTORY_COLUMNS", "STATE_COLUMNS", "SIGNATURES"]

log = logging.getLogger("ordos_geo")
#: What :meth:`Register.history` returns: the events with their chain hashes.
HISTORY_COLUMNS = EVENT_COLUMNS + ["prev_hash", "hash"]
#: The event columns :func:`current_state` reads.
STATE_INPUT = ["event_id", "mine_id", "event", "date", "level", "score", "score_max", "due_date",
               "refers_to", "supersedes", "corrected_event", "corrected_date"]


def __getattr__(name: str):
    if name == "EVENTS":
        return list(rules()["events"])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TamperedError(ValidationError):
    """A register whose history or mine rows were changed outside ordos_geo (``report``: every
    problem found, see :meth:`Register.verify`)."""


@dataclass
class Verification:
    """What :meth:`Register.verify` found: ``ok``, the ``head`` (``<n>:<16 hex digits>``)
    and ``problems`` (kind, event_id, last, mine_id, message), first problem first."""

    ok: bool
    head: str
    n_events: int
    problems: pd.DataFrame

    def __str__(self) -> str:
        if self.ok:
            return msg("reg_verified", n=self.n_events, head=self.head)
        return "\n- ".join([msg("reg_tampered_n", n=len(self.problems))] +
                           self.problems["message"].tolist()[:30])


# --- the register -------------------------------------------------------------------------------
class Register:
    """An open register (GeoPackage file or PostgreSQL URL). Create one with :func:`init`,
    open one with :func:`open_register` (which verifies it)."""

    def __init__(self, location: str | os.PathLike, *, verify: bool = True,
                 _engine: sa.Engine | None = None) -> None:
        self.location = str(location)
        self.engine = _engine if _engine is not None else db.connect(location)
        if verify:
            try:
                self.verify(raise_if_broken=True, full=False)
            except BaseException:
                self.engine.dispose()
                raise

    def __repr__(self) -> str:
        return f"Register({db.shown(self.location)})"

    def close(self) -> None:
        """Close the register's connections (also on leaving a ``with`` block)."""
        self.engine.dispose()

    def __enter__(self) -> "Register":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the chain ---------------------------------------------------------------------------
    def verify(self, *, head: str | None = None, raise_if_broken: bool = False,
               full: bool = True) -> Verification:
        """Check the whole history: every event's hash and link, the head records, every mine
        row against its events, and every recorded event against the rules
        (:mod:`ordos_geo.register._audit`); with ``head`` (a published ``<n>:<digits>``) also
        that the events up to ``n`` are still those the head was printed from. With
        ``full=False`` (what opening a register does) the rules are checked only for the
        events this machine has not checked before: the chain proves the others unchanged
        since (the machine remembers the head it last checked, in
        ``~/.cache/ordos_geo/audited.json``)."""
        with self.engine.connect() as conn:
            found = _verify(conn, self.engine, self.location, head=head, full=full)[0]
        if raise_if_broken and not found.ok:
            raise TamperedError(msg("reg_tampered", db=db.shown(self.location),
                                    first=found.problems["message"].iloc[0]), found.problems)
        return found

    def head(self) -> str:
        """The head of the chain as it is published: ``<number of events>:<16 hex digits>``."""
        with self.engine.connect() as conn:
            n, last = db.last_link(conn)
        return _chain.head_text(n, last)

    # --- writing ------------------------------------------------------------------------------
    def add(self, *, mine_id: str | None, event: str, date: str | dt.date, **fields) -> int:
        """Record one event (keywords: :data:`EVENT_COLUMNS`); returns its ``event_id``.
        Refused (:class:`ValidationError`, naming each field) when it is incomplete, refers to
        an unknown mine or event, or does not fit the mine's events so far."""
        unknown = set(fields) - set(EVENT_COLUMNS) | ({"detail", "recorded_at", "event_id"} &
                                                       set(fields))
        if unknown:
            raise TypeError(f"add() got unknown fields: {', '.join(sorted(unknown))}")
        problems: list[Problem] = []
        row = check_event({"mine_id": mine_id, "event": event, "date": date, **fields}, "-",
                          problems)
        raise_if(problems, msg("reg_event_refused"))
        (event_id,) = self._write([row], ["-"], what=msg("reg_event_refused"))["ids"]
        return event_id

    def add_mines(self, mines: pd.DataFrame) -> int:
        """Enter mines (``mine_id``, ``name``, ``banner``, optional ``geometry``), each with an
        ``entered`` event; mines already in the register are kept as they are. Returns how
        many were new."""
        mines = checked_mines(mines, "-")
        return self._write([], [], mines=mines, what=msg("reg_event_refused"))["mines"]

    def import_table(self, path: str | os.PathLike, *, sites=None) -> dict[str, int]:
        """Import a listing table (one row a mine: mine_id, name, banner, level, listed_date,
        status listed | removed …) or a history table (with an ``event`` column, such as
        ``register export --history`` writes), CSV or XLSX, Chinese headers and values
        accepted. A listed row becomes a ``listed`` event, a removed row ``listed`` +
        ``removed``. Events already in the register (the same mine, kind, date and fields)
        are recognised and skipped, so importing a table twice adds nothing. Every bad row is
        named and *nothing* is written when any is refused: one transaction. ``sites`` (a
        sites frame) gives new mines their geometry; a mine new to the register needs its banner
        (旗区). A history exported by ``register export --history`` is checked against its own
        hashes first: a table changed after it was exported is refused. Returns ``{"mines",
        "events", "skipped"}``."""
        table = read_register_table(path)
        check_exported_chain(table, path)
        if "event" in table.columns and "hash" not in table.columns:
            log.warning(msg("reg_history_unhashed", path=path))
        mines, events, rows = events_of(table, path)
        if sites is not None:
            mines = with_geometry(mines, sites)
        done = self._write(events, rows, mines=mines, history="event" in table.columns,
                           dedupe=True, what=msg("reg_nothing_imported", path=path))
        return {"mines": done["mines"], "events": len(done["ids"]), "skipped": done["skipped"]}

    def blacklist(self, *, organisation: str, date: str | dt.date, reason: str,
                  responsible: str) -> int:
        """Put a third-party evaluator on the blacklist from ``date`` (a ``blacklisted``
        event): its later verifications are refused, its earlier ones listed by
        :meth:`review_list`. Append-only. Returns the event number."""
        return self.add(mine_id=None, event="blacklisted", date=date,
                        evaluator_org=organisation, note=reason, responsible=responsible)

    def record_plan(self, detail: dict, *, date: str | dt.date | None = None,
                    responsible: str | None = None, note: str | None = None) -> int:
        """Record a drawn spot-check plan (``spot_check_plan``: its year, seed, rate and the
        digest of the plan in ``detail``), so it can be reproduced and not drawn again
        unnoticed. Returns the event number."""
        problems: list[Problem] = []
        row = check_event({"event": "spot_check_plan", "date": date or today(),
                           "responsible": responsible, "note": note,
                           "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True)},
                          "-", problems, internal=True)
        raise_if(problems, msg("reg_event_refused"))
        return self._write([row], ["-"], what=msg("reg_event_refused"))["ids"][0]

    def plans(self, *, year: int | None = None) -> pd.DataFrame:
        """The spot-check plans drawn from this register: ``event_id``, ``date``,
        ``responsible``, ``note`` and the recorded ``detail`` fields (year, seed, rate, upto
        …), oldest first."""
        history = self.history()
        plans = history[history["event"] == "spot_check_plan"]
        rows = [{"event_id": int(r.event_id), "date": r.date, "responsible": r.responsible,
                 "note": r.note, **json.loads(r.detail)} for r in plans.itertuples()]
        out = pd.DataFrame(rows, columns=None if rows else ["event_id", "date", "responsible",
                                                             "note", "year", "seed", "rate"])
        return out[out["year"] == year].reset_index(drop=True) if year is not None else out

    def _write(self, events: list[dict], rows: list, *, mines: pd.DataFrame | None = None,
               history: bool = False, dedupe: bool = False, what: str) -> dict:
        """Check ``events`` against the register and append them (and ``mines``, each with an
        ``entered`` event) in one transaction, after verifying the chain under the write
        lock."""
        with self.engine.begin() as conn:
            db.lock_for_writing(conn)
            verdict, existing = _verify(conn, self.engine, self.location, frame=True,
                                        full=False)
            if not verdict.ok:
                raise TamperedError(msg("reg_tampered_write", db=db.shown(self.location),
                                        first=verdict.problems["message"].iloc[0]),
                                    verdict.problems)
            plan = _Plan(conn, existing, verdict.n_events)
            mines, events = respelled(mines if mines is not None else NO_MINES, events,
                                      plan.known)  # m0341#1 is the mine stored as M0341#1
            plan.enter(mines)
            plan.take(events, rows, history=history, dedupe=dedupe)
            raise_if(plan.problems, what)
            plan.check()
            raise_if(plan.problems, what)
            checkpoint("register mines")
            ids = _append(conn, self.engine, plan)
            checkpoint("register events")
            after = db.last_link(conn), db.register_id(conn)
        (n, last), register_id = after
        remember(register_id, n, last)  # signed in through the checks: audited
        return {"ids": ids, "mines": len(plan.new_mines), "skipped": plan.skipped}

    # --- reading ------------------------------------------------------------------------------
    def blacklisted(self) -> pd.DataFrame:
        """The blacklist: ``organisation, date, reason, responsible, recorded_at``."""
        history = self.history()
        entries = history[history["event"] == "blacklisted"]
        return pd.DataFrame({"organisation": entries["evaluator_org"], "date": entries["date"],
                             "reason": entries["note"], "responsible": entries["responsible"],
                             "recorded_at": entries["recorded_at"]}).reset_index(drop=True)

    def review_list(self) -> pd.DataFrame:
        """Every verification (after corrections, by whatever route it became one) by an
        evaluator on the blacklist, to review: the events with ``blacklisted_on``,
        ``blacklist_reason`` and ``after_blacklisting`` (dated on or after it: such a one is
        refused when recorded, so True means it came in some other way)."""
        listed = self.blacklisted()
        ver = effective_events(self.history())
        ver = ver[ver["event"] == "verification"].copy()
        ver["_org"] = ver["evaluator_org"].map(name_key)
        first = listed.assign(_org=listed["organisation"].map(name_key)).sort_values("date") \
            .drop_duplicates("_org")[["_org", "date", "reason"]]
        out = ver.merge(first.rename(columns={"date": "blacklisted_on",
                                              "reason": "blacklist_reason"}), on="_org")
        out["after_blacklisting"] = out["date"] >= out["blacklisted_on"]
        return out.drop(columns="_org").sort_values("event_id").reset_index(drop=True)

    def history(self, *, mine_id: str | None = None) -> pd.DataFrame:
        """Every event as recorded, in the order recorded (corrections included), with its
        ``prev_hash`` and ``hash`` (:data:`HISTORY_COLUMNS`)."""
        query = sa.select(*[db.EVENTS.c[c] for c in HISTORY_COLUMNS]).order_by(
            db.EVENTS.c.event_id)
        with self.engine.connect() as conn:
            if mine_id is not None:  # any spelling the register compares equal
                query = query.where(db.EVENTS.c.mine_id == find_id(conn, mine_id))
            frame = _columns(conn.execute(query).all(), HISTORY_COLUMNS)
        return typed_events(frame, HISTORY_COLUMNS)

    def mines(self, *, geometry: bool = False) -> pd.DataFrame:
        """The register's mines (``mine_id``, ``name``, ``banner``; with ``geometry`` a
        GeoDataFrame in EPSG:4326)."""
        with self.engine.connect() as conn:
            frame = _read_mines(conn, self.engine, geometry=geometry)
        if not geometry:
            return frame
        import geopandas as gpd
        import shapely

        return gpd.GeoDataFrame(frame.drop(columns=["wkb", "srid"]),
                                geometry=shapely.from_wkb(frame["wkb"].tolist()),
                                crs="EPSG:4326")

    def state(self, *, as_of: str | dt.date | None = None, banner: str | None = None,
              upto: int | None = None) -> pd.DataFrame:
        """The state of every mine on ``as_of`` (:data:`STATE_COLUMNS`), from one read of the
        events (see :func:`current_state`); ``banner`` keeps one banner's mines (an unknown
        banner is refused, naming the known ones); ``upto`` counts only the events recorded
        up to that event number (to reproduce what a report saw)."""
        wanted = _known_banner(banner) if banner is not None else None
        try:
            day = as_of_day(as_of)
        except ValueError:
            raise UsageError(msg("reg_bad_as_of", value=repr(as_of))) from None
        with self.engine.connect() as conn:  # the columns the state needs, rows as the driver
            query = f"SELECT {', '.join(STATE_INPUT)} FROM register_events"
            if upto is not None:
                query += f" WHERE event_id <= {int(upto)}"
            events = _columns(conn.exec_driver_sql(query).cursor.fetchall(), STATE_INPUT)
        out = current_state(typed_events(events, STATE_INPUT), mines=self.mines(), as_of=day)
        if wanted is not None:
            out = out[out["banner"] == wanted].reset_index(drop=True)
        return out


def _known_banner(banner: str) -> str:
    try:
        canon = schema().normalise("banner", banner)
    except Invalid:
        canon = None
    if canon is None:
        raise UsageError(msg("reg_unknown_banner", banner=repr(banner),
                             allowed="、".join(schema().banners)))
    return canon


# --- verifying ----------------------------------------------------------------------------------
def _verify(conn, engine, location, *, head: str | None = None, frame: bool = False,
            full: bool = True) -> tuple[Verification, pd.DataFrame | None]:
    """The chain, the mine rows and the rules over the recorded events (all, or with
    ``full=False`` those after the head this machine last audited, when the chain still holds
    it); with ``frame`` also the events as a frame (for the writers)."""
    rows, heads = _snapshot(conn)
    columns = list(zip(*rows)) if rows else [()] * len(HISTORY_COLUMNS)
    register_id = db.register_id(conn)
    legacy = _legacy_upto(conn)
    start = _chain.genesis(register_id, legacy)
    verdict = _chain.verify(rows, start=start, heads=heads, gaps_upto=legacy, columns=columns)
    problems = [_break_row(b) for b in verdict.breaks]
    problems += _mine_problems(_read_mines(conn, engine, geometry=True), rows)
    layer = db.layer_srid(conn)
    if layer != 4326:
        problems.append({"kind": "mine_changed", "event_id": None, "last": None,
                         "mine_id": None, "message": msg("reg_layer_srs", srid=layer)})
    if head is not None:
        problems += _published_problems(head, rows, verdict.n_events)
    judged_after = legacy
    if not full and not problems:
        judged_after = max(legacy, audited_upto(register_id, columns))
    events = None
    if frame or verdict.n_events > judged_after:
        events = typed_events(pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in
                                            zip(HISTORY_COLUMNS, columns)}), HISTORY_COLUMNS,
                              text_as_given=True)
    if verdict.n_events > judged_after:
        problems += audit(events, legacy_upto=judged_after, months=default_months())
    table = pd.DataFrame(problems, columns=["kind", "event_id", "last", "mine_id", "message"])
    if not problems and verdict.n_events:
        remember(register_id, verdict.n_events, verdict.head_hash)
    return Verification(not problems, verdict.head, verdict.n_events, table), \
        (events if frame else None)


def _snapshot(conn, tries: int = 20) -> tuple[list, list]:
    """The events and the head records as of one moment, read without the write lock: the
    heads are read before and after the events, and again while a writer committed between
    (every write records its head in the same transaction) — else a reader could see a head
    naming events its read of the events missed, and report them removed."""
    before = db.heads(conn)
    for _ in range(tries):
        rows = db.chain_rows(conn, columns=HISTORY_COLUMNS)
        after = db.heads(conn)
        if after == before:
            break
        before = after
    return rows, after


def _legacy_upto(conn) -> int:
    """How many events of a schema-1 register were chained unjudged (0 for a register made
    as schema 2); bound to the chain through its genesis."""
    value = db.meta_value(conn, "legacy_upto")
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return -1  # no number: the genesis cannot match, the chain is reported broken


def _break_row(b: _chain.Break) -> dict:
    return {"kind": b.kind, "event_id": b.event_id, "last": b.last, "mine_id": None,
            "message": msg(f"reg_break_{b.kind}", id=b.event_id, last=b.last)}


def _published_problems(head: str, rows: list, n_events: int) -> list[dict]:
    try:
        n, digits = _chain.parse_head(head)
    except ValueError:
        raise UsageError(msg("reg_bad_head", head=repr(head))) from None
    if n == 0:
        return [] if set(digits) == {"0"} else [{
            "kind": "published", "event_id": None, "last": None, "mine_id": None,
            "message": msg("reg_head_mismatch", head=head, n=0)}]
    if n > n_events:
        return [{"kind": "published", "event_id": n_events + 1, "last": n, "mine_id": None,
                 "message": msg("reg_head_shorter", head=head, n=n_events)}]
    stored = rows[n - 1][-1] if int(rows[n - 1][0]) == n else \
        next((r[-1] for r in rows if int(r[0]) == n), None)
    if _chain.check_published(stored, digits):
        return []
    return [{"kind": "published", "event_id": n, "last": None, "mine_id": None,
             "message": msg("reg_head_mismatch", head=head, n=n)}]


def _geometry_digest(wkb: bytes | None) -> str | None:
    """SHA-256 of a mine boundary as stored (little-endian WKB)."""
    return None if wkb is None else hashlib.sha256(bytes(wkb)).hexdigest()


_POS = {c: k for k, c in enumerate(HISTORY_COLUMNS)}


def _mine_problems(mines: pd.DataFrame, rows: list) -> list[dict]:
    """Every mine row must be what its events say: entered by ordos_geo, with the name and
    banner of its latest entry or change and the boundary it was entered with."""
    kind, mine_at, name_at, banner_at, detail_at = (_POS[c] for c in (
        "event", "mine_id", "name", "banner", "detail"))
    attrs: dict[str, tuple] = {}
    digests: dict[str, str | None] = {}
    for r in rows:
        if r[kind] in ("entered", "mine_changed"):
            attrs[r[mine_at]] = (r[name_at], r[banner_at])
            if r[kind] == "entered" and r[mine_at] not in digests:
                digests[r[mine_at]] = json.loads(r[detail_at] or "{}").get("geometry_sha256")
    out = []

    def problem(what, mine, **values):
        out.append({"kind": f"mine_{what}", "event_id": None, "last": None, "mine_id": mine,
                    "message": msg(f"reg_mine_{what}", mine=repr(mine), **values)})

    for mine, name, banner, wkb, srid in zip(mines["mine_id"], mines["name"], mines["banner"],
                                             mines["wkb"], mines["srid"]):
        if mine not in attrs:
            problem("inserted", mine)
            continue
        for field, value, want in zip(("name", "banner"), (name, banner), attrs[mine]):
            if value != want:
                problem("changed", mine, field=field, value=repr(value), want=repr(want))
        if digests.get(mine) != _geometry_digest(wkb):
            problem("changed", mine, field="geom", value="…", want="…")
        elif wkb is not None and srid != 4326:
            problem("changed", mine, field="SRS", value=repr(srid), want="4326")
    for mine in sorted(set(attrs) - set(mines["mine_id"])):
        problem("removed", mine)
    return out


def _read_mines(conn, engine, *, geometry: bool) -> pd.DataFrame:
    """The mine rows; with ``geometry`` their WKB and the SRS id each geometry carries."""
    cols = [sa.column("mine_id"), sa.column("name"), sa.column("banner")]
    if geometry:
        cols += db.geometry_sql(engine)
    query = sa.select(*cols).select_from(sa.table("register_mines")).order_by("mine_id")
    frame = _columns(conn.execute(query).all(),
                     ["mine_id", "name", "banner"] + (["wkb", "srid"] if geometry else []))
    if geometry:
        stored = frame["wkb"].tolist()
        frame["wkb"] = [db.wkb_from_stored(engine, v) for v in stored]
        if engine.dialect.name == "sqlite":
            frame["srid"] = [db.stored_srid(engine, v) for v in stored]
    return frame


# --- appending ----------------------------------------------------------------------------------
class _Plan:
    """What one write transaction appends: ids assigned in order (new mines' ``entered``
    events first), references of an import resolved, events already present skipped."""

    def __init__(self, conn, existing: pd.DataFrame, last_id: int) -> None:
        self.conn, self.existing, self.next_id = conn, existing, last_id + 1
        self.known = set(conn.execute(sa.select(db.MINES.c.mine_id)).scalars())
        self.events: list[dict] = []
        self.rows: list = []
        self.problems: list[Problem] = []
        self.new_mines = NO_MINES
        self.skipped = 0

    def _assign(self, event: dict, row) -> None:
        event["event_id"] = self.next_id
        self.next_id += 1
        self.events.append(event)
        self.rows.append(row)

    def enter(self, mines: pd.DataFrame) -> None:
        new = mines[~mines["mine_id"].isin(self.known)].drop_duplicates("mine_id")
        self.new_mines = new.reset_index(drop=True)
        for mine, banner, row in zip(new["mine_id"], new["banner"],
                                     new["row"] if "row" in new else ["-"] * len(new)):
            if _none(banner) is None:
                self.problems.append(Problem(row, "banner", None, msg("reg_new_mine_banner",
                                                                      mine=repr(mine))))
        day = today()
        geoms = new["geometry"] if "geometry" in new.columns else [None] * len(new)
        for mine, name, banner, geom in zip(new["mine_id"], new["name"], new["banner"], geoms):
            wkb = db.mine_wkb(geom) if geom is not None and not (
                isinstance(geom, float) and np.isnan(geom)) else None
            self._assign(_entered(mine, name, banner, wkb, day), "-")

    def take(self, events: list[dict], rows: list, *, history: bool, dedupe: bool) -> None:
        """Assign ids; an import's references (its own event numbers) become the register's;
        with ``dedupe``, an event equal to one already in the register is skipped."""
        mines = {e["mine_id"] for e in events}
        old = self.existing[self.existing["mine_id"].isin(mines)]
        pool: dict[tuple, list[int]] = {}
        for event in old.to_dict("records") if dedupe else ():
            pool.setdefault(event_key(event), []).append(int(event["event_id"]))
        dedupe = dedupe and bool(pool)
        mapping: dict[int, int] = {}
        for event, row in zip(events, rows):
            source = event.pop("_source_id", None)
            if history:
                for field in ("refers_to", "supersedes"):
                    if event.get(field) is not None:
                        if event[field] not in mapping:
                            self.problems.append(Problem(row, field, event[field],
                                                         msg("reg_ref_not_before")))
                        event[field] = mapping.get(event[field])
            key = event_key(event) if dedupe else None
            if dedupe and pool.get(key):
                hit = pool[key].pop(0)
                self.skipped += 1
            else:
                self._assign(event, row)
                hit = event["event_id"]
            if source is not None:
                mapping[source] = hit

    def check(self) -> None:
        if not self.events:
            return
        new = typed_events(pd.DataFrame(self.events), EVENT_COLUMNS)
        mines = set(new["mine_id"].dropna())
        corrected = set(new["supersedes"].dropna().astype(int))
        old = self.existing[self.existing["mine_id"].isin(mines) |
                            self.existing["event_id"].isin(corrected) |
                            (self.existing["event"] == "blacklisted")]
        check_in_register(old, new, self.rows, self.problems,
                          mines=self.known | set(self.new_mines["mine_id"]),
                          months=default_months())
        _check_changes(self, new)


def _check_changes(plan: _Plan, new: pd.DataFrame) -> None:
    """A ``mine_changed`` event takes the name or banner it does not change from the mine."""
    for event in plan.events:
        if event["event"] != "mine_changed":
            continue
        current = _read_one_mine(plan.conn, event["mine_id"])
        if current is None:
            known = plan.new_mines.set_index("mine_id")
            if event["mine_id"] in known.index:
                current = {f: _none(known.at[event["mine_id"], f]) for f in ("name", "banner")}
        for field in ("name", "banner"):
            if event.get(field) is None and current is not None:
                event[field] = current[field]


def _read_one_mine(conn, mine_id: str) -> dict | None:
    row = conn.execute(sa.select(db.MINES.c.name, db.MINES.c.banner)
                       .where(db.MINES.c.mine_id == mine_id)).first()
    return None if row is None else {"name": row[0], "banner": row[1]}


def _none(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _append(conn, engine: sa.Engine, plan: _Plan) -> list[int]:
    """Mines, then events with their hashes (ids of an import reserved first), then the
    changed mines' rows, then the head record."""
    _insert_mines(conn, engine, plan.new_mines)
    if not plan.events:
        return []
    n, prev = db.last_link(conn)
    stamp = _recording_time(conn)
    last, head = _insert_events(conn, plan.events, prev or _chain.genesis(
        db.register_id(conn), _legacy_upto(conn)), stamp=stamp)
    for event in plan.events:
        if event["event"] == "mine_changed":
            conn.execute(sa.update(db.MINES).where(db.MINES.c.mine_id == event["mine_id"])
                         .values(name=event["name"], banner=event["banner"]))
    db.record_head(conn, last, head)
    return [e["event_id"] for e in plan.events if e["event"] != "entered"]


def _recording_time(conn) -> str:
    """This write's ``recorded_at``: the clock, never before the register's last event — a
    clock a little behind (up to ``CLOCK_SLACK``) records at the last event's time; one
    further behind is refused, since its events would look inserted to every other machine."""
    clock = now()
    last = conn.execute(sa.select(sa.func.max(db.EVENTS.c.recorded_at))).scalar()
    if last:
        last_time = pd.Timestamp(last).to_pydatetime()
        if clock < last_time - CLOCK_SLACK:
            raise UsageError(msg("reg_clock_behind", clock=clock.isoformat(timespec="seconds"),
                                 last=last_time.isoformat(timespec="seconds")))
        clock = max(clock, last_time)
    return clock.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


#: How far behind the register's last event a writer's clock may be (it then records at the
#: last event's time).
CLOCK_SLACK = dt.timedelta(minutes=10)


def _insert_events(conn, events: list[dict], prev: str, *, stamp: str | None = None
                   ) -> tuple[int, str]:
    """Append ``events`` (their ids assigned) chained after ``prev``; the last id and hash.
    Rows go to the driver as data — executemany with placeholders (SQLite) or COPY … FROM
    STDIN (PostgreSQL) — never as SQL text."""
    stamp = stamp or now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    stored = [[_stored(c, event.get(c)) for c in EVENT_COLUMNS[:-1]] + [stamp]
              for event in events]
    rows = []
    for row, content in zip(stored, _chain.canonical_all(list(zip(*stored)))):
        digest = _chain.link(prev, content)
        rows.append(tuple(row) + (prev, digest))
        prev = digest
    names = ", ".join(HISTORY_COLUMNS)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY register_events ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(HISTORY_COLUMNS))
        conn.exec_driver_sql(f"INSERT INTO register_events ({names}) VALUES ({marks})", rows)
    return rows[-1][0], prev


def _entered(mine: str, name, banner, wkb: bytes | None, day: dt.date) -> dict:
    """The ``entered`` event of a mine: its name, banner and the digest of its boundary."""
    detail = json.dumps({"geometry_sha256": _geometry_digest(wkb)}, sort_keys=True)
    return {"mine_id": mine, "event": "entered", "date": day, "name": _none(name),
            "banner": _none(banner), "detail": detail}


def upgrade(location: str | os.PathLike) -> dict[str, object]:
    """Bring a register of schema 1 (ordos_geo 0.1, before the hash chain) to schema 2 in one
    transaction: its events chained as they are (their numbers kept, earlier gaps allowed),
    an ``entered`` event for every mine and a ``blacklisted`` event for every blacklist entry
    appended, the new triggers (and the PostgreSQL writer role) in place. What was changed
    before the upgrade cannot be told from the chain; back the file up first. Returns the
    counts and the new head."""
    engine = db.connect(location, must_exist=False)
    try:
        version = db.schema_version(engine, location)
        if version == db.SCHEMA_VERSION:
            raise UsageError(msg("reg_current", db=db.shown(location)))
        if version != "1":
            raise InputFileError(msg("reg_schema", db=db.shown(location), version=version,
                                     want=db.SCHEMA_VERSION))
        with engine.begin() as conn:
            out = _upgrade_v1(conn, engine, location)
    finally:
        engine.dispose()
    return out


def _upgrade_v1(conn, engine, location) -> dict[str, object]:
    db.upgrade_v1(conn, location)
    register_id = uuid.uuid4().hex
    conn.execute(sa.insert(db.META), [{"key": "register_id", "value": register_id}])
    rows = [list(r) for r in db.chain_rows(conn, columns=EVENT_COLUMNS)]
    legacy = int(rows[-1][0]) if rows else 0
    prev = _chain.genesis(register_id, legacy)
    for row, content in zip(rows, _chain.canonical_all(list(zip(*rows))) if rows else []):
        digest = _chain.link(prev, content)
        conn.execute(sa.update(db.EVENTS).where(db.EVENTS.c.event_id == row[0])
                     .values(prev_hash=prev, hash=digest))
        prev = digest
    day = today()
    mines = _read_mines(conn, engine, geometry=True)
    new = [_entered(m, n, b, w, day) for m, n, b, w in zip(
        mines["mine_id"], mines["name"], mines["banner"], mines["wkb"])]
    listed = conn.exec_driver_sql("SELECT organisation, date, reason, responsible FROM "
                                  "register_blacklist ORDER BY entry_id").all()
    new += [{"event": "blacklisted", "date": d, "evaluator_org": o, "note": r,
             "responsible": p} for o, d, r, p in listed]
    for k, event in enumerate(new, start=legacy + 1):
        event["event_id"] = k
    last, head = _insert_events(conn, new, prev) if new else (legacy, prev)
    db.record_head(conn, last, head)
    conn.execute(sa.update(db.META).where(db.META.c.key == "schema")
                 .values(value=db.SCHEMA_VERSION))
    conn.execute(sa.insert(db.META), [{"key": "legacy_upto", "value": str(legacy)},
                                      {"key": "upgraded_from", "value": "1"}])
    db.finish_upgrade(conn, location)
    return {"events": len(rows), "mines": len(mines), "blacklist": len(listed),
            "head": _chain.head_text(last, head if last else None)}


def _stored(column: str, value):
    """A value as the register stores (and hashes) it: dates as ISO text, scores as floats."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if column in DATES:
        return value.isoformat()[:10] if isinstance(value, dt.date) else str(value)[:10]
    if column in ("score", "score_max"):
        return float(value) + 0.0  # no negative zero: SQLite would store 0.0
    if column in ("event_id", "refers_to", "supersedes"):
        return int(value)
    return value


def _insert_mines(conn, engine: sa.Engine, new: pd.DataFrame) -> None:
    if not len(new):
        return
    geoms = new["geometry"] if "geometry" in new.columns else [None] * len(new)
    rows = [{"mine_id": m, "name": _none(n), "banner": _none(b),
             "geom": db.geometry_param(engine, g)}
            for m, n, b, g in zip(new["mine_id"], new["name"], new["banner"], geoms)]
    stmt = sa.insert(db.MINES).values(mine_id=sa.bindparam("mine_id"), name=sa.bindparam("name"),
                                      banner=sa.bindparam("banner"),
                                      geom=db.mine_geometry_sql(engine))
    conn.execute(stmt, rows)


def _columns(rows: list, names: list[str]) -> pd.DataFrame:
    """A frame from the driver's row tuples, built column by column (object columns; the
    callers type what they use)."""
    table = np.empty((len(rows), len(names)), dtype=object)
    if rows:
        table[:] = [tuple(r) for r in rows]
    return pd.DataFrame({n: pd.Series(table[:, k], dtype=object) for k, n in enumerate(names)})


def init(location: str | os.PathLike, *, sites=None) -> Register:
    """Create a register (a new ``.gpkg`` file, or the tables in an empty PostgreSQL database)
    and, with ``sites``, enter its mines (the sites of kind ``mine``, with their boundaries)."""
    register = Register(location, _engine=db.create(location), verify=False)
    if sites is not None:
        register.add_mines(mines_of_sites(sites))
    return register


def open_register(location: str | os.PathLike, *, verify: bool = True) -> Register:
    """Open an existing register (refused when there is none), verifying its chain and mine
    rows first (:class:`TamperedError` when they do not hold); ``verify=False`` only for
    :meth:`Register.verify` itself."""
    return Register(location, verify=verify)


