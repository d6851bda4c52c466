"""Mine ids as the register looks them up.

The register stores a mine's id as :func:`~ordos_geo.core.schema.normalise_id` spells it (NFKC,
invisible characters removed, outer spaces stripped; the case kept as entered). Ids compare as
sites' ids do (:func:`~ordos_geo.core.schema.id_key`: case-folded), so a user's ``m0341#1`` or
``Ｍ0341#1`` finds the mine stored as ``M0341#1`` — in ``register add``, ``history``, an
imported table, a list of required mines. An id two stored mines share once case-folded (``M1``
and ``m1``, entered apart by an older version) is found only as spelled.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa

from ..core.schema import id_key, normalise_id
from . import _storage as db

__all__ = ["spellings", "stored_id", "respelled", "find_id"]


def spellings(stored: Iterable[str]) -> dict[str, str]:
    """``id_key`` → the one stored id of that key (keys two stored ids share left out)."""
    found: dict[str, set[str]] = {}
    for mine in stored:
        if mine is not None:
            found.setdefault(id_key(str(mine)), set()).add(str(mine))
    return {key: next(iter(ids)) for key, ids in found.items() if len(ids) == 1}


def stored_id(mine_id: str | None, stored: set[str], lookup: dict[str, str]) -> str | None:
    """``mine_id`` (normalised already) as the register stores it; unknown ids unchanged."""
    if mine_id is None or mine_id in stored:
        return mine_id
    return lookup.get(id_key(mine_id), mine_id)


def respelled(mines: pd.DataFrame, events: list[dict],
              stored: set[str]) -> tuple[pd.DataFrame, list[dict]]:
    """New copies of ``mines`` and ``events`` with every mine id in the register's spelling."""
    lookup = spellings(stored)
    if not lookup:
        return mines, events
    out = mines.copy()
    if len(out):
        out["mine_id"] = [stored_id(m, stored, lookup) for m in out["mine_id"]]
    return out, [{**e, "mine_id": stored_id(e.get("mine_id"), stored, lookup)}
                 if e.get("mine_id") is not None else e for e in events]


def find_id(conn, mine_id: str) -> str | None:
    """A user's ``mine_id`` as the register on ``conn`` stores it (unknown: as normalised)."""
    known = set(conn.execute(sa.select(db.MINES.c.mine_id)).scalars())
    return stored_id(normalise_id(mine_id), known, spellings(known))
