"""Each mine's state on a day, derived from its events: the one definition
(:func:`current_state`), vectorised over all mines at once."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ._checks import DEFAULT_SCORE_MAX, effective_events, parse_date, rules, today
from ._rectification import REMOVABLE, finding_items

__all__ = ["current_state", "summary_by_banner", "STATE_COLUMNS", "PIPELINE"]

STATE_COLUMNS = ["mine_id", "name", "banner", "listed", "level", "stage", "listed_date",
                 "removed_date", "verification_score", "verification_passed", "last_spot_check",
                 "n_spot_checks", "open_findings", "next_due", "overdue", "n_events",
                 "failed_recheck", "removable"]
PIPELINE = ["applied", "initial_evaluation", "verification", "public_notice", "listed",
            "removed", "reinstated"]


def as_of_day(as_of: str | dt.date | None) -> pd.Timestamp:
    """``as_of`` as a day (default: today in China); a bad date is a ValueError."""
    if as_of is None:
        return pd.Timestamp(today())
    day = parse_date(as_of)
    if day in (None, "?"):
        raise ValueError(as_of)
    return pd.Timestamp(day)


def current_state(events: pd.DataFrame, *, mines: pd.DataFrame | None = None,
                  as_of: str | dt.date | None = None, months: int | None = None
                  ) -> pd.DataFrame:
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
    * the findings as rectification items (:func:`ordos_geo.register._rectification.finding_items`, the
      one rule): ``open_findings`` — items not rectified; ``next_due`` — the earliest deadline
      among them; ``overdue`` — an item is overdue; ``failed_recheck`` — an item failed its
      re-check; ``removable`` — either (a listed mine to remove from the list);
    * ``n_events`` — the mine's events counted (corrections, entries and changes of its
      name or banner not).
    """
    day = as_of_day(as_of)
    eff = effective_events(events)
    eff = eff[eff["date"].to_numpy(dtype="datetime64[ns]") <= day.to_datetime64()]
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
    _add_findings(out, events, ids, day, months)
    if mines is not None:
        out = out.merge(mines[["mine_id", "name", "banner"]], on="mine_id", how="left")
    else:
        out["name"], out["banner"] = None, None
    return out[STATE_COLUMNS]


def _add_findings(out: pd.DataFrame, events: pd.DataFrame, ids: pd.Index, day, months) -> None:
    items = finding_items(events, as_of=day, months=months)
    unclosed = items[items["status"] != "rectified"]
    pos = ids.get_indexer(unclosed["mine_id"])
    n = len(ids)
    out["open_findings"] = np.bincount(pos, minlength=n)
    next_due = pd.Series(unclosed["due"].to_numpy(dtype="datetime64[ns]")).groupby(pos).min()
    out["next_due"] = next_due.reindex(range(n)).to_numpy(dtype="datetime64[ns]")
    for column, statuses in (("overdue", ("overdue",)), ("failed_recheck", ("failed_recheck",)),
                             ("removable", REMOVABLE)):
        hit = pos[unclosed["status"].isin(statuses).to_numpy()]
        out[column] = np.bincount(hit, minlength=n) > 0


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


def summary_by_banner(state: pd.DataFrame) -> pd.DataFrame:
    """Per banner: mines, listed (national, regional), removed, open findings, overdue,
    removable."""
    frame = state.assign(banner=state["banner"].fillna("—"),
                         _national=state["listed"] & (state["level"] == "national"),
                         _regional=state["listed"] & (state["level"] == "regional"))
    grouped = frame.groupby("banner", sort=True)
    out = pd.DataFrame({
        "n_mines": grouped.size(),
        "listed": grouped["listed"].sum().astype(int),
        "national": grouped["_national"].sum().astype(int),
        "regional": grouped["_regional"].sum().astype(int),
        "removed": grouped["removed_date"].count().astype(int),
        "open_findings": grouped["open_findings"].sum().astype(int),
        "overdue": grouped["overdue"].sum().astype(int)})
    if "removable" in frame:
        out["removable"] = grouped["removable"].sum().astype(int)
    return out.reset_index()
