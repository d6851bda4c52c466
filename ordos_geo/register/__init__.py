"""The green-mine register and its supervision rules.

``og.register`` is :mod:`~ordos_geo.register.ledger` (events, sign-offs, the hash chain, derived
state; a GeoPackage or PostgreSQL/PostGIS); ``og.supervision`` is
:mod:`~ordos_geo.register.supervision`. The underscore modules are the register's internals:
``_storage`` (the two backends), ``_chain`` (the hash chain), ``_names`` (names and signatures),
``_ids`` (mine ids as the register looks them up),
``_checks``/``_sequence``/``_audit`` (the rules of one event, of a mine's sequence, re-checked on
verify), ``_tables`` (register tables), ``_state`` (derived state), ``_rectification``,
``_fund_capacity`` and ``_supervision_rules``.
"""

from ._checks import canonical_value
from ._names import NameRefused, clean_name
from ._storage import check_location, masked_location
from .ledger import (
    EVENT_COLUMNS,
    HISTORY_COLUMNS,
    SIGNATURES,
    STATE_COLUMNS,
    Register,
    TamperedError,
    Verification,
    check_exported_chain,
    current_state,
    effective_events,
    events_of_table,
    init,
    mines_of_table,
    open_register,
    read_register_table,
    rules,
    summary_by_banner,
    upgrade,
)

__all__ = ["Register", "init", "open_register", "upgrade", "check_exported_chain",
           "current_state", "effective_events", "summary_by_banner", "read_register_table",
           "events_of_table", "mines_of_table", "TamperedError", "Verification", "EVENT_COLUMNS",
           "HISTORY_COLUMNS", "STATE_COLUMNS", "SIGNATURES", "rules", "canonical_value",
           "clean_name", "NameRefused", "masked_location", "check_location"]


def __getattr__(name: str):
    if name == "EVENTS":
        return list(rules()["events"])
    # 0.3's register.py was one module: its other public names, from where they live now
    from ..core.utils import renamed

    return renamed(__name__, {}, homes=("ordos_geo.register.ledger",
                                        "ordos_geo.register._checks"))(name)
