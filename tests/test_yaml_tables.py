"""One loader for every YAML table (``ordos_geo.core.yaml_tables``), each table checked against
its schema (``resources/table_schemas.yaml``) — tried as someone who edits a copy carelessly or
on purpose: NaN for a threshold, a typo'd key, a number in quotes, a section left out."""

from __future__ import annotations

import math
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml
from conftest import run_cli

import ordos_geo as og
from ordos_geo.core.errors import ValidationError
from ordos_geo.core.yaml_tables import TYPES, check_table, load_table, table_text

RESOURCES = Path(str(resources.files("ordos_geo").joinpath("resources")))
SCHEMAS = yaml.safe_load(table_text("table_schemas"))
TABLES = sorted(SCHEMAS)


def test_every_packaged_table_has_a_schema_and_passes_it():
    shipped = {p.stem for p in RESOURCES.glob("*.yaml")} - {"table_schemas"}
    # rules.yaml's schema is built from its own parameters (zoning.rules)
    assert shipped - {"rules"} == set(TABLES), shipped ^ set(TABLES)
    for name in TABLES:
        assert isinstance(load_table(name), dict)
    og.rules.load_rules()  # the rule table through the same loader


def _leaves(data, path=()):
    """(path, value) of every scalar in a table."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(data, list):
        for k, value in enumerate(data):
            yield from _leaves(value, path + (k,))
    else:
        yield path, data


def _set(data, path, value):
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _has_numbers(name: str) -> bool:
    return any(TYPES["number"](v) for _, v in _leaves(yaml.safe_load(table_text(name))))


@pytest.mark.parametrize("name", [t for t in TABLES if _has_numbers(t)])
def test_nan_or_text_in_any_number_is_refused_with_its_place(name, tmp_path):
    """Every number of every table, replaced by .nan, by .inf and by a word: refused, naming
    the key (a NaN threshold would otherwise pass every comparison)."""
    data = yaml.safe_load(table_text(name))
    numbers = [(p, v) for p, v in _leaves(data) if TYPES["number"](v)]
    for path, _ in numbers[:: max(1, len(numbers) // 12)]:  # a dozen places spread over it
        for bad in (math.nan, math.inf, "twelve"):
            copy = yaml.safe_load(table_text(name))
            _set(copy, path, bad)
            target = tmp_path / f"{name}.yaml"
            target.write_text(yaml.safe_dump(copy, allow_unicode=True), encoding="utf-8")
            with pytest.raises(ValidationError) as caught:
                load_table(name, path=target)
            shown = ".".join(str(p) for p in path)
            assert shown in str(caught.value) and str(target) in str(caught.value), \
                (name, path, bad, str(caught.value))


@pytest.mark.parametrize("name", TABLES)
def test_an_unknown_key_a_repeated_key_and_a_missing_section_are_refused(name, tmp_path):
    text = table_text(name)
    target = tmp_path / f"{name}.yaml"
    target.write_text(text + "\nwhenn: 1\n", encoding="utf-8")
    open_ended = "*" in SCHEMAS[name]  # aliases, headers: any table name, of the right shape
    with pytest.raises(ValidationError, match=r"line \d+: whenn is 1; expected" if open_ended
                       else r"line \d+: unknown key 'whenn'"):
        load_table(name, path=target)
    first = next(line for line in text.splitlines() if re.match(r"^\w[\w\"]*:", line))
    target.write_text(text + "\n" + first + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="given twice"):
        load_table(name, path=target)
    required = SCHEMAS[name].get("!", []) if isinstance(SCHEMAS[name], dict) else []
    if required:
        data = yaml.safe_load(text)
        del data[required[0]]
        target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        with pytest.raises(ValidationError, match=f"lacks the key '{required[0]}'"):
            load_table(name, path=target)


def test_a_copy_saved_in_gbk_reads_and_text_that_is_not_yaml_is_named(tmp_path):
    text = table_text("disturbance").replace("0.10", "0.12")
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes(text.encode("gb18030"))
    assert load_table("disturbance", path=gbk)["pixel"]["bsi_min"]["value"] == 0.12
    broken = tmp_path / "broken.yaml"
    broken.write_text("pixel:\n  bsi_min: {value: 0.1\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"broken.yaml, line \d+, column \d+: not valid"):
        load_table("disturbance", path=broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="expected a table of keys"):
        load_table("disturbance", path=listed)
    with pytest.raises(ValidationError, match="not there"):
        load_table("disturbance", path=tmp_path / "missing.yaml")


def test_the_schema_language_on_known_answers():
    schema = {"!": ["a"], "a": "number", "b": "number|null", "c": ["colour"],
              "d": {"?": True, "*": "int"}}
    assert check_table("a: 1\nb: null\nc: ['#00ff00']\nd: null\n", source="t",
                       schema=schema) == {"a": 1, "b": None, "c": ["#00ff00"], "d": None}
    for text, why in (("a: true\n", "a is True; expected number"),
                      ("a: 1\nc: [green]\n", "c.0 is 'green'; expected colour"),
                      ("a: 1\nd: {x: 1.5}\n", "d.x is 1.5; expected int"),
                      ("b: 1\n", "lacks the key 'a'"),
                      ("a: 1\ne: 2\n", "unknown key 'e'")):
        with pytest.raises(ValidationError, match=re.escape(why)):
            check_table(text, source="t", schema=schema)


def test_every_problem_is_reported_at_once(tmp_path):
    target = tmp_path / "d.yaml"
    target.write_text("pixel:\n  bsi_min: {value: .nan}\n  bsi_max: {value: 1}\npolygon: {}\n"
                      "declarations: {}\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_table("disturbance", path=target)
    text = str(caught.value)
    for expected in ("bsi_min.value is nan", "unknown key 'bsi_max'", "lacks the key 'ndvi_drop'",
                     "lacks the key 'search_m'", "lacks the key 'tolerance_ha'"):
        assert expected in text, (expected, text)


def test_a_placeholder_yaml_read_as_null_is_a_string_again():
    """register.yaml listed ``null`` unquoted: YAML read it as nothing, and the signature
    "null" was accepted. The schema ([str]) refuses such a list, and "null" is refused."""
    from ordos_geo.register import NameRefused, clean_name

    assert "null" in load_table("register")["signatures"]["placeholders"]
    for name in ("null", "NULL", "Null", "ｎｕｌｌ"):
        with pytest.raises(NameRefused):
            clean_name(name)


@pytest.mark.parametrize("command", ["disturbance", "declarations"])
def test_the_cli_names_a_bad_threshold_table_and_exits_1(command, tmp_path, capsys):
    bad = tmp_path / "thresholds.yaml"
    bad.write_text(table_text("disturbance").replace("{value: 0.20", "{value: .nan"),
                   encoding="utf-8")
    if command == "disturbance":
        argv = ["disturbance", str(og.datasets.synthetic_sites_path()), "--imagery",
                str(tmp_path / "none.csv"), "--rules", str(bad), "--out", str(tmp_path / "o")]
    else:
        table = tmp_path / "d.csv"
        table.write_text("mine_id,year,declared_reclaimed_ha\nM1,2024,3\n", encoding="utf-8")
        argv = ["declarations", str(table), "--progress", str(tmp_path / "p.csv"), "--rules",
                str(bad), "--out", str(tmp_path / "o")]
        (tmp_path / "p.csv").write_text("site_id,year,baseline_year,detected_gain_ha\n",
                                        encoding="utf-8")
    assert run_cli(argv) == 1
    err = capsys.readouterr().err
    assert "ndvi_drop.value is nan" in err and "thresholds.yaml" in err, err


def test_maps_sheets_and_qgis_styles_share_one_symbology():
    from ordos_geo.publish import export, sheets, symbology

    colours = symbology.colours()
    assert og.maps.STATUS_COLOURS == colours["status"]
    assert og.maps.END_USE_COLOURS == colours["end_use"]
    assert sheets._COLOURS is colours or sheets._COLOURS == colours
    sites = og.sites.read_sites(og.datasets.synthetic_sites_path())[0]
    qml = export._styles_for({"sites": sites}, "zh")["sites"]
    r, g, b = (int(colours["status"]["producing"][k:k + 2], 16) for k in (1, 3, 5))
    assert f'value="{r},{g},{b},150"' in qml and 'label="生产"' in qml
    assert symbology.value_labels("zh")["producing"] == "生产"
    assert set(symbology.value_labels("en")) == set(symbology.value_labels("zh"))  # issue 23


# --- the second adversary round (issue 21): what a hostile YAML file can do to a parser -------
def _bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for k in range(1, levels):
        refs = ", ".join([f"*a{k - 1}"] * 9)
        lines.append(f"a{k}: &a{k} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text, match", [
    (_bomb(9), "aliases"),  # 9⁹ items if expanded: refused before anything walks it
    ("value: &r [*r]\n", "aliases"),
    ("x: " + "[" * 5000 + "]" * 5000 + "\n", "deeper"),
    ("pixel:\n  ndvi_drop: {value: " + "9" * 5000 + "}\n", "digits"),
])
def test_a_hostile_yaml_file_is_refused_quickly(tmp_path, text, match):
    import time

    path = tmp_path / "disturbance.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ValidationError, match=match):
        load_table("disturbance", path=path)
    assert time.perf_counter() - started < 2.0


def test_the_cli_refuses_an_alias_bomb_with_exit_1(tmp_path, capsys):
    bad = tmp_path / "bomb.yaml"
    bad.write_text(_bomb(9), encoding="utf-8")
    table = tmp_path / "d.csv"
    table.write_text("mine_id,year,declared_reclaimed_ha\nM1,2024,3\n", encoding="utf-8")
    (tmp_path / "p.csv").write_text("site_id,year,vegetated_share\nM1,2024,0.5\n",
                                    encoding="utf-8")
    for argv in (["declarations", str(table), "--progress", str(tmp_path / "p.csv"), "--rules",
                  str(bad), "--out", str(tmp_path / "o")],
                 ["zones", str(og.datasets.synthetic_sites_path()), "--rules", str(bad),
                  "--out", str(tmp_path / "z")]):
        assert run_cli(argv) == 1
        err = capsys.readouterr().err
        assert "bomb.yaml" in err and "internal error" not in err, err


def test_numbers_read_as_yaml_1_2():
    from ordos_geo.core.yaml_tables import parse_yaml

    assert parse_yaml("a: 1:30", source="t") == {"a": "1:30"}  # not 90 (base 60)
    assert parse_yaml("a: 2e3\nb: 1.0e308\nc: 0.5", source="t") == {"a": 2000.0, "b": 1e308,
                                                                      "c": 0.5}


@pytest.mark.parametrize("path, bad", [
    (("polygon", "min_ha", "value"), -1), (("polygon", "search_m", "value"), 0),
    (("polygon", "min_dates", "value"), 2.5), (("polygon", "min_dates", "value"), 0),
    (("polygon", "min_dates", "value"), 1000), (("declarations", "tolerance_share", "value"), 5),
    (("declarations", "tolerance_share", "value"), -0.5),
    (("declarations", "tolerance_ha", "value"), -100), (("pixel", "ndvi_drop", "value"), 7)])
def test_a_threshold_out_of_its_range_is_refused(tmp_path, path, bad):
    """The same values given as CLI options were refused; in the table they changed results."""
    copy = yaml.safe_load(table_text("disturbance"))
    _set(copy, path, bad)
    target = tmp_path / "d.yaml"
    target.write_text(yaml.safe_dump(copy, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match=re.escape(".".join(path))):
        og.disturbance.load_thresholds(target)


def test_the_range_syntax_on_known_answers():
    from ordos_geo.core.yaml_tables import wrong_types

    cases = [("number(0,)", 0, False), ("number(0,)", 1e-9, True), ("number[0,1]", 1, True),
             ("number[0,1]", 1.0001, False), ("int[1,254]", 254, True), ("int[1,254]", 255, False),
             ("int[1,)", True, False), ("number[-1,1]", -1, True), ("number(0,2]", 2, True),
             ("number(0,2]", math.nan, False)]
    for kind, value, ok in cases:
        assert (wrong_types(value, kind, lines={}, source="t") == []) is ok, (kind, value)


@pytest.mark.parametrize("edit, match", [
    (lambda rules: rules["rules"][0].pop("when"), "when"),
    (lambda rules: rules.update(version=True), "version"),
    (lambda rules: rules["rules"][0]["when"].update(sites_ha=[math.nan, 1]), "finite"),
    (lambda rules: rules["end_uses"][next(iter(rules["end_uses"]))].update(zh="\u200b"), "zh"),
])
def test_a_rule_table_missing_when_or_with_a_bad_version_or_label_is_refused(tmp_path, edit,
                                                                             match):
    """A rule without `when` fired for every zone (81 of 81 zones: PV)."""
    data = yaml.safe_load(table_text("rules"))
    edit(data)
    target = tmp_path / "rules.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match=match):
        og.rules.load_rules(target)
