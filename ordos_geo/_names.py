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

What is left must hold at least two letters (Unicode Lu, Ll, Lt, Lo: Chinese characters, Latin
letters …; modifier letters such as ``ー`` or ``ˍ`` do not count) and its letters must not spell
a placeholder (``register.yaml``: ``signatures.placeholders`` — 无, 暂无, 不详, 同上, N/A, nan …,
compared by letters only, so ``（无）``, ``暂 无``, ``N/A.`` and ``#N/A`` are placeholders too),
else the name is refused.

:func:`name_key` is what two names are compared by (the evaluator blacklist): the cleaned name
in simplified characters (OpenCC ``t2s``: ``綠評諮詢`` is ``绿评咨询``), without a bracketed
annotation such as ``(盖章)``, and of that only its letters and digits, case-folded — so
punctuation, spaces, combining marks and variation selectors cannot make two names differ.
"""

from __future__ import annotations

import math
import re
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


_LETTER = ("Lu", "Ll", "Lt", "Lo")


def _letters(text: str) -> str:
    """The letters (not modifier letters) and digits of ``text``, case-folded."""
    return "".join(ch for ch in text if unicodedata.category(ch) in _LETTER or
                   unicodedata.category(ch) == "Nd").casefold()


@lru_cache(maxsize=1)
def _placeholders() -> frozenset[str]:
    from ._register_checks import rules

    return frozenset(_letters(str(p)) for p in rules()["signatures"]["placeholders"])


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
    if sum(unicodedata.category(ch) in _LETTER for ch in text) < 2:
        raise NameRefused("no_letter")
    if _letters(text) in _placeholders():
        raise NameRefused("placeholder")
    return text


_ANNOTATION = re.compile(r"[(\[【〔]\s*(已?盖章|签章|公章|印章|章|印|签字|签名)\s*[)\]】〕]")


@lru_cache(maxsize=1)
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s").convert


@lru_cache(maxsize=65536)
def _key(text: str) -> str:
    text = _ANNOTATION.sub("", _to_simplified()(text))
    return "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if unicodedata.category(ch)[0] in "LN").casefold()


def name_key(value) -> str | None:
    """The key two names are compared by (see the module text): ``綠評諮詢有限公司（盖章）``,
    ``绿评-咨询有限公司`` and ``绿评咨询有限公司`` have one key; None when empty."""
    text = clean_text(value)
    return (_key(text) or None) if text else None
