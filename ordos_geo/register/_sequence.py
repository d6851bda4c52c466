"""What may follow what in a mine's history (``register.yaml``: ``sequence``), checked over the
events as they stand after corrections, each mine's events in order of date, then of
recording. The listing status part is vectorised over all mines; verifications, findings and
deadlines are replayed per mine, only for the mines that have them.

Besides the listing status each event needs:

* ``listed`` and ``public_notice`` need the mine's last verification dated before them, if any,
  to have passed — and the latest-dated verification *recorded* before them too, so a listing
  cannot be backdated under a failed verification already on the record;
* ``rectification_due`` and ``rectified`` refer to a finding of the mine found before them and
  not yet rectified (a ``rectified`` without reference closes every open finding and needs
  one); a deadline is not before its finding and is set before the one in force has passed;
* **what the register knew counts**: an item whose deadline passed while the register held its
  finding cannot be extended by a deadline recorded after that, whatever date the deadline
  bears, and its rectification recorded after that is dated after the deadline it missed (an
  overdue item is rectified late, not backdated into time). A correction counts as recorded
  when the correction is. Backfilling a history whose deadlines passed before the register
  knew of the finding stays possible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.messages import msg
from ._checks import (
    CHINA,
    CORRECTABLE,
    DEFAULT_SCORE_MAX,
    Problem,
    check_needs,
    effective_events,
    passed_verification,
    rules,
    today,
)
from ._names import name_key

__all__ = ["sequence_problems", "check_in_register", "check_references", "check_corrections",
           "check_blacklist"]

_STATUS_AFTER = {"listed": "listed", "reinstated": "listed", "removed": "removed"}
_FINDING_KINDS = ("finding", "rectification_due", "rectified")


def _recorded_days(eff: pd.DataFrame) -> pd.Series:
    """The day (in China) each event was recorded; today for events not yet recorded."""
    stamps = pd.to_datetime(eff["recorded_at"], utc=True, errors="coerce", format="ISO8601") \
        if "recorded_at" in eff else pd.Series(pd.NaT, index=eff.index)
    days = stamps.dt.tz_convert(CHINA).dt.tz_localize(None).dt.normalize()
    return days.fillna(pd.Timestamp(today()))


def sequence_problems(events: pd.DataFrame, months: int) -> dict[int, tuple]:
    """Per effective event that breaks the sequence model: ``(field, value, why)``; the first
    problem of an event only."""
    eff = effective_events(events)
    if not len(eff):
        return {}
    eff = eff.assign(_day=pd.to_datetime(eff["date"]).dt.normalize(),
                     _rec=_recorded_days(eff))
    eff = eff.sort_values(["mine_id", "_day", "event_id"], kind="stable").reset_index(drop=True)
    out = _status_problems(eff)
    kinds = eff["event"]
    with_ver = set(eff.loc[kinds == "verification", "mine_id"]) & \
        set(eff.loc[kinds.isin(["listed", "public_notice"]), "mine_id"])
    with_findings = set(eff.loc[kinds.isin(["rectification_due", "rectified"]), "mine_id"]) | \
        set(eff.loc[(kinds == "finding") & eff["refers_to"].notna(), "mine_id"])
    wanted = ["event_id", "mine_id", "event", "score", "score_max", "refers_to", "due_date",
              "_day", "_rec"]
    part = eff[eff["mine_id"].isin(with_ver | with_findings)]
    records = part[wanted].to_dict("records")
    start = 0
    for k in range(1, len(records) + 1):
        if k == len(records) or records[k]["mine_id"] != records[start]["mine_id"]:
            timeline = records[start:k]
            mine = timeline[0]["mine_id"]
            found = (_verification_problems(timeline) if mine in with_ver else {})
            if mine in with_findings:
                found = {**_finding_problems(timeline, months), **found}
            for event_id, why in found.items():
                out.setdefault(event_id, why)
            start = k
    return out


def _status_problems(eff: pd.DataFrame) -> dict[int, tuple]:
    """The listing status before each event, vectorised: the last listed/reinstated/removed
    of the mine before it (``unlisted`` when none); and the last verification dated before a
    listing or a public notice."""
    mine = eff["mine_id"].to_numpy(dtype=object)
    kinds = eff["event"]
    after = kinds.map(_STATUS_AFTER)
    before = after.groupby(mine).ffill().groupby(mine).shift(1).fillna("unlisted")
    verdict = pd.Series(np.nan, index=eff.index, dtype=object)
    ver = (kinds == "verification") & eff["score"].notna()
    verdict[ver] = [passed_verification(s, None if pd.isna(t) else t)
                    for s, t in zip(eff.loc[ver, "score"], eff.loc[ver, "score_max"])]
    last_ver = verdict.groupby(mine).ffill().groupby(mine).shift(1)
    out: dict[int, tuple] = {}
    ids = eff["event_id"].to_numpy(dtype="int64")
    for kind, allowed in rules()["sequence"].items():
        bad = np.flatnonzero(((kinds == kind) & ~before.isin(allowed)).to_numpy())
        for i in bad:
            out[int(ids[i])] = ("event", kind, msg("reg_sequence", event=kind, status=msg(
                f"reg_status_{before.iloc[i]}")))
    failed = kinds.isin(["listed", "public_notice"]) & (last_ver == False)  # noqa: E712
    for i in np.flatnonzero(failed.to_numpy()):
        out.setdefault(int(ids[i]), ("event", kinds.iloc[i], msg("reg_failed_verification")))
    return out


def _verification_problems(timeline: list[dict]) -> dict[int, tuple]:
    """A listing or public notice under a failed verification recorded before it, whatever
    their dates: the latest-dated verification among those recorded earlier must have
    passed."""
    out = {}
    verifications = [e for e in timeline if e["event"] == "verification"
                     and not _missing(e.get("score"))]
    for e in timeline:
        if e["event"] not in ("listed", "public_notice"):
            continue
        earlier = [v for v in verifications if v["event_id"] < e["event_id"]]
        if earlier:
            latest = max(earlier, key=lambda v: (v["_day"], v["event_id"]))
            if not passed_verification(latest["score"], None if _missing(latest["score_max"])
                                       else latest["score_max"]):
                out[e["event_id"]] = ("event", e["event"], msg("reg_failed_verification"))
    return out


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or \
        (isinstance(value, float) and np.isnan(value))


def _finding_problems(timeline: list[dict], months: int) -> dict[int, tuple]:
    findings: dict[int, dict] = {}
    out: dict[int, tuple] = {}
    for e in timeline:
        if e["event"] in _FINDING_KINDS:
            why = _replay_finding(e, findings, months)
            if why:
                out[e["event_id"]] = why
    return out


def _replay_finding(e: dict, findings: dict[int, dict], months: int) -> tuple | None:
    """Findings, deadlines and rectifications in order (see the module text)."""
    kind, day, rec = e["event"], e["_day"], e["_rec"]
    ref = None if _missing(e.get("refers_to")) else int(e["refers_to"])
    if kind == "finding":
        root = findings[ref]["root"] if ref in findings else e["event_id"]
        findings[e["event_id"]] = {"day": day, "rec": rec, "open": True, "root": root,
                                   "due": day + pd.DateOffset(months=months)}
        for f in findings.values():
            if f["root"] == root:
                f["open"] = True  # a failed re-check reopens the problem
        return None
    target = findings.get(ref) if ref is not None else None
    if ref is not None and target is None:
        return ("refers_to", ref, msg("reg_finding_later"))
    if kind == "rectification_due":
        return _deadline(e, target, ref)
    family = [f for f in findings.values() if f["open"] and (
        target is None or f["root"] == target["root"])]
    if not family or (target is not None and not target["open"]):
        return ("refers_to", ref, msg("reg_nothing_open"))
    for f in family:
        if f["rec"] < f["due"] < rec and day <= f["due"]:
            return ("date", str(day.date()), msg("reg_rectified_late", due=f["due"].date()))
    for f in family:
        f["open"] = False
    return None


def _deadline(e: dict, target: dict, ref: int) -> tuple | None:
    due, day, rec = pd.Timestamp(e["due_date"]), e["_day"], e["_rec"]
    if not target["open"]:
        return ("refers_to", ref, msg("reg_finding_closed"))
    if due < target["day"]:
        return ("due_date", str(due.date()), msg("reg_due_before_finding"))
    if day > target["due"] or target["rec"] < target["due"] < rec:
        return ("due_date", str(due.date()), msg("reg_due_passed", due=target["due"].date()))
    target["due"] = due
    return None


# --- in the register ------------------------------------------------------------------------------
def check_in_register(existing: pd.DataFrame, new: pd.DataFrame, rows: list,
                      problems: list[Problem], *, mines: set[str], months: int) -> None:
    """What only the register knows, for the ``new`` events (their ``event_id`` already
    assigned; ``rows`` name them): the mine is in ``mines``; references and corrections;
    the evaluator's blacklisting; the sequence of each mine's events (:data:`rules`
    ``sequence``) — problems that ``existing`` already had are not charged to the new events."""
    row_of = dict(zip(new["event_id"].tolist(), rows))
    everything = pd.concat([existing, new], ignore_index=True) if len(existing) else new
    by_id = everything.set_index("event_id", drop=False)
    first = len(problems)
    unknown = new["mine_id"].notna() & ~new["mine_id"].isin(list(mines))
    for event_id, mine in zip(new.loc[unknown, "event_id"], new.loc[unknown, "mine_id"]):
        problems.append(Problem(row_of[event_id], "mine_id", mine, msg("reg_no_mine")))
    linked = new["refers_to"].notna() | new["supersedes"].notna()
    for event in new[linked.to_numpy()].to_dict("records"):
        check_references(event, by_id, row_of[event["event_id"]], problems)
    if len(problems) > first:  # the rest reads what the references point at
        return
    check_corrections(everything, new, by_id, row_of, problems, months=months)
    check_blacklist(everything, new, row_of, problems)
    _check_sequences(existing, everything, new, row_of, problems, months=months)


def check_references(event: dict, by_id: pd.DataFrame, row, problems: list[Problem]) -> None:
    """``supersedes`` and ``refers_to`` name an event of the same mine recorded before (a
    finding, for ``refers_to``; an original event, for ``supersedes``)."""
    for field in ("supersedes", "refers_to"):
        ref = event.get(field)
        if _missing(ref):
            continue
        ref = int(ref)
        if ref not in by_id.index or ref >= event["event_id"] or \
                by_id.at[ref, "mine_id"] != event["mine_id"]:
            problems.append(Problem(row, field, ref, msg("reg_no_event")))
            continue
        kind = by_id.at[ref, "event"]
        if field == "refers_to" and kind != "finding" and event["event"] != "correction":
            problems.append(Problem(row, field, ref, msg("reg_not_finding")))
        if field == "supersedes" and kind in ("correction", "entered", "mine_changed",
                                              "blacklisted", "spot_check_plan"):
            problems.append(Problem(row, field, ref, msg("reg_correct_original")))


def check_corrections(everything: pd.DataFrame, new: pd.DataFrame, by_id: pd.DataFrame,
                      row_of: dict, problems: list[Problem], *, months: int = 6) -> None:
    """A correction carries the signatures of the event kind it produces (a ``void``, those of
    the event it withdraws), and the corrected event still has every field its kind needs.
    Corrections of one event apply in the order recorded."""
    fixes = everything[everything["event"] == "correction"].sort_values("event_id")
    new_ids = set(new["event_id"])
    for target_id, group in fixes.groupby("supersedes", sort=False):
        if not new_ids & set(group["event_id"]):
            continue
        state = {k: (None if _missing(v) else v) for k, v in by_id.loc[int(target_id)].items()}
        for fix in group.to_dict("records"):
            before = state["event"]
            produced = fix.get("corrected_event") or before
            if _missing(produced):
                produced = before
            merged = {**state, **{f: fix[f] for f in CORRECTABLE if not _missing(fix.get(f))}}
            if fix["event_id"] in new_ids:
                _check_one_correction(fix, before, produced, merged, row_of[fix["event_id"]],
                                      problems)
                _check_deadline_fix(fix, state, produced, row_of[fix["event_id"]], problems)
                _check_finding_fix(fix, state, produced, everything, row_of[fix["event_id"]],
                                   problems, months)
            state = {**merged, "event": produced}


def _check_one_correction(fix: dict, before: str, produced: str, merged: dict, row,
                          problems: list[Problem]) -> None:
    def bad(field, why, value=None):
        problems.append(Problem(row, field, value, why))

    if produced == "void":
        if before != "void":
            check_needs(before, {}, bad, who=fix, fields=False)
        return
    check_needs(produced, merged, bad, who=fix)
    if produced == "verification" and merged.get("score") is not None:
        top = merged.get("score_max")
        if float(merged["score"]) > float(top if top is not None else DEFAULT_SCORE_MAX):
            bad("score", msg("reg_score_max", top=f"{top or DEFAULT_SCORE_MAX:g}"),
                merged["score"])


def _check_deadline_fix(fix: dict, state: dict, produced: str, row,
                        problems: list[Problem]) -> None:
    """A correction of a deadline (its date, its due date, or the kind) is a deadline change
    recorded when the correction is: refused once the deadline it replaces has passed."""
    if state["event"] != "rectification_due" and produced != "rectification_due":
        return
    if all(_missing(fix.get(f)) for f in ("due_date", "corrected_date", "corrected_event")):
        return
    rec = _recorded_days(pd.DataFrame({"recorded_at": [fix.get("recorded_at")]})).iloc[0]
    due = state.get("due_date")
    if state["event"] == "rectification_due" and not _missing(due) and pd.Timestamp(due) < rec:
        problems.append(Problem(row, "due_date", fix.get("due_date"), msg(
            "reg_due_passed", due=pd.Timestamp(due).date())))


def _check_finding_fix(fix: dict, state: dict, produced: str, everything: pd.DataFrame, row,
                       problems: list[Problem], months: int) -> None:
    """A finding overdue on the register (its deadline passed while the register held it, and
    nothing rectified it) is rectified, not corrected away: a correction recorded after that
    may not void it, turn it into another kind or move it later."""
    if state["event"] != "finding":
        return
    moved = not _missing(fix.get("corrected_date")) and \
        pd.Timestamp(fix["corrected_date"]) > pd.Timestamp(state["date"])
    if produced == "finding" and not moved:
        return
    finding, fix_id = int(state["event_id"]), int(fix["event_id"])
    earlier = everything[(everything["event_id"] < fix_id) &
                         (everything["mine_id"] == state["mine_id"])]
    refs = pd.to_numeric(earlier["refers_to"], errors="coerce")
    dues = earlier[(earlier["event"] == "rectification_due") & (refs == finding)]
    due = pd.Timestamp(dues.sort_values(["date", "event_id"])["due_date"].iloc[-1]) \
        if len(dues) else pd.Timestamp(state["date"]) + pd.DateOffset(months=months)
    fixed = earlier[(earlier["event"] == "rectified") & ((refs == finding) | refs.isna())
                    & (pd.to_datetime(earlier["date"]) >= pd.Timestamp(state["date"]))]
    days = _recorded_days(pd.DataFrame({"recorded_at": [state.get("recorded_at"),
                                                        fix.get("recorded_at")]}))
    if not len(fixed) and days.iloc[0] < due < days.iloc[1]:
        problems.append(Problem(row, "supersedes", finding, msg("reg_overdue_finding",
                                                                 due=due.date())))


def _blacklistings(everything: pd.DataFrame) -> dict[str, list[tuple]]:
    """Organisation key → its blacklistings: (event_id, date, reason)."""
    entries = everything[everything["event"] == "blacklisted"]
    out: dict[str, list[tuple]] = {}
    for event_id, org, day, reason in zip(entries["event_id"], entries["evaluator_org"],
                                          entries["date"], entries["note"]):
        key = name_key(org)
        if key:
            out.setdefault(key, []).append((int(event_id), pd.Timestamp(day).date(), reason))
    return out


def check_blacklist(everything: pd.DataFrame, new: pd.DataFrame, row_of: dict,
                    problems: list[Problem]) -> None:
    """Whatever becomes a verification — an event, or an event corrected into one — by an
    evaluator blacklisted by an event recorded before it is refused, whatever date it bears
    (a verification backdated to before the blacklisting too), and so is one dated on or after
    a blacklisting of it (in one import, the blacklisting's date counts). A verification
    counts as recorded when the event or its latest correction was."""
    listed = _blacklistings(everything)
    if not listed:
        return
    eff = effective_events(everything)
    new_ids = set(new["event_id"])
    corrections = everything[everything["event"] == "correction"].sort_values("event_id")
    last_fix = corrections.groupby("supersedes")["event_id"].last()
    ver = eff[eff["event"] == "verification"]
    for event in ver.to_dict("records"):
        event_id = int(event["event_id"])
        source = int(last_fix.get(event_id, event_id))
        if source not in new_ids:
            continue
        for entry_id, since, reason in listed.get(name_key(event["evaluator_org"]), []):
            if entry_id < source or pd.Timestamp(event["date"]).date() >= since:
                problems.append(Problem(row_of[source], "evaluator_org", event["evaluator_org"],
                                        msg("reg_blacklisted", since=since, reason=reason)))
                break


def _check_sequences(existing: pd.DataFrame, everything: pd.DataFrame, new: pd.DataFrame,
                     row_of: dict, problems: list[Problem], *, months: int) -> None:
    mines = set(new["mine_id"].dropna())
    if not mines:
        return
    mine_of_target = everything.set_index("event_id")["mine_id"]
    mines |= set(mine_of_target.reindex(new["supersedes"].dropna().astype(int)).dropna())
    before = sequence_problems(existing[existing["mine_id"].isin(mines)], months) \
        if len(existing) else {}
    after = sequence_problems(everything[everything["mine_id"].isin(mines)], months)
    fixes = new[new["event"] == "correction"].groupby("supersedes")["event_id"].last()
    for event_id, (field, value, why) in after.items():
        if before.get(event_id) == (field, value, why):
            continue
        source = event_id if event_id in row_of else fixes.get(event_id)
        if source is None:  # an earlier event made wrong by a new one dated before it
            source = next(iter(row_of))
            why = msg("reg_breaks_later", event_id=event_id, why=why)
        problems.append(Problem(row_of[source], field, value, why))
