"""Numeric parameters of the supervision rules (pass lines, shares, years, months, seeds):
finite, in range, whole when they count something. A bad one is a :class:`UsageError` (the CLI
exits 2) naming the parameter, the value and the range."""

from __future__ import annotations

import math

from .errors import UsageError
from .messages import msg

__all__ = ["check_number"]


def check_number(name: str, value, *, low: float, high: float, low_open: bool = False,
                 whole: bool = False) -> float:
    """``value`` as a float in ``[low, high]`` (``(low, high]`` with ``low_open``), a whole
    number with ``whole``; NaN, infinity, text and booleans are refused."""
    shown = f"{'(' if low_open else '['}{low:g}, {high:g}]"
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(msg("param_range", name=name, value=repr(value), range=shown)) from None
    bad = not math.isfinite(number) or number > high or number < low or \
        (low_open and number == low) or (whole and not number.is_integer())
    if bad:
        kind = msg("param_whole") if whole else ""
        raise UsageError(msg("param_range", name=name, value=repr(value), range=shown + kind))
    return number
