"""The one answer to "is it overdue?": every finding of the register as a rectification item,
with its deadline, when it was closed and its status. The register's state, the rectification
and removal lists, the spot-check weights and the supervision map all read it.

A finding's **deadline** is the ``due_date`` of its latest ``rectification_due``, else
``months`` (6) after it was found. A finding that ``refers_to`` another is a **failed re-check**
of it (and of what that one refers to): the problem persists. A ``rectified`` event closes the
finding it refers to and every finding of the same problem (its re-checks and what they refer
to) found before it; a ``rectified`` without reference closes every finding of the mine found
before it. A finding is

* ``rectified`` — closed after it was found and after its last failed re-check;
* ``failed_recheck`` — a re-check failed and no rectification came after it;
* ``overdue`` — not closed and its deadline is before ``as_of``;
* ``open`` — otherwise.

``overdue`` and ``failed_recheck`` make a listed mine **removable** (移出名录). Events are
ordered by date, then by recording (``event_id``). Vectorised: no loop per finding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks import effective_events, rules

__all__ = ["finding_items", "ITEM_COLUMNS", "REMOVABLE", "default_months"]

ITEM_COLUMNS = ["mine_id", "finding_id", "found", "due", "closed", "status", "rechecks_failed"]
REMOVABLE = ("overdue", "failed_recheck")
_DAY = 10**9  # order key: days × 10⁹ + event_id


def default_months() -> int:
    return int(rules()["rectification_months"])


def _keys(frame: pd.DataFrame) -> np.ndarray:
    days = frame["date"].to_numpy(dtype="datetime64[D]").astype("int64")
    return days * _DAY + frame["event_id"].to_numpy(dtype="int64")


def finding_items(events: pd.DataFrame, *, as_of, months: int | None = None) -> pd.DataFrame:
    """Every finding dated up to ``as_of`` as an item (:data:`ITEM_COLUMNS`), from the
    register's events (corrections applied here). See the module text for the rules."""
    months = int(months if months is not None else default_months())
    day = pd.Timestamp(as_of).normalize()
    eff = effective_events(events)
    eff = eff[pd.to_datetime(eff["date"]) <= day].copy()
    eff["date"] = pd.to_datetime(eff["date"])
    eff["event_id"] = eff["event_id"].astype("int64")
    found = eff[eff["event"] == "finding"].sort_values("event_id").reset_index(drop=True)
    if not len(found):
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(ITEM_COLUMNS, [
            object, "int64", "datetime64[ns]", "datetime64[ns]", "datetime64[ns]", object,
            "int64"])})
    ids = found["event_id"].to_numpy()
    key = _keys(found)
    parent = _parents(found, ids)
    root = _roots(parent)
    last_fail, n_fail = _failures(parent, key)
    threshold = np.maximum(key, last_fail)
    closed = _closures(eff, found, ids, root, threshold)
    due = _deadlines(eff, found, months)
    status = np.select([closed.notna().to_numpy(), n_fail > 0, (due < day).to_numpy()],
                       ["rectified", "failed_recheck", "overdue"], "open")
    return pd.DataFrame({"mine_id": found["mine_id"].to_numpy(dtype=object),
                         "finding_id": ids, "found": found["date"].to_numpy(),
                         "due": due.to_numpy(), "closed": closed.to_numpy(),
                         "status": status.astype(object), "rechecks_failed": n_fail})


def _parents(found: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    """Position of the finding each finding refers to (-1: none, or not an earlier finding)."""
    ref = pd.to_numeric(found["refers_to"], errors="coerce").to_numpy(dtype=float)
    pos = pd.Index(ids).get_indexer(np.nan_to_num(ref, nan=-1).astype("int64"))
    pos[np.isnan(ref)] = -1
    return pos


def _roots(parent: np.ndarray) -> np.ndarray:
    root = np.arange(len(parent))
    up = parent.copy()
    while (up >= 0).any():
        has = up >= 0
        root[has] = up[has]
        up = np.where(has, parent[np.maximum(up, 0)], -1)
    return root


def _failures(parent: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per finding, the order key of its latest failed re-check (any finding below it) and
    their number."""
    last = np.full(len(parent), np.iinfo("int64").min, dtype="int64")
    count = np.zeros(len(parent), dtype="int64")
    child = np.arange(len(parent))
    up = parent.copy()
    while (up >= 0).any():
        has = up >= 0
        np.maximum.at(last, up[has], key[child[has]])
        np.add.at(count, up[has], 1)
        up = np.where(has, parent[np.maximum(up, 0)], -1)
    return last, count


def _closures(eff: pd.DataFrame, found: pd.DataFrame, ids: np.ndarray, root: np.ndarray,
              threshold: np.ndarray) -> pd.Series:
    """Per finding, the date of the first rectification of its problem (or a blanket one of its
    mine) ordered after ``threshold``; NaT when none."""
    fixed = eff[eff["event"] == "rectified"]
    ref = pd.to_numeric(fixed["refers_to"], errors="coerce")
    targeted = fixed[ref.notna().to_numpy()]
    pos = pd.Index(ids).get_indexer(ref.dropna().astype("int64"))
    targeted = targeted[pos >= 0].assign(group=root[pos[pos >= 0]])
    blanket = fixed[ref.isna().to_numpy()]
    items = pd.DataFrame({"k": threshold, "group": root, "mine_id": found["mine_id"].to_numpy(),
                          "i": np.arange(len(ids))})
    best = pd.Series(pd.NaT, index=range(len(ids)), dtype="datetime64[ns]")
    for closers, by in ((targeted, "group"), (blanket, "mine_id")):
        if not len(closers):
            continue
        table = pd.DataFrame({"k": _keys(closers), by: closers[by].to_numpy(),
                              "closed": closers["date"].to_numpy()}).sort_values("k")
        hit = pd.merge_asof(items.sort_values("k"), table, on="k", by=by,
                            direction="forward", allow_exact_matches=False)
        got = hit.set_index("i")["closed"].reindex(range(len(ids)))
        best = best.where(best.notna() & ((got.isna()) | (best <= got)), got)
    return best.reset_index(drop=True)


def _deadlines(eff: pd.DataFrame, found: pd.DataFrame, months: int) -> pd.Series:
    """The latest deadline set for each finding, else ``months`` after it was found."""
    dues = eff[(eff["event"] == "rectification_due") & eff["refers_to"].notna()]
    latest = dues.assign(ref=pd.to_numeric(dues["refers_to"]).astype("int64")) \
        .sort_values(["date", "event_id"]).drop_duplicates("ref", keep="last") \
        .set_index("ref")["due_date"]
    set_ = pd.Series(pd.to_datetime(latest.reindex(found["event_id"].to_numpy()).to_numpy()),
                     index=found.index)
    default = found["date"] + pd.DateOffset(months=months)
    return set_.where(set_.notna(), default).reset_index(drop=True)
