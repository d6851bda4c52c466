"""The register's hash chain: every event carries the SHA-256 of its canonical content and of the
event before it (as transparency logs and git do), so that an event changed, removed or inserted
by any other program breaks the chain from that event on.

* **Canonical content** (:func:`canonical`): the event's fields in the fixed order of
  :data:`HASHED`, each written ``<length>:<text>`` (``-`` when empty), joined by U+001F —
  dates as ``YYYY-MM-DD``, scores as Python float text, numbers of events as integers, text as
  stored. The same event gives the same bytes on GeoPackage and PostgreSQL.
* **Link**: ``hash = sha256(prev_hash + "\\n" + canonical)``; the first event's ``prev_hash`` is
  the register's genesis, ``sha256("ordos_geo register " + register_id)`` — for a register
  upgraded from schema 1 with `` legacy <n>`` appended, so that the number of events that were
  chained unjudged is itself bound to the chain.
* **Heads**: every write transaction appends ``(n_events, hash)`` to ``register_heads``; the
  head of a register is printed as ``<n>:<first 16 hex digits>`` on every report it produces,
  so that a later edit can be proven against a published page (:func:`verify` with ``heads``).

Deleting the newest events together with their head records leaves a shorter chain that is
consistent; only a head published before (``register verify --head``) proves it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

__all__ = ["HASHED", "canonical", "link", "genesis", "head_text", "parse_head", "verify",
           "Break", "Verdict", "SHORT", "check_published", "canonical_all"]

#: The event fields that are hashed, in this order.
HASHED = ["event_id", "mine_id", "event", "date", "level", "score", "score_max", "due_date",
          "refers_to", "supersedes", "corrected_event", "corrected_date", "evaluator_org",
          "checked_by", "evaluated_by", "tracked_by", "responsible", "note", "name", "banner",
          "detail", "recorded_at"]
_INTS = {"event_id", "refers_to", "supersedes"}
_FLOATS = {"score", "score_max"}
_DATES = {"date", "due_date", "corrected_date"}
SHORT = 16  # hex digits of a published head


def _text(name: str, value) -> str:
    if value is None:
        return "-"
    if name in _FLOATS:
        try:
            text = repr(float(value) + 0.0)  # -0.0 is 0.0 (SQLite stores no sign of zero)
        except (TypeError, ValueError):
            text = "?" + str(value)
    elif name in _INTS:
        try:
            text = str(int(value)) if float(value).is_integer() else "?" + str(value)
        except (TypeError, ValueError):
            text = "?" + str(value)
    elif name in _DATES and isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    return f"{len(text)}:{text}"


def _column(name: str, values) -> list[str]:
    """The canonical text of one field for every event (column-wise: fast)."""
    if values.count(None) == len(values):  # a field no event has (C speed)
        return ["-"] * len(values)
    if name in _INTS or name in _FLOATS or name in _DATES:
        out = []
        for v in values:
            if v is None:
                out.append("-")
            elif type(v) is int and name in _INTS:
                t = str(v)
                out.append(f"{len(t)}:{t}")
            elif type(v) is str and name in _DATES:
                out.append(f"{len(v)}:{v}")
            else:
                out.append(_text(name, v))
        return out
    return ["-" if v is None else f"{len(v)}:{v}" if type(v) is str else _text(name, v)
            for v in values]


def canonical(row) -> bytes:
    """The canonical bytes of one event (a sequence in the order of :data:`HASHED`)."""
    return "\x1f".join(_column(name, (v,))[0] for name, v in zip(HASHED, row)).encode("utf-8")


def canonical_all(columns) -> list[bytes]:
    """The canonical bytes of many events, from their fields as columns (in the order of
    :data:`HASHED`): the same bytes as :func:`canonical` of each event."""
    parts = [_column(name, values) for name, values in zip(HASHED, columns)]
    return ["\x1f".join(p).encode("utf-8") for p in zip(*parts)]


def link(prev_hash: str, content: bytes) -> str:
    """The hash of an event: SHA-256 of the previous hash, a line break and its content."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + content).hexdigest()


def genesis(register_id: str, legacy_upto: int = 0) -> str:
    """The ``prev_hash`` of a register's first event (bound to how many events of a schema-1
    register were chained without being judged, when it was upgraded)."""
    text = f"ordos_geo register {register_id}" + (f" legacy {int(legacy_upto)}"
                                                   if legacy_upto else "")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def head_text(n: int, hash_: str | None) -> str:
    """A register's head as published: ``<number of events>:<16 hex digits>``."""
    return f"{n}:{(hash_ or '0' * 64)[:SHORT]}"


_HEAD = re.compile(r"^([0-9]+):([0-9a-f]{8,64})$")


def parse_head(text: str) -> tuple[int, str]:
    """``(n, digits)`` from a published head (``1234:9f3a1c2b7d0e55aa``: ASCII digits, a colon,
    8 to 64 lower-case hex digits); ValueError otherwise."""
    found = _HEAD.match(str(text).strip().lower())
    if not found:
        raise ValueError(text)
    return int(found.group(1)), found.group(2)


@dataclass(frozen=True)
class Break:
    """One place where the chain does not hold: ``kind`` is ``changed``, ``removed``,
    ``inserted``, ``genesis`` (the register's id or upgrade record changed), ``relinked``
    (the event before was changed and re-hashed) or ``rewritten``
    (events changed and every later hash recomputed: a head record no longer matches);
    ``event_id`` the first event concerned, ``last`` the last one of a range."""

    kind: str
    event_id: int | None
    last: int | None = None
    detail: str = ""


@dataclass
class Verdict:
    """What :func:`verify` found: ``breaks`` in chain order (empty when the chain holds), the
    number of events and the head."""

    n_events: int
    head_hash: str | None
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def head(self) -> str:
        return head_text(self.n_events, self.head_hash)


def verify(rows, *, start: str, heads=(), gaps_upto: int = 0, columns=None) -> Verdict:
    """Check the chain. ``rows``: ``(*HASHED fields, prev_hash, hash)`` tuples in order of
    ``event_id`` (or ``columns``: the same transposed); ``start``: the genesis hash;
    ``heads``: ``(n_events, hash)`` records; ``gaps_upto``: event numbers up to which gaps are
    history (a register upgraded from schema 1, whose numbers had gaps before it was
    chained). Each event's own hash and each link are checked apart (in bulk); only where one
    fails is the break worked out event by event."""
    heads = sorted((int(n), str(h)) for n, h in heads)
    recorded = heads[-1][0] if heads else 0
    if columns is None:
        columns = list(zip(*rows)) if rows else [()] * (len(HASHED) + 2)
    ids = [int(i) for i in columns[0]]
    befores, owns = columns[-2], columns[-1]
    contents = canonical_all(columns[:len(HASHED)])
    sha = hashlib.sha256
    own_ok = [own is not None and sha((b or "").encode("ascii") + b"\n" + c).hexdigest() == own
              for b, c, own in zip(befores, contents, owns)]
    expected = [start, *owns[:-1]]
    link_ok = [b == e for b, e in zip(befores, expected)]
    gap = [i > p + 1 for i, p in zip(ids, [0, *ids[:-1]])]
    breaks: list[Break] = []
    if not (all(own_ok) and all(link_ok) and not any(
            g and gaps_upto < i <= recorded for g, i in zip(gap, ids))):
        breaks = _breaks(ids, own_ok, link_ok, recorded, gaps_upto)
    stored = dict(zip(ids, owns))
    last = ids[-1] if ids else 0
    _check_heads(heads, stored, last, breaks)
    return Verdict(last, owns[-1] if ids else None, breaks)


def _breaks(ids, own_ok, link_ok, recorded: int, gaps_upto: int) -> list[Break]:
    """Where the chain does not hold, event by event (see :class:`Break`)."""
    out: list[Break] = []
    prev_id = 0
    for event_id, good, linked in zip(ids, own_ok, link_ok):
        if good and not linked and prev_id == 0 and (event_id == 1 or event_id <= gaps_upto):
            # the first event links no more: the genesis (id or upgrade record) was changed
            out.append(Break("genesis", event_id))
        elif not good:
            out.append(Break("inserted" if event_id > recorded else "changed", event_id))
        elif not linked:
            if event_id > prev_id + 1 and event_id > gaps_upto:
                out.append(Break("removed", prev_id + 1, event_id - 1))
            elif event_id > recorded:
                out.append(Break("inserted", event_id))
            else:
                out.append(Break("relinked", prev_id, event_id))
        elif event_id > prev_id + 1 and gaps_upto < event_id <= recorded:
            out.append(Break("removed", prev_id + 1, event_id - 1))
        prev_id = event_id
    return out


def _check_heads(heads, stored: dict[int, str], last: int, breaks: list[Break]) -> None:
    """Every head record must name an event whose hash it holds (the first that does not: the
    chain was rewritten between the last head that holds and it); the last head is the end."""
    good = 0
    for n, h in heads:
        if n == 0 or n > last:
            continue
        if stored.get(n) != h:
            breaks.append(Break("rewritten", good + 1, n))
            break
        good = n
    recorded = heads[-1][0] if heads else 0
    if recorded > last:
        breaks.append(Break("removed", last + 1, recorded, "head"))
    elif last > recorded and not any(b.kind == "inserted" for b in breaks):
        breaks.append(Break("inserted", recorded + 1, last))


def check_published(stored_hash: str | None, digits: str) -> bool:
    """Whether the event a published head names still has the hash the head shows."""
    return stored_hash is not None and stored_hash.startswith(digits)
