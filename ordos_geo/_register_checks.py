"""Checking the register's events before they are signed into the chain: every field of an
event (:func:`check_event`), then what only the register knows — the mine exists, references
point at the right events, a correction carries the signatures of what it produces, the
evaluator is not blacklisted, and the mine's events still make sense in order
(:func:`check_in_register`). The rules are data: ``resources/register.yaml``."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import yaml

from ._errors import ValidationError
from ._messages import msg
from ._names import NameRefused, clean_name, clean_text, name_key
from ._schema import Invalid, header_key, normalise_id, schema

#: The fields of an event (also the order in which they are hashed: ``_chain.HASHED``).
EVENT_COLUMNS = ["event_id", "mine_id", "event", "date", "level", "score", "score_max",
                 "due_date", "refers_to", "supersedes", "corrected_event", "corrected_date",
                 "evaluator_org", "checked_by", "evaluated_by", "tracked_by", "responsible",
                 "note", "name", "banner", "detail", "recorded_at"]
DATES = ("date", "due_date", "corrected_date")

__all__ = ["rules", "raise_if", "typed_events", "EVENT_COLUMNS", "DATES", "Problem", "check_event", "check_in_register", "effective_events",
           "today", "NAME_FIELDS", "SIGNATURES", "DATE_RANGE", "DEFAULT_SCORE_MAX",
           "passed_verification", "parse_date", "canonical_value", "event_key",
           "KEY_FIELDS", "check_needs", "parse_event_number"]

SIGNATURES = ["checked_by", "evaluated_by", "tracked_by", "responsible"]
NAME_FIELDS = ["evaluator_org", *SIGNATURES]
DEFAULT_SCORE_MAX = 1000.0
DATE_RANGE = (dt.date(1990, 1, 1), dt.date(2100, 12, 31))
#: Fields a correction may replace in the event it corrects.
CORRECTABLE = ["level", "score", "score_max", "due_date", "refers_to", "evaluator_org",
               *SIGNATURES, "note"]
CHINA = ZoneInfo("Asia/Shanghai")


@lru_cache(maxsize=1)
def rules() -> dict:
    """The register table (``resources/register.yaml``): events, sequence, signatures,
    value spellings."""
    text = resources.files("ordos_geo").joinpath("resources/register.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def today() -> dt.date:
    """Today in China (UTC+8): an event dated after it is in the future."""
    return dt.datetime.now(CHINA).date()


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


# --- values ---------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _value_index(kind: str) -> dict[str, str]:
    """``header_key(spelling)`` → canonical value, for ``level``, ``status`` or ``event``."""
    spellings = rules()["values"][kind]
    index = {header_key(s): canon for canon, names in spellings.items() for s in [canon, *names]}
    if kind == "event":
        index.update({header_key(e): e for e in rules()["events"]})
        index[header_key("void")] = "void"
    return index


def canonical_value(kind: str, value) -> str | None:
    """The canonical spelling of a ``level``, ``status`` or ``event``; None when empty, "?"
    when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return _canonical_text(kind, value if isinstance(value, str) else str(value))


@lru_cache(maxsize=4096)
def _canonical_text(kind: str, value: str) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    return _value_index(kind).get(header_key(text), "?")


@lru_cache(maxsize=65536)
def _date_text(text: str) -> dt.date | str:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S",
                "%Y年%m月%d日"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
            break
        except ValueError:
            continue
    else:
        return "?"
    return day if DATE_RANGE[0] <= day <= DATE_RANGE[1] else "?"


def parse_date(value) -> dt.date | None | str:
    """A date from text (YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD, YYYY年M月D日), a datetime or an
    Excel cell; None when empty; "?" when unreadable or outside 1990–2100."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = clean_text(value)
        return _date_text(text) if text else None
    return day if DATE_RANGE[0] <= day <= DATE_RANGE[1] else "?"


def _number(value) -> float | None | str:
    if value is None or (isinstance(value, float) and math.isnan(value) and
                         not isinstance(value, str)):
        return None if value is None else "?"
    if isinstance(value, str):
        text = clean_text(value)
        if text is None:
            return None
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return "?"
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return "?"
    return number if math.isfinite(number) else "?"


def parse_event_number(value) -> int | None | str:
    """A positive whole number; None when empty; "?" otherwise."""
    number = _number(value)
    if number in (None, "?"):
        return number
    return int(number) if float(number).is_integer() and number > 0 else "?"


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


# --- one event ------------------------------------------------------------------------------------
def check_event(raw: dict, row: int | str, problems: list[Problem], *,
                internal: bool = False) -> dict | None:
    """One event in canonical form, or None with its problems added (every field checked).
    ``internal`` admits the events ordos_geo records itself (``entered``,
    ``spot_check_plan``)."""
    before = len(problems)

    def bad(field, why, value=None):
        problems.append(Problem(row, field, raw.get(field) if value is None else value, why))

    out: dict = {}
    event = canonical_value("event", raw.get("event"))
    spec = rules()["events"].get(event, {})
    if event in (None, "?", "void") or (spec.get("internal") and not internal):
        allowed = [e for e, s in rules()["events"].items() if not s.get("internal")]
        bad("event", msg("reg_bad_event", allowed=", ".join(allowed)))
    out["event"] = event
    _check_mine_id(raw, out, spec, bad)
    _check_dates(raw, out, bad)
    out["level"] = canonical_value("level", raw.get("level"))
    if out["level"] == "?":
        bad("level", msg("reg_bad_level"))
    _check_scores(raw, out, bad)
    for field in ("refers_to", "supersedes"):
        out[field] = parse_event_number(raw.get(field))
        if out[field] == "?":
            bad(field, msg("reg_bad_event_id"))
    out["corrected_event"] = canonical_value("event", raw.get("corrected_event"))
    if out["corrected_event"] == "?" or out["corrected_event"] in (
            "correction", "blacklisted") or rules()["events"].get(
            out["corrected_event"], {}).get("internal") or out["corrected_event"] == \
            "mine_changed":
        bad("corrected_event", msg("reg_bad_correction"))
    for field in NAME_FIELDS:
        try:
            out[field] = clean_name(raw.get(field))
        except NameRefused as exc:
            out[field] = "?"  # refused here; not reported again as missing
            bad(field, msg("reg_not_a_name", reason=msg(f"name_{exc.code}")))
    out["note"] = _text(raw.get("note"))
    changes = event in ("mine_changed", "entered")  # other events do not carry the mine's
    out["name"] = clean_text(raw.get("name")) if changes else None
    out["banner"] = _banner(raw.get("banner"), bad) if changes else None
    out["detail"] = _text(raw.get("detail")) if internal else None
    if event in rules()["events"] and event != "correction":
        check_needs(event, out, bad)
    elif event == "correction":
        check_needs("correction", out, bad)
    if event == "mine_changed" and out["name"] is None and out["banner"] is None:
        bad("banner", msg("reg_needs", event=event, zh=spec["zh"], field="name / banner"))
    return out if len(problems) == before else None


def _check_mine_id(raw: dict, out: dict, spec: dict, bad) -> None:
    value = raw.get("mine_id")
    try:
        out["mine_id"] = None if value is None or (isinstance(value, float) and
                                                   math.isnan(value)) else normalise_id(value)
    except Invalid as exc:
        out["mine_id"] = None
        bad("mine_id", msg("reg_bad_id", reason=exc.code))
        return
    wide = spec.get("scope") == "register"
    if out["mine_id"] is None and not wide:
        bad("mine_id", msg("reg_no_mine_id"))
    elif out["mine_id"] is not None and wide:
        bad("mine_id", msg("reg_register_wide"))


def _check_dates(raw: dict, out: dict, bad) -> None:
    now = today()
    for field in ("date", "due_date", "corrected_date"):
        out[field] = parse_date(raw.get(field))
        if out[field] == "?":
            bad(field, msg("reg_bad_date", lo=DATE_RANGE[0], hi=DATE_RANGE[1]))
        elif field != "due_date" and out[field] is not None and out[field] > now:
            bad(field, msg("reg_future", today=now))
    if out["date"] is None:
        bad("date", msg("reg_no_date"))


def _check_scores(raw: dict, out: dict, bad) -> None:
    for field in ("score", "score_max"):
        out[field] = _number(raw.get(field))
        value = out[field]
        if value == "?" or (value is not None and (value < 0 or (field == "score_max" and
                                                                 value <= 0))):
            bad(field, msg("reg_bad_score" if field == "score" else "reg_bad_score_max"))
            out[field] = "?"
    score, top = out["score"], out["score_max"]
    if isinstance(score, float) and not isinstance(top, str) and \
            score > (top if top is not None else DEFAULT_SCORE_MAX):
        bad("score", msg("reg_score_max", top=f"{top or DEFAULT_SCORE_MAX:g}"))


def _banner(value, bad) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    try:
        return schema().normalise("banner", text)
    except Invalid:
        bad("banner", msg("reg_bad_banner", allowed="、".join(schema().banners)), value)
        return None


def check_needs(event: str, out: dict, bad, *, who: dict | None = None,
                fields: bool = True) -> None:
    """The signatures (from ``who``, default the event itself) and, with ``fields``, the fields
    ``event`` needs."""
    spec = rules()["events"][event]
    who = out if who is None else who
    missing = [s for s in spec.get("signed_by", []) if not who.get(s)]  # "?": refused already
    if missing:
        bad(missing[0], msg("reg_unsigned", event=event, zh=spec["zh"], names=", ".join(missing)),
            who.get(missing[0]) or "")
    for field in spec.get("needs", []) if fields else []:
        if out.get(field) in (None, "?"):
            bad(field, msg("reg_needs", event=event, zh=spec["zh"], field=field),
                out.get(field) or "")


def passed_verification(score, score_max) -> bool:
    share = float(rules()["verification_pass_share"])
    top = DEFAULT_SCORE_MAX if score_max is None or (isinstance(score_max, float) and
                                                     math.isnan(score_max)) else score_max
    return float(score) >= share * float(top)


# --- corrections ----------------------------------------------------------------------------------
def effective_events(events: pd.DataFrame) -> pd.DataFrame:
    """The mine events as they stand after corrections: a correction's non-empty fields
    replace those of the event it ``supersedes`` (corrections of one event apply in the order
    recorded: for each field the latest given wins); its ``corrected_date`` moves the event, its
    ``corrected_event`` changes the event's kind (``void`` drops it). Corrections, register-wide
    events, ``entered`` and ``mine_changed`` are not events of a mine's state."""
    kinds = events["event"]
    keep = events["mine_id"].notna() & ~kinds.isin(["correction", "entered", "mine_changed"])
    out = events[keep].set_index("event_id", drop=False)
    corrections = events[kinds == "correction"]
    if not len(corrections):
        return out.reset_index(drop=True)
    latest = corrections.sort_values("event_id").groupby("supersedes").last()
    hit = out.index.intersection(latest.index)
    if len(hit):
        fix = latest.loc[hit]
        for col in [*CORRECTABLE, "date"]:
            src = "corrected_date" if col == "date" else col
            if col not in out.columns or src not in fix.columns:
                continue
            given = fix[src].notna().to_numpy()
            if given.any():
                values = fix[src].to_numpy()[given]
                if col == "date":
                    values = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")
                out.loc[hit[given], col] = values
        kind = fix["corrected_event"]
        out.loc[hit[kind.notna().to_numpy()], "event"] = kind[kind.notna()].to_numpy()
        out = out[out["event"] != "void"]
    return out.reset_index(drop=True)


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
        _check_references(event, by_id, row_of[event["event_id"]], problems)
    if len(problems) > first:  # the rest reads what the references point at
        return
    _check_corrections(everything, new, by_id, row_of, problems)
    _check_blacklist(everything, new, row_of, problems)
    _check_sequences(existing, everything, new, row_of, problems, months=months)


def _check_references(event: dict, by_id: pd.DataFrame, row, problems: list[Problem]) -> None:
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


def _check_corrections(everything: pd.DataFrame, new: pd.DataFrame, by_id: pd.DataFrame,
                       row_of: dict, problems: list[Problem]) -> None:
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


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or \
        (isinstance(value, float) and math.isnan(value))


def _blacklist(everything: pd.DataFrame) -> dict[str, tuple]:
    """Organisation key → (first date blacklisted, reason)."""
    entries = everything[everything["event"] == "blacklisted"].sort_values(["date", "event_id"])
    out: dict[str, tuple] = {}
    for org, day, reason in zip(entries["evaluator_org"], entries["date"], entries["note"]):
        key = name_key(org)
        if key and key not in out:
            out[key] = (pd.Timestamp(day).date(), reason)
    return out


def _check_blacklist(everything: pd.DataFrame, new: pd.DataFrame, row_of: dict,
                     problems: list[Problem]) -> None:
    """Whatever becomes a verification — an event, or an event corrected into one — by an
    evaluator already on the blacklist when it is recorded is refused, whatever date it
    bears (a verification backdated to before the blacklisting too); one blacklisted by the
    same import is refused from the blacklisting's date on."""
    listed = _blacklist(everything)
    if not listed:
        return
    recorded = set(_blacklist(everything[~everything["event_id"].isin(new["event_id"])]))
    eff = effective_events(everything)
    new_ids = set(new["event_id"])
    corrected = set(new.loc[new["event"] == "correction", "supersedes"].dropna().astype(int))
    ver = eff[(eff["event"] == "verification") & (eff["event_id"].isin(new_ids | corrected))]
    fixes = new[new["event"] == "correction"].set_index("supersedes")
    for event in ver.to_dict("records"):
        key = name_key(event["evaluator_org"])
        hit = listed.get(key)
        if hit and (key in recorded or pd.Timestamp(event["date"]).date() >= hit[0]):
            source = event["event_id"] if event["event_id"] in new_ids else \
                int(fixes.loc[[event["event_id"]], "event_id"].iloc[-1])
            problems.append(Problem(row_of[source], "evaluator_org", event["evaluator_org"],
                                    msg("reg_blacklisted", since=hit[0], reason=hit[1])))


def _check_sequences(existing: pd.DataFrame, everything: pd.DataFrame, new: pd.DataFrame,
                     row_of: dict, problems: list[Problem], *, months: int) -> None:
    mines = set(new["mine_id"].dropna())
    if not mines:
        return
    mine_of_target = everything.set_index("event_id")["mine_id"]
    mines |= set(mine_of_target.reindex(new["supersedes"].dropna().astype(int)).dropna())
    before = _sequence_problems(existing[existing["mine_id"].isin(mines)], months) \
        if len(existing) else {}
    after = _sequence_problems(everything[everything["mine_id"].isin(mines)], months)
    fixes = new[new["event"] == "correction"].groupby("supersedes")["event_id"].last()
    for event_id, (field, value, why) in after.items():
        if before.get(event_id) == (field, value, why):
            continue
        source = event_id if event_id in row_of else fixes.get(event_id)
        if source is None:  # an earlier event made wrong by a new one dated before it
            source = next(iter(row_of))
            why = msg("reg_breaks_later", event_id=event_id, why=why)
        problems.append(Problem(row_of[source], field, value, why))


_REPLAY = ["event_id", "mine_id", "event", "score", "score_max", "refers_to", "due_date"]


def _sequence_problems(events: pd.DataFrame, months: int) -> dict[int, tuple]:
    """Per effective event that breaks :data:`rules` ``sequence``: (field, value, why)."""
    eff = effective_events(events)
    if not len(eff):
        return {}
    day = pd.to_datetime(eff["date"]).to_numpy(dtype="datetime64[ns]")
    order = np.lexsort((eff["event_id"].to_numpy(dtype="int64"), day,
                        eff["mine_id"].to_numpy(dtype=object).astype(str)))
    columns = {c: eff[c].to_numpy(dtype=object)[order].tolist() for c in _REPLAY}
    columns["_day"] = list(pd.DatetimeIndex(day[order]))
    records = [dict(zip(columns, values)) for values in zip(*columns.values())]
    out: dict[int, tuple] = {}
    start = 0
    for k in range(1, len(records) + 1):
        if k == len(records) or records[k]["mine_id"] != records[start]["mine_id"]:
            out.update(_replay(records[start:k], months))
            start = k
    return out


def _replay(timeline: list[dict], months: int) -> dict[int, tuple]:
    allowed = rules()["sequence"]
    status, last_passed = "unlisted", None
    findings: dict[int, dict] = {}
    out: dict[int, tuple] = {}
    for e in timeline:
        kind = e["event"]
        if kind in allowed and status not in allowed[kind]:
            out[e["event_id"]] = ("event", kind, msg("reg_sequence", event=kind,
                                                     status=msg(f"reg_status_{status}")))
        elif kind in ("listed", "public_notice") and last_passed is False:
            out[e["event_id"]] = ("event", kind, msg("reg_failed_verification"))
        if kind == "verification" and not _missing(e.get("score")):
            last_passed = passed_verification(e["score"], None if _missing(
                e.get("score_max")) else e["score_max"])
        status = {"listed": "listed", "reinstated": "listed", "removed": "removed"}.get(
            kind, status)
        why = _replay_finding(e, findings, months) if kind in (
            "finding", "rectification_due", "rectified") else None
        if why and e["event_id"] not in out:
            out[e["event_id"]] = why
    return out


def _replay_finding(e: dict, findings: dict[int, dict], months: int) -> tuple | None:
    """Findings, deadlines and rectifications in order (see ``register.yaml``)."""
    kind, day, ref = e["event"], e["_day"], None if _missing(e.get("refers_to")) \
        else int(e["refers_to"])
    if kind == "finding":
        root = findings[ref]["root"] if ref in findings else e["event_id"]
        findings[e["event_id"]] = {"day": day, "open": True, "root": root,
                                   "due": day + pd.DateOffset(months=months)}
        for f in findings.values():
            if f["root"] == root:
                f["open"] = True  # a failed re-check reopens the problem
        return None
    target = findings.get(ref) if ref is not None else None
    if ref is not None and target is None:
        return ("refers_to", ref, msg("reg_finding_later"))
    if kind == "rectification_due":
        due = pd.Timestamp(e["due_date"])
        if not target["open"]:
            return ("refers_to", ref, msg("reg_finding_closed"))
        if due < target["day"]:
            return ("due_date", str(due.date()), msg("reg_due_before_finding"))
        if day > target["due"]:
            return ("due_date", str(due.date()), msg("reg_due_passed",
                                                     due=target["due"].date()))
        target["due"] = due
        return None
    family = [f for f in findings.values() if f["open"] and (
        target is None or f["root"] == target["root"])]
    if not family or (target is not None and not target["open"]):
        return ("refers_to", ref, msg("reg_nothing_open"))
    for f in family:
        f["open"] = False
    return None


#: The fields by which an imported event is recognised as one already in the register.
KEY_FIELDS = ["mine_id", "event", "date", "level", "score", "score_max", "due_date",
              "refers_to", "supersedes", "corrected_event", "corrected_date", *NAME_FIELDS,
              "note", "name", "banner"]
_KEY_DATES = {"date", "due_date", "corrected_date"}


def event_key(event: dict) -> tuple:
    """An event's identity for duplicate detection: every field of :data:`KEY_FIELDS` in one
    spelling (dates ISO, scores as floats, references as the register's event numbers)."""
    out = []
    for field in KEY_FIELDS:
        value = event.get(field)
        if _missing(value):
            out.append(None)
        elif field in _KEY_DATES:
            out.append(str(value)[:10])
        elif field in ("score", "score_max"):
            out.append(float(value))
        elif field in ("refers_to", "supersedes"):
            out.append(int(value))
        else:
            out.append(str(value))
    return tuple(out)


def raise_if(problems: list[Problem], what: str) -> None:
    if problems:
        report = pd.DataFrame([p.__dict__ for p in problems])
        lines = "\n- ".join(str(p) for p in problems[:30])
        more = "\n" + msg("reg_more", n=len(problems) - 30) if len(problems) > 30 else ""
        raise ValidationError(f"{msg('reg_refused', what=what, n=len(problems))}\n- {lines}{more}",
                              report)


def typed_events(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Events with their columns typed: dates as datetimes, event numbers as nullable
    integers, scores as floats, text as text with None for missing."""
    out = frame.reindex(columns=columns or EVENT_COLUMNS).copy()
    for col in DATES:  # ISO text (GeoPackage) or dates (PostgreSQL)
        if col in out:
            out[col] = pd.to_datetime(out[col], format="ISO8601", errors="coerce")
    for col in ("event_id", "refers_to", "supersedes"):
        if col in out:
            out[col] = pd.array(pd.to_numeric(out[col], errors="coerce"), dtype="Int64")
    for col in ("score", "score_max"):
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    for col in out.columns:  # text stays text, missing stays None (pandas 3 infers str/NaN)
        if col not in DATES and col not in ("event_id", "refers_to", "supersedes", "score",
                                              "score_max"):
            values = out[col].astype(object)
            out[col] = values.where(values.notna(), None)
    return out
