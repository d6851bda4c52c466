"""Names of people and organisations as the register stores, compares and checks them.

A signature is a person's name: what a zero-width space, a hyphen or "无" cannot be. Every name
and organisation goes through :func:`clean_name` before it is stored, compared with the
blacklist or counted as a signature:

1. Unicode NFKC (full-width ``Ｚｈａｎｇ`` → ``Zhang``, ``（`` → ``(``);
2. every kind of space (tabs, line breaks, U+3000, U+2028 …) becomes one plain space;
3. invisible and format characters are removed: categories Cf (zero-width space and joiners,
   BOM, direction marks, soft hyphen), Cc, Co, Cs and Cn, variation selectors and the blank
   letters that render as nothing (U+3164, U+115F, U+1160, U+FFA0, U+2800);
4. inner runs of spaces collapse to one, outer spaces are stripped.

What is left must hold at least one letter (Unicode category L: Chinese, Latin …) and must not
be a placeholder (``register.yaml``: ``signatures.placeholders`` — 无, 暂无, 不详, N/A …), else
the name is refused. :func:`name_key` (the cleaned name, case-folded, without spaces) is what
two names are compared by (the blacklist).
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache

__all__ = ["clean_text", "clean_name", "name_key", "NameRefused"]

#: Characters that are letters to Unicode but show as nothing.
_BLANK_LETTERS = {"\u3164", "\u115f", "\u1160", "\uffa0", "\u2800", "\u180e", "\u034f"}
MAX_LENGTH = 200


class NameRefused(ValueError):
    """A name with nothing meaningful left (``code``: ``empty``, ``no_letter``,
    ``placeholder`` or ``too_long``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _invisible(char: str) -> bool:
    if char in _BLANK_LETTERS:
        return True
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return True
    return unicodedata.category(char) in ("Cf", "Cc", "Co", "Cs", "Cn")


def clean_text(value) -> str | None:
    """``value`` as text by the rules above (steps 1–4); None when nothing is left."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return _clean(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=65536)
def _clean(value: str) -> str | None:
    text = unicodedata.normalize("NFKC", value)
    if not (text.isascii() and text.isprintable()):
        text = "".join(" " if ch.isspace() else ch for ch in text)
        text = "".join(ch for ch in text if not _invisible(ch))
    text = " ".join(text.split())
    return text or None


@lru_cache(maxsize=1)
def _placeholders() -> frozenset[str]:
    from ._register_checks import rules

    return frozenset(str(p).casefold() for p in rules()["signatures"]["placeholders"])


def clean_name(value) -> str | None:
    """A person's or organisation's name cleaned (:func:`clean_text`); None when empty.
    Raises :class:`NameRefused` when what is left is no name."""
    text = clean_text(value)
    if text is None:
        if value is not None and not (isinstance(value, float) and math.isnan(value)) \
                and str(value).strip():
            raise NameRefused("empty")  # only invisible characters
        return None
    if len(text) > MAX_LENGTH:
        raise NameRefused("too_long")
    if not any(unicodedata.category(ch).startswith("L") for ch in text):
        raise NameRefused("no_letter")
    if text.casefold() in _placeholders():
        raise NameRefused("placeholder")
    return text


def name_key(value) -> str | None:
    """The key two names are compared by: the cleaned text, case-folded, without spaces
    (``绿评咨询有限公司 (内蒙古)`` is ``绿评咨询有限公司(内蒙古)``); None when empty."""
    text = clean_text(value)
    return text.casefold().replace(" ", "") if text else None
