"""Register tables from outside: the listing and history tables a bureau imports (CSV/XLSX,
Chinese headers and values, ordos_geo's own exports), read into mines and checked events, and
the mines of a sites layer."""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np
import pandas as pd

from ..core.errors import ValidationError
from ..core.messages import msg
from ..core.schema import Invalid, header_key, id_key, normalise_id, schema
from ..core.yaml_tables import load_table
from ._checks import (
    EVENT_COLUMNS,
    Problem,
    canonical_value,
    check_event,
    missing,
    parse_event_number,
    raise_if,
    rules,
    typed_events,
)

__all__ = ["read_register_table", "events_of_table", "mines_of_table", "events_of",
           "check_exported_chain",
           "mines_of_sites", "checked_mines", "with_geometry", "NO_MINES"]

NO_MINES = pd.DataFrame({"mine_id": [], "name": [], "banner": []})


def mines_of_sites(sites) -> pd.DataFrame:
    mines = sites[sites["kind"] == "mine"] if "kind" in sites.columns else sites
    mines = mines.to_crs("EPSG:4326")
    return pd.DataFrame({"mine_id": mines["site_id"].astype(str).to_numpy(),
                         "name": mines.get("name"), "banner": mines.get("banner"),
                         "geometry": mines.geometry.to_numpy()})


def checked_mines(mines: pd.DataFrame, row) -> pd.DataFrame:
    """Mines with their ids, names and banners in one spelling (unknown banners refused)."""
    problems: list[Problem] = []
    out = mines.copy()
    for col in ("name", "banner"):
        if col not in out.columns:
            out[col] = None
    checked = []
    for k, raw in enumerate(out[["mine_id", "name", "banner"]].to_dict("records")):
        event = {}
        try:
            event["mine_id"] = normalise_id(raw["mine_id"])
        except Invalid as exc:
            problems.append(Problem(row, "mine_id", raw["mine_id"], msg("reg_bad_id",
                                                                        reason=exc.code)))
        banner = raw["banner"]
        if banner is not None and not (isinstance(banner, float) and np.isnan(banner)):
            try:
                banner = schema().normalise("banner", banner)
            except Invalid:
                problems.append(Problem(row, "banner", banner, msg(
                    "reg_bad_banner", allowed="、".join(schema().banners))))
        checked.append((event.get("mine_id"), banner))
    raise_if(problems, msg("reg_event_refused"))
    out["mine_id"] = [c[0] for c in checked]
    out["banner"] = [c[1] for c in checked]
    return out.dropna(subset=["mine_id"])


def with_geometry(mines: pd.DataFrame, sites) -> pd.DataFrame:
    """``mines`` with the boundary of the site of the same id (ids compare case-folded)."""
    shapes = mines_of_sites(sites)
    by_key = dict(zip(shapes["mine_id"].map(id_key), shapes["geometry"]))
    out = mines.copy()
    out["geometry"] = out["mine_id"].map(lambda m: by_key.get(id_key(str(m))))
    return out


def read_register_table(path: str | os.PathLike) -> pd.DataFrame:
    """A register table (CSV in UTF-8 or GBK, or XLSX) with its columns named canonically
    through the alias table's ``register`` section (also the headers ordos_geo writes), read
    by the one user-table reader (:func:`ordos_geo.io.tables.read_user_table`); other columns
    are dropped; an empty cell is None."""
    from ..io.tables import read_user_table

    table = read_user_table(path, table="register", what=msg("what_register"),
                            required=["mine_id"]).frame
    out = {}
    for col in table.columns:  # object columns (pandas 3 would infer str with NaN)
        values = table[col].to_numpy(dtype=object).copy()
        blank = np.array([v is None or (isinstance(v, float) and np.isnan(v)) or
                          (isinstance(v, str) and not v.strip()) for v in values], dtype=bool)
        values[blank] = None
        if col in LABELLED:
            values = np.array([_code_of(v) for v in values], dtype=object)
        out[col] = pd.Series(values, index=table.index, dtype=object)
    return pd.DataFrame(out, index=table.index)


#: Columns whose values ordos_geo writes for people as labels (an XLSX export: 抽查, 国家级,
#: "On the list"): read back as their codes, so an export reads back — and its hashes hold —
#: as it was written. Other spellings go on to the register's own (``values`` of register.yaml).
LABELLED = ("event", "corrected_event", "level", "status", "stage")


@lru_cache(maxsize=1)
def _labels() -> dict[str, str]:
    """``header_key(label)`` → code, for the labels of every language (``values`` of
    ``resources/symbology.yaml``)."""
    out: dict[str, str] = {}
    for labels in load_table("symbology")["values"].values():
        for code, label in labels.items():
            out.setdefault(header_key(label), str(code))
    return out


def _code_of(value):
    return _labels().get(header_key(value), value) if isinstance(value, str) else value


def events_of(table: pd.DataFrame, path) -> tuple[pd.DataFrame, list[dict], list[int]]:
    """Mines and events of a listing or history table; every bad row named at once. Rows of
    the events ordos_geo records itself (``entered``, ``spot_check_plan``) are not events
    to import: the importing register records its own."""
    problems: list[Problem] = []
    events, rows = [], []
    history = "event" in table.columns
    for k, raw in enumerate(table.to_dict("records"), start=2):  # row 1 is the header
        if history and rules()["events"].get(canonical_value("event", raw.get("event")),
                                             {}).get("internal"):
            continue
        parts = [dict(raw)] if history else _listing_events(raw, k, problems)
        for part in parts:
            event = check_event(part, k, problems)
            if event is not None:
                source = _source_id(raw, history)
                if source == "?":
                    problems.append(Problem(k, "event_id", raw.get("event_id"),
                                            msg("reg_bad_event_id")))
                event["_source_id"] = source if source != "?" else None
                events.append(event)
                rows.append(k)
    mines = _table_mines(table, k_problems=problems)
    raise_if(problems, msg("reg_nothing_imported", path=path))
    return mines, events, rows


def _source_id(raw: dict, history: bool):
    if not history or raw.get("event_id") in (None, ""):
        return None
    return parse_event_number(raw.get("event_id"))


def _table_mines(table: pd.DataFrame, *, k_problems: list[Problem]) -> pd.DataFrame:
    """The mines a table names, with the latest name and banner given for each (a history's
    ``mine_changed`` after its ``entered``) and the row that first names it (``row``)."""
    ids = []
    for value in table["mine_id"]:
        try:
            ids.append(None if missing(value) else normalise_id(value))
        except Invalid:
            ids.append(None)  # the event check named it
    frame = pd.DataFrame({"mine_id": ids, "name": table.get("name"),
                          "banner": table.get("banner"), "row": np.arange(2, len(ids) + 2)})
    frame = frame.dropna(subset=["mine_id"])
    if not len(frame):
        return NO_MINES.copy()
    grouped = frame.groupby("mine_id", sort=False)
    latest = grouped[["name", "banner"]].last().join(grouped["row"].first()).reset_index()
    latest = latest.astype(object).where(latest.notna(), None)
    try:
        return checked_mines(latest, "-")
    except ValidationError as exc:
        for p in exc.report.itertuples():
            k_problems.append(Problem(p.row, p.field, p.value, p.why))
        return NO_MINES.copy()


def check_exported_chain(table: pd.DataFrame, path) -> None:
    """A history exported by ``register export --history`` carries each event's ``prev_hash``
    and ``hash``: they must still link up and match each row's content (and the
    ``register_head`` column the last row), else the table was changed after it was exported
    and is refused, naming the first row that does not hold. A table without them is a table
    like any other."""
    from . import _chain

    if "hash" not in table.columns and "prev_hash" not in table.columns:
        return
    if not {"hash", "prev_hash", "register_head"} <= set(table.columns):
        raise ValidationError(msg("reg_export_cut", path=path))
    prev = None
    for k, row in enumerate(table.to_dict("records"), start=2):
        values = [None if missing(row.get(c)) or row.get(c) == "" else row.get(c)
                  for c in _chain.HASHED]
        own, before = row.get("hash"), row.get("prev_hash")
        good = own and before and (prev is None or before == prev) and \
            _chain.link(str(before), _chain.canonical(values)) == own
        if not good:
            raise ValidationError(msg("reg_export_changed", path=path, row=k,
                                      event_id=row.get("event_id")))
        prev = own
    heads = table["register_head"]
    if len(table) and (missing(heads.iloc[-1]) or heads.iloc[-1] != _chain.head_text(
            int(float(table["event_id"].iloc[-1])), prev)):
        raise ValidationError(msg("reg_export_changed", path=path, row=len(table) + 1,
                                  event_id=table["event_id"].iloc[-1]))


def events_of_table(table: pd.DataFrame, *, path: str = "<table>") -> pd.DataFrame:
    """The events of a history table (``register export --history``) as a register holds
    them — every field checked as on import, the table's own event numbers kept — so that
    :func:`current_state` of a history file equals that of its register."""
    problems: list[Problem] = []
    events = []
    for k, raw in enumerate(table.to_dict("records"), start=2):
        event = check_event(raw, k, problems, internal=True)
        number = parse_event_number(raw.get("event_id"))
        if number in (None, "?"):
            problems.append(Problem(k, "event_id", raw.get("event_id"), msg("reg_bad_event_id")))
        elif event is not None:
            events.append({**event, "event_id": number})
    raise_if(problems, msg("reg_nothing_imported", path=path))
    return typed_events(pd.DataFrame(events, columns=EVENT_COLUMNS), EVENT_COLUMNS)


def mines_of_table(table: pd.DataFrame) -> pd.DataFrame:
    """The mines a register table names, with the first name and banner given for each."""
    problems: list[Problem] = []
    mines = _table_mines(table, k_problems=problems)
    raise_if(problems, msg("reg_nothing_imported", path="<table>"))
    return mines


def _listing_events(raw: dict, row: int, problems: list[Problem]) -> list[dict]:
    status = canonical_value("status", raw.get("status")) or "listed"
    if status == "?":
        problems.append(Problem(row, "status", raw.get("status"), msg("reg_bad_status")))
        return []
    listed = {**raw, "event": "listed", "date": raw.get("listed_date")}
    if status == "listed":
        return [listed]
    return [listed, {**raw, "event": "removed", "date": raw.get("removed_date"), "level": None}]
