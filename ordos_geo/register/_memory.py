"""This machine's memory of the register events it has checked against the rules (an internal
module of :mod:`ordos_geo.register`): opening a register re-checks only the events recorded
since, as long as the chain still holds the head remembered. The memory is a small JSON file in
``$XDG_CACHE_HOME/ordos_geo/audited.json`` (else ``~/.cache``); a machine that cannot write it
checks everything again next time."""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["audited_upto", "remember"]


def memory_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ordos_geo" / "audited.json"


def audited_upto(register_id: str, columns) -> int:
    """The last event this machine checked against the rules in this register, when the
    chain still holds it (0 otherwise)."""
    try:
        n, digest = json.loads(memory_file().read_text("utf-8")).get(register_id, (0, ""))
    except (OSError, ValueError, TypeError):
        return 0
    ids, hashes = columns[0], columns[-1]
    if not (isinstance(n, int) and 0 < n <= len(ids) and int(ids[n - 1]) == n and
            hashes[n - 1] == digest):
        return 0
    return n


def remember(register_id: str, n: int, digest: str | None) -> None:
    """Remember the head this machine has checked (best effort: a machine that cannot write
    its cache checks everything again next time)."""
    path = memory_file()
    try:
        known = json.loads(path.read_text("utf-8")) if path.exists() else {}
        known[register_id] = [int(n), digest]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known), encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, ValueError, TypeError):
        pass
