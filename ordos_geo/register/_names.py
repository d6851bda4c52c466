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

That is what is stored. It is refused when its **letters** — the letters proper (Unicode Lu,
Ll, Lt, Lo; modifier letters such as ``ー`` or ``ˍ`` and the look-alike separators of
``register.yaml`` do not count) and digits, with accents dropped, small capitals and Cyrillic
look-alikes read as Latin (``ɴᴀ``, ``н/а`` → ``na``), case-folded — hold fewer than two
different letters, or spell a placeholder (``register.yaml``: ``signatures.placeholders`` —
无, 暂无, 不详, 同上, 匿名, N/A, nan, test, admin …) — also with digits left out (``测试1``) or
repeated (``无 无``, ``testtest``, ``xxxx``).

:func:`name_key` is what two organisations are compared by (the evaluator blacklist): the
cleaned name in simplified characters (OpenCC ``t2s``: ``綠評諮詢`` is ``绿评咨询``) and with the
variant characters of ``signatures.variants`` (``谘`` → ``咨``), without annotations such as
``(盖章)``, ``《单位盖章》`` or a trailing ``盖章`` (``signatures.annotations``, in any bracket),
and of that its letters as above — so punctuation, spaces, combining marks, variation
selectors and look-alike separators cannot make two names differ.
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
_LETTER = ("Lu", "Ll", "Lt", "Lo")
#: Cyrillic letters read as the Latin ones a reader takes them for (н/а is "n/a").
_CYRILLIC = str.maketrans("абвгдеёзийклмнопрстуфхцыэюя", "abvgdeeziiklmnoprstufhcyeuy")


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
def _spec() -> dict:
    """The ``signatures`` section of the register table (``resources/register.yaml``)."""
    from ..core.yaml_tables import load_table

    return load_table("register")["signatures"]


def _small_capital(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.rsplit(" ", 1)[-1].lower() if "SMALL CAPITAL" in name and len(
        name.rsplit(" ", 1)[-1]) == 1 else ch


@lru_cache(maxsize=65536)
def _letters(text: str) -> str:
    """The letters and digits of ``text`` as compared (see the module text)."""
    separators = set(_spec()["separators"])
    out = []
    for ch in unicodedata.normalize("NFKD", text).casefold():
        if ch in separators:
            continue
        category = unicodedata.category(ch)
        if category in _LETTER or category == "Nd":
            out.append(_small_capital(ch).translate(_CYRILLIC))
    return "".join(out)


@lru_cache(maxsize=1)
def _placeholders() -> frozenset[str]:
    return frozenset(_letters(str(p)) for p in _spec()["placeholders"])


def _is_placeholder(key: str) -> bool:
    placeholders = _placeholders()
    bare = "".join(ch for ch in key if not ch.isdigit())
    for word in (key, bare):
        if word in placeholders:
            return True
        for size in range(1, len(word) // 2 + 1):  # 无无, testtest, xxxx: a repeated word
            if len(word) % size == 0 and word == word[:size] * (len(word) // size) and \
                    word[:size] in placeholders:
                return True
    return False


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
    key = _letters(text)
    if len({ch for ch in key if not ch.isdigit()}) < 2:
        raise NameRefused("no_letter")
    if _is_placeholder(key):
        raise NameRefused("placeholder")
    return text


@lru_cache(maxsize=1)
def _annotation():
    words = "|".join(re.escape(w) for w in sorted(_spec()["annotations"], key=len,
                                                  reverse=True))
    opening, closing = "(\\[【〔《<‹{「『〈", ")\\]】〕》>›}」』〉"
    bracketed = re.compile(rf"[{opening}][^{opening}{closing}]*(?:{words})[^{opening}{closing}]*"
                           rf"[{closing}]")
    long = "|".join(re.escape(w) for w in sorted(_spec()["annotations"], key=len, reverse=True)
                    if len(w) >= 2)
    trailing = re.compile(rf"(?:{long})+$")
    return bracketed, trailing


@lru_cache(maxsize=1)
def _to_simplified():
    import opencc

    convert = opencc.OpenCC("t2s").convert
    variants = str.maketrans(_spec()["variants"])
    return lambda text: convert(text).translate(variants)


@lru_cache(maxsize=65536)
def _key(text: str) -> str:
    bracketed, trailing = _annotation()
    text = bracketed.sub("", _to_simplified()(text))
    key = _letters(text)
    return trailing.sub("", key) or key


def name_key(value) -> str | None:
    """The key two organisations are compared by (see the module text):
    ``綠評諮詢有限公司（盖章）``, ``绿评-咨询有限公司`` and ``绿评咨询有限公司`` have one key; None
    when empty."""
    text = clean_text(value)
    return (_key(text) or None) if text else None
