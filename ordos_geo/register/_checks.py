"""Checking the register's events before they are signed into the chain: every field of an
event (:func:`check_event`), then what only the register knows — the mine exists, references
point at the right events, a correction carries the signatures of what it produces, the
evaluator is not blacklisted, and the mine's events still make sense in order
(:func:`ordos_geo.register._sequence.check_in_register`). The rules are data:
``resources/register.yaml``."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import pandas as pd

from ..core.errors import ValidationError
from ..core.messages import msg
from ..core.schema import Invalid, header_key, normalise_id, schema
from ..core.yaml_tables import load_table
from ..io.tables import parse_number
from ._names import NameRefused, clean_name, clean_text

#: The fields of an event (also the order in which they are hashed: ``_chain.HASHED``).
EVENT_COLUMNS = ["event_id", "mine_id", "event", "date", "level", "score", "score_max",
                 "due_date", "refers_to", "supersedes", "corrected_event", "corrected_date",
                 "evaluator_org", "checked_by", "evaluated_by", "tracked_by", "responsible",
                 "note", "name", "banner", "detail", "recorded_at"]
DATES = ("date", "due_date", "corrected_date")

__all__ = ["rules", "raise_if", "typed_events", "EVENT_COLUMNS", "DATES", "Problem", "check_event", "effective_events",
           "today", "NAME_FIELDS", "SIGNATURES", "DATE_RANGE", "DEFAULT_SCORE_MAX",
           "passed_verification", "parse_date", "canonical_value", "event_key",
           "KEY_FIELDS", "check_needs", "parse_event_number", "missing", "CORRECTABLE", "now",
           "CHINA"]

SIGNATURES = ["checked_by", "evaluated_by", "tracked_by", "responsible"]
NAME_FIELDS = ["evaluator_org", *SIGNATURES]
DEFAULT_SCORE_MAX = 1000.0
DATE_RANGE = (dt.date(1990, 1, 1), dt.date(2100, 12, 31))
#: Fields a correction may replace in the event it corrects.
CORRECTABLE = ["level", "score", "score_max", "due_date", "refers_to", "evaluator_org",
               *SIGNATURES, "note"]
CHINA = ZoneInfo("Asia/Shanghai")


def rules() -> dict:
    """The register table (``resources/register.yaml``): events, sequence, signatures,
    value spellings."""
    return load_table("register")


def now() -> dt.datetime:
    """The register's clock (UTC): what ``recorded_at`` records. One function, so that a test
    can set it."""
    return dt.datetime.now(dt.timezone.utc)


def today() -> dt.date:
    """Today in China (UTC+8): an event dated after it is in the future."""
    return now().astimezone(CHINA).date()


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
    """A finite number (-0 is 0); None when empty; "?" when it is none (NaN, text, ``1,00``)."""
    if value is None or (isinstance(value, str) and clean_text(value) is None):
        return None
    number = parse_number(clean_text(value) if isinstance(value, str) else value)
    if number is None or not math.isfinite(number):
        return "?"
    return number + 0.0


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
    if out["note"] is not None and any(ch == "\x00" or unicodedata.category(ch) == "Cs"
                                       for ch in out["note"]):
        bad("note", msg("reg_bad_text"))
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
    ``corrected_event`` changes the event's kind (``void`` drops it); a corrected event other
    than a finding counts as recorded when its latest correction was (``recorded_at``). Corrections, register-wide
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
        if "recorded_at" in out.columns and "recorded_at" in fix.columns:
            # a changed deadline or rectification counts from when it was changed; a finding
            # was known from when it was first recorded, whatever was corrected later
            moved = (out.loc[hit, "event"] != "finding").to_numpy()
            out.loc[hit[moved], "recorded_at"] = fix["recorded_at"].to_numpy()[moved]
        kind = fix["corrected_event"]
        out.loc[hit[kind.notna().to_numpy()], "event"] = kind[kind.notna()].to_numpy()
        out = out[out["event"] != "void"]
    return out.reset_index(drop=True)


def missing(value) -> bool:
    """None, NA, NaT or NaN."""
    return value is None or value is pd.NA or value is pd.NaT or \
        (isinstance(value, float) and math.isnan(value))


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
        if missing(value):
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


def typed_events(frame: pd.DataFrame, columns: list[str] | None = None, *,
                 text_as_given: bool = False) -> pd.DataFrame:
    """Events with their columns typed: dates as datetimes, event numbers as nullable
    integers, scores as floats, text as text with None for missing (``text_as_given``: the
    text columns are object columns with None already, as the driver gives them)."""
    out = frame.reindex(columns=columns or EVENT_COLUMNS)
    out = out if text_as_given else out.copy()
    for col in DATES:  # ISO text (GeoPackage) or dates (PostgreSQL)
        if col in out:
            out[col] = pd.to_datetime(out[col], format="ISO8601", errors="coerce")
    for col in ("event_id", "refers_to", "supersedes"):
        if col in out:
            out[col] = pd.array(pd.to_numeric(out[col], errors="coerce"), dtype="Int64")
    for col in ("score", "score_max"):
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    for col in [] if text_as_given else out.columns:  # text stays text, missing None
        if col not in DATES and col not in ("event_id", "refers_to", "supersedes", "score",
                                              "score_max"):
            values = out[col].astype(object)
            out[col] = values.where(values.notna(), None)
    return out
