"""The rules checked again over every event on the record, when a register is verified.

The hash chain proves that no event was changed, removed or inserted *between* others; an
event appended by another program with a correctly computed hash (and head record) extends
the chain like one of ours. So verification also asks of every recorded event what
:func:`ordos_geo.register._checks.check_event` and the register's checks asked when it was
signed in: a known kind, the mine present or absent as its scope wants, real dates up to the day
it was recorded, scores within range, every field its kind needs, every signature a cleaned
name, references to earlier events of the same mine, corrections signed as what they produce,
no verification by an evaluator already blacklisted, the sequence model — and recording times
that only go forward. An appended forgery must then be an event the tool itself would have
accepted, under the names it carries. Events of a register upgraded from schema 1, up to
``legacy_upto``, were never checked so and are left out (they are chained, not judged).

Vectorised over all events; the per-mine replays only for the mines that need them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.messages import msg
from ._checks import CHINA, DATE_RANGE, DEFAULT_SCORE_MAX, NAME_FIELDS, Problem, now, rules
from ._names import NameRefused, clean_name
from ._sequence import check_blacklist, check_corrections, check_references, sequence_problems

__all__ = ["audit"]


def audit(events: pd.DataFrame, *, legacy_upto: int = 0, months: int = 6) -> list[dict]:
    """Every recorded event after ``legacy_upto`` that breaks the rules: one problem per
    event (``kind`` ``rules``, ``event_id``, ``message``), in chain order."""
    if not len(events):
        return []
    found: dict[int, str] = {}
    judged = events[events["event_id"] > legacy_upto]
    _fields(judged, found)
    _names(judged, found)
    _recorded(events, judged, found)
    problems: list[Problem] = []
    row_of = {int(i): int(i) for i in judged["event_id"]}
    by_id = events.set_index("event_id", drop=False)
    for event in judged[judged["refers_to"].notna() | judged["supersedes"].notna()] \
            .to_dict("records"):
        check_references(event, by_id, event["event_id"], problems)
    for p in problems:  # what the rest reads must point somewhere first
        found.setdefault(int(p.row), f"{p.field} = {p.value!r}: {p.why}")
    if not problems:
        problems = []
        check_corrections(events, judged, by_id, row_of, problems, months=months)
        check_blacklist(events, judged, row_of, problems)
        for p in problems:
            found.setdefault(int(p.row), f"{p.field} = {p.value!r}: {p.why}")
        touched = set(judged["mine_id"].dropna()) | set(events.loc[events["event_id"].isin(
            judged["supersedes"].dropna()), "mine_id"].dropna())
        for culprit, why in _sequence_culprits(events[events["mine_id"].isin(touched)],
                                               months).items():
            if culprit > legacy_upto:
                found.setdefault(culprit, why)
    return [{"kind": "rules", "event_id": k, "last": None, "mine_id": None,
             "message": msg("reg_break_rules", id=k, why=found[k])} for k in sorted(found)]


def _sequence_culprits(events: pd.DataFrame, months: int) -> dict[int, str]:
    """The events that break the sequence model, each charged to the event whose recording
    made it break: for a mine whose events break it, its events are replayed in the order
    recorded, and the first whose arrival brings a problem is named (a removal backdated
    before a recorded spot check is the culprit, not the spot check)."""
    problems = sequence_problems(events, months)
    if not problems:
        return {}
    out: dict[int, str] = {}
    mine_of = events.set_index("event_id")["mine_id"]
    for mine in sorted({mine_of.get(k) for k in problems} - {None}, key=str):
        own = events[events["mine_id"] == mine].sort_values("event_id")
        ids = own["event_id"].tolist()
        for k in range(1, len(ids) + 1):
            found = sequence_problems(own.iloc[:k], months)
            if found:
                victim, (field, value, why) = next(iter(found.items()))
                culprit = int(ids[k - 1])
                text = f"{field} = {value!r}: {why}"
                if victim != culprit:
                    text = msg("reg_breaks_later", event_id=victim, why=text)
                out[culprit] = text
                break
    return out


def _note(found: dict, mask, ids: pd.Series, why: str) -> None:
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        for event_id in ids.to_numpy()[mask].tolist():
            found.setdefault(int(event_id), why)


class _Kinds:
    """Masks by event kind from one factorisation (comparing object columns is slow)."""

    def __init__(self, kinds: pd.Series) -> None:
        self.codes, uniques = pd.factorize(kinds.to_numpy(dtype=object))
        self.index = {k: i for i, k in enumerate(uniques)}
        self.n = len(kinds)

    def of(self, kind) -> np.ndarray:
        i = self.index.get(kind)
        return np.zeros(self.n, dtype=bool) if i is None else self.codes == i

    def mapped(self, table: dict) -> np.ndarray:
        """Per event, ``table[kind]`` (False for a kind not in it)."""
        lookup = np.array([bool(table.get(k, False)) for k in self.index] + [False])
        return lookup[np.where(self.codes < 0, len(self.index), self.codes)]


def _fields(ev: pd.DataFrame, found: dict) -> None:
    """Kind, scope, dates, level, scores and the fields each kind needs, for every event."""
    spec = rules()["events"]
    ids = ev["event_id"]
    kinds = _Kinds(ev["event"])
    _note(found, ~kinds.mapped({k: True for k in spec}), ids,
          msg("reg_bad_event", allowed=", ".join(spec)))
    wide = kinds.mapped({k: s.get("scope") == "register" for k, s in spec.items()})
    mine = ev["mine_id"].notna().to_numpy()
    _note(found, wide & mine, ids, msg("reg_register_wide"))
    _note(found, ~wide & ~mine, ids, msg("reg_no_mine_id"))
    low, high = (pd.Timestamp(d) for d in DATE_RANGE)
    date = pd.to_datetime(ev["date"])
    _note(found, date.isna() | (date < low) | (date > high), ids,
          msg("reg_bad_date", lo=DATE_RANGE[0], hi=DATE_RANGE[1]))
    due = pd.to_datetime(ev["due_date"])
    _note(found, due.notna() & ((due < low) | (due > high)), ids,
          msg("reg_bad_date", lo=DATE_RANGE[0], hi=DATE_RANGE[1]))
    _note(found, ev["level"].notna() & ~ev["level"].isin(["national", "regional"]), ids,
          msg("reg_bad_level"))
    fixed = ev["corrected_event"]
    allowed = [k for k, s in spec.items() if not s.get("internal") and k not in (
        "correction", "blacklisted", "mine_changed")] + ["void"]
    _note(found, fixed.notna() & ~fixed.isin(allowed), ids, msg("reg_bad_correction"))
    score, top = ev["score"].astype(float), ev["score_max"].astype(float)
    _note(found, score.notna() & ~(np.isfinite(score) & (score >= 0)), ids,
          msg("reg_bad_score"))
    _note(found, top.notna() & ~(np.isfinite(top) & (top > 0)), ids, msg("reg_bad_score_max"))
    _note(found, score > top.fillna(DEFAULT_SCORE_MAX), ids,
          msg("reg_score_max", top=f"{DEFAULT_SCORE_MAX:g}"))
    for kind, kind_spec in spec.items():
        this = kinds.of(kind)
        if not this.any():
            continue
        for field in kind_spec.get("needs", []):
            _note(found, this & ev[field].isna().to_numpy(), ids,
                  msg("reg_needs", event=kind, zh=kind_spec["zh"], field=field))
    changed = kinds.of("mine_changed")
    _note(found, changed & (ev["name"].isna() & ev["banner"].isna()).to_numpy(), ids,
          msg("reg_needs", event="mine_changed", zh=spec["mine_changed"]["zh"],
              field="name / banner"))
    entered = ev[kinds.of("entered")]
    _note(found, entered["mine_id"].duplicated(), entered["event_id"], msg("reg_entered_twice"))


def _names(ev: pd.DataFrame, found: dict) -> None:
    """Every name on the record is a cleaned name; every signature a kind needs is there."""
    spec = rules()["events"]
    ids, kinds = ev["event_id"], _Kinds(ev["event"])
    for field in NAME_FIELDS:
        codes, uniques = pd.factorize(ev[field].to_numpy(dtype=object))
        clean = np.array([_is_clean(u) for u in uniques] + [True], dtype=bool)
        given = codes >= 0
        _note(found, ~clean[np.where(given, codes, len(uniques))], ids,
              msg("reg_not_a_name", reason=f"{field}"))
        # (a correction's signatures are those of what it produces: check_corrections)
        need = kinds.mapped({k: field in s.get("signed_by", []) and k != "correction"
                             for k, s in spec.items()})
        _note(found, need & ~given, ids, msg("reg_unsigned_field", field=field))


def _is_clean(value) -> bool:
    try:
        return clean_name(value) == value
    except NameRefused:
        return False


def _recorded(events: pd.DataFrame, ev: pd.DataFrame, found: dict) -> None:
    """Recording times go forward, are not in the future, and no event is dated after the day
    it was recorded."""
    stamp = pd.to_datetime(events["recorded_at"], utc=True, errors="coerce", format="ISO8601")
    back = stamp < stamp.cummax().shift(1)
    judged = events["event_id"].isin(ev["event_id"])
    ids = events["event_id"]
    ahead = stamp > pd.Timestamp(now()) + pd.Timedelta(days=1)  # a clock a little ahead is fine
    _note(found, judged & (stamp.isna() | back | ahead), ids, msg("reg_recorded_order"))
    day = stamp.dt.tz_convert(CHINA).dt.tz_localize(None).dt.normalize()
    late = (pd.to_datetime(events["date"]) > day) | (pd.to_datetime(events["corrected_date"])
                                                     > day)
    _note(found, judged & late, ids, msg("reg_after_recording"))
