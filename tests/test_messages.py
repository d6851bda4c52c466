import string

from ordos_geo.core.messages import CATALOGUE, msg


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_message_has_both_languages_with_the_same_placeholders():
    for code, (zh, en) in CATALOGUE.items():
        assert zh and en, code
        assert _fields(zh) == _fields(en), code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), f"{code}: zh text has no Chinese"


def test_language_choice():
    assert msg("file_missing", lang="en", path="x.shp") == "File not found: x.shp. Check the path."
    assert msg("file_missing", lang="zh", path="x.shp").startswith("文件不存在")
