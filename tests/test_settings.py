import pytest

import ordos_geo as og
from ordos_geo.core.errors import SettingsError


def test_defaults_and_repr():
    from ordos_geo.core.settings import SETTINGS_TABLE, Settings

    fresh = Settings(lang="en")
    assert fresh.lang == "en"
    assert fresh.export_crs == "EPSG:4326"
    assert "lang='en'" in repr(fresh)
    assert all(option.doc for option in SETTINGS_TABLE.values())


def test_unknown_name_is_refused():
    with pytest.raises(SettingsError, match="Unknown setting 'langauge'"):
        og.settings.langauge = "en"
    with pytest.raises(SettingsError, match="known settings are"):
        _ = og.settings.colour


def test_bad_values_are_refused_with_the_allowed_ones():
    with pytest.raises(SettingsError, match=r"'fr'.*'zh', 'en'"):
        og.settings.lang = "fr"
    with pytest.raises(SettingsError, match="not a CRS"):
        og.settings.metric_crs = "EPSG:999999"
    with pytest.raises(SettingsError, match="True or False"):
        og.settings.progress = "yes"


def test_context_restores_and_get_override():
    og.settings.lang = "zh"
    with og.settings.context(lang="en"):
        assert og.settings.lang == "en"
    assert og.settings.lang == "zh"
    assert og.settings.get("lang", "en") == "en"
    assert og.settings.get("lang") == "zh"
    with pytest.raises(SettingsError):
        og.settings.get("lang", "xx")
