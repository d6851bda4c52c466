"""Parameters and tables that refuse nonsense, as the other side would bring them: NaN, signs
and ranges for every number (exit 2), capacity tables with duplicates, units in tonnes where
万吨 is expected, six months, month spellings, a capacity change mid-year; fund tables with a
year 1800, a duplicated mine-year, nothing required; units in headers; every table the tool
writes read back; rule tables with typos; conflicting plans; a prerequisite written 可能; and
a fuzz over the commands: a user's mistake is never exit 70."""


import pandas as pd
import pytest
from conftest import JUNGAR, sites_from_metric, squares_metric
from conftest import run_cli as _cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ordos_geo as og
from ordos_geo import cli
from ordos_geo.core.errors import UsageError, ValidationError

MAXIMA = {"矿区环境": 220, "资源开发方式": 220, "资源综合利用": 200, "节能减排": 120,
          "科技创新与智能矿山": 120, "企业管理与企业形象": 120}
SIGN = {"checked_by": "张三", "evaluated_by": "李四", "tracked_by": "王五", "responsible": "赵六"}


@pytest.fixture(autouse=True)
def _english():
    og.settings.lang = "en"


def _sheet_780(path=None, **prereq):
    """A 780/1000 sheet (every category ≥ 75 %): it fails the 800 line and nothing else."""
    scores = {c: m * 0.78 for c, m in MAXIMA.items()}
    rows = [{"矿山编号": "M1", "一级指标": c, "分值": m, "得分": scores[c], **prereq}
            for c, m in MAXIMA.items()]
    frame = pd.DataFrame(rows)
    if path is not None:
        frame.to_csv(path, index=False)
        return path
    return frame


# --- 6. parameters ------------------------------------------------------------------------------
@pytest.mark.parametrize("line", ["nan", "-5", "0", "inf", "1001", "八百"])
def test_a_pass_line_that_is_no_line_is_refused(tmp_path, line, capsys):
    sheet = _sheet_780(tmp_path / "s.csv")
    assert _cli(["score", str(sheet), "--pass-line", line, "--out",
                     str(tmp_path / "o.csv")]) == 2
    assert not (tmp_path / "o.csv").exists()
    with pytest.raises(UsageError, match="pass_line"):
        og.supervision.score_sheet(sheet, pass_line=float(line) if line != "八百" else line)
    out = og.supervision.score_sheet(sheet, pass_line=800).iloc[0]
    assert out["total"] == pytest.approx(780) and not out["passed"]


@pytest.mark.parametrize("argv", [
    ["capacity", "{prod}", "--monthly-share", "nan"], ["capacity", "{prod}", "--monthly-share", "-0.1"],
    ["capacity", "{prod}", "--monthly-share", "0"], ["capacity", "{prod}", "--monthly-share", "1.5"],
    ["fund", "{fund}", "--required-share", "nan"], ["fund", "{fund}", "--required-share", "0"],
    ["fund", "{fund}", "--required-share", "-1"], ["fund", "{fund}", "--required-share", "inf"],
    ["rectification", "{db}", "--months", "-1"], ["rectification", "{db}", "--months", "0"],
    ["rectification", "{db}", "--months", "1.5"], ["rectification", "{db}", "--as-of", "2024-02-30"],
    ["spot-check", "{db}", "--year", "0"], ["spot-check", "{db}", "--year", "2024.5"],
    ["spot-check", "{db}", "--year", "2025", "--rate", "nan"],
    ["spot-check", "{db}", "--year", "2025", "--rate", "1.2"],
    ["lookback", "{db}", "--year", "1800"], ["register", "show", "{db}", "--as-of", "2024-02-30"],
    ["register", "map", "{db}", "--year", "-3"], ["score", "{sheet}", "--out", "{tmp}/x.pdf"]])
def test_every_number_and_date_is_checked_exit_2(tmp_path, argv, capsys):
    prod = tmp_path / "p.csv"
    pd.DataFrame({"矿山编号": "M1", "月份": ["2025-01"], "产量": [1000], "核定产能": [12]}).to_csv(
        prod, index=False)
    fund = tmp_path / "f.csv"
    pd.DataFrame({"矿山编号": ["M1"], "年度": [2025], "已计提": [1], "应计提": [1]}).to_csv(
        fund, index=False)
    sheet = _sheet_780(tmp_path / "s.csv")
    reg = og.register.init(tmp_path / "r.gpkg", sites=sites_from_metric(
        squares_metric(JUNGAR, 1, 100.0, 400.0), ids=["M1"]))
    reg.close()
    names = {"prod": prod, "fund": fund, "db": tmp_path / "r.gpkg", "sheet": sheet, "tmp": tmp_path}
    args = [a.format(**names) for a in argv]
    if "--out" not in args:
        args += ["--out", str(tmp_path / ("o" if argv[0] in ("spot-check", "rectification")
                                          else "o.csv" if argv[0] != "register" else "m.html"))]
    capsys.readouterr()
    assert _cli(args) == 2, args
    assert "ordos-geo" in capsys.readouterr().err  # a message, not a traceback
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "o").exists()


def test_api_parameters_are_checked_too():
    state = pd.DataFrame({"mine_id": ["M1"], "banner": ["准格尔旗"], "listed": [True]})
    for kw in ({"rate": float("nan")}, {"rate": 0}, {"year": 0}, {"seed": -1}, {"seed": 2**63},
               {"coverage_years": 0}, {"weights": {"overdue": float("inf")}},
               {"weights": {"overdoo": 1}}):
        with pytest.raises(UsageError):
            og.supervision.spot_check_plan(state, **{"year": 2026, **kw})
    with pytest.raises(UsageError):
        og.supervision.rectification_items(pd.DataFrame(columns=og.register.EVENT_COLUMNS),
                                           months=-1)


# --- capacity -----------------------------------------------------------------------------------
def _production(output, months=None, capacity=120, mine="M1"):
    months = months or [f"2025-{m:02d}" for m in range(1, len(output) + 1)]
    return pd.DataFrame({"矿山编号": mine, "月份": months, "产量": output, "核定产能": capacity})


def test_duplicate_months_are_summed_and_said(caplog):
    table = _production([70_000, 70_000, 90_000], months=["2025-01", "2025-01", "2025-02"])
    with caplog.at_level("WARNING", logger="ordos_geo"):
        out = og.supervision.capacity_check(table).set_index("period")
    assert out.loc["2025-01", "output_t"] == 140_000 and out.loc["2025-01", "flagged"]
    assert out.loc["2025-01", "n_rows"] == 2 and out.loc["2025-01", "tickets_withheld_t"] == 20_000
    assert "2, 3" in caplog.text  # the rows named
    clash = _production([70_000, 70_000], months=["2025-01", "2025-01"], capacity=[120, 90])
    with pytest.raises(ValidationError, match="rows 2, 3 with different approved capacities"):
        og.supervision.capacity_check(clash)


def test_units_that_make_every_check_pass_are_refused():
    in_tonnes = _production([95_000] * 3, capacity=1_200_000)  # 120 万吨/年 typed as tonnes
    with pytest.raises(ValidationError, match="looks like tonnes per year"):
        og.supervision.capacity_check(in_tonnes)
    wan = _production([9.5, 13.0, 9.0])  # 万吨 where tonnes are expected
    with pytest.raises(ValidationError, match="unit is probably wrong"):
        og.supervision.capacity_check(wan)
    same = og.supervision.capacity_check(wan, unit="万吨")  # said so: read as 万吨
    assert same.set_index("period").loc["2025-02", "flagged"]
    header = wan.rename(columns={"产量": "产量(万吨)"})  # or the header says so
    pd.testing.assert_frame_equal(og.supervision.capacity_check(header), same)
    with pytest.raises(UsageError, match="disagrees"):
        og.supervision.capacity_check(header, unit="t")
    tonnes_header = in_tonnes.rename(columns={"核定产能": "核定产能(吨/年)"})
    assert og.supervision.capacity_check(tonnes_header)["approved_t_per_year"].iloc[0] == \
        pytest.approx(1_200_000)
    with pytest.raises(ValidationError, match="unknown unit '斤'"):
        og.supervision.capacity_check(wan.rename(columns={"产量": "产量(斤)"}))


def test_a_half_year_is_incomplete_and_its_line_prorated():
    out = og.supervision.capacity_check(_production([100_000] * 6)).set_index("period")
    year = out.loc["2025"]
    assert year["months"] == 6 and not year["complete"]
    assert year["line_t"] == pytest.approx(1_200_000 / 12 * 6 * 1.1)
    full = og.supervision.capacity_check(_production([100_000] * 12)).set_index("period")
    assert full.loc["2025", "complete"] and full.loc["2025", "line_t"] == pytest.approx(1_320_000)


@pytest.mark.parametrize("month", ["2025-01", "2025/1", "2025.01", "202501", "2025年1月",
                                   "2025年01月", "2025 年 1 月", pd.Timestamp("2025-01-01")])
def test_month_spellings(month):
    out = og.supervision.capacity_check(_production([100_000], months=[month]))
    assert out["period"].tolist() == ["2025", "2025-01"] or \
        sorted(out["period"]) == ["2025", "2025-01"]


@pytest.mark.parametrize("day", ["2025-01-31", "2025/1/15", "2025年1月31日",
                                 pd.Timestamp("2025-01-31")])
def test_a_day_is_not_a_month(day):
    with pytest.raises(ValidationError, match="a day, not a month"):
        og.supervision.capacity_check(_production([100_000], months=[day]))


def test_the_capacity_in_force_each_month():
    """120 万吨/年 for six months, then 240: a month of 150,000 t is above the first line
    (120,000) but not the second (240,000); the year's line is 1.1 × (6 × 10 + 6 × 20) 万吨."""
    table = _production([150_000] * 12, capacity=[120] * 6 + [240] * 6)
    out = og.supervision.capacity_check(table).set_index("period")
    assert out.loc["2025-06", "flagged"] and not out.loc["2025-07", "flagged"]
    assert out.loc["2025", "line_t"] == pytest.approx(1.1 * (6 * 100_000 + 6 * 200_000))
    assert not out.loc["2025", "flagged"]  # 1.8 Mt < 1.98 Mt; the larger capacity would say so too


# --- fund ---------------------------------------------------------------------------------------
def test_fund_tables_that_make_no_sense_are_refused():
    def fund(**columns):
        base = {"矿山编号": ["M1", "M2"], "年度": [2024, 2024], "已计提": [100, 100],
                "应计提": [100, 100]}
        return pd.DataFrame({**base, **columns})

    with pytest.raises(ValidationError, match=r"row 2, 年度 = 1800"):
        og.supervision.fund_check(fund(年度=[1800, 2024]))
    with pytest.raises(ValidationError, match=r"row 3, 年度 = 2024.5"):
        og.supervision.fund_check(fund(年度=[2024, 2024.5]))
    with pytest.raises(ValidationError, match="rows 2, 3"):
        og.supervision.fund_check(fund(矿山编号=["M1", "M1"]))
    with pytest.raises(ValidationError, match=r"row 2, 应计提 = 0: not a finite number > 0"):
        og.supervision.fund_check(fund(应计提=[0, 100]))
    with pytest.raises(ValidationError, match="the restoration-fund table lacks"):
        og.supervision.fund_check(pd.DataFrame({"矿山编号": ["M1"], "年度": [2024]}))


def test_units_in_fund_headers():
    table = pd.DataFrame({"矿山编号": ["M1"], "年度": [2024], "已计提金额(元)": [1_000_000],
                          "应计提金额(万元)": [100]})
    out = og.supervision.fund_check(table).iloc[0]
    assert out["accrued"] == pytest.approx(100) and out["passed"]


def test_every_table_the_tool_writes_reads_back(tmp_path):
    fund = pd.DataFrame({"矿山编号": ["M1", "M2"], "年度": [2024, 2024], "已计提": [100, 80],
                         "应计提": [100, 100]})
    first = og.supervision.fund_check(fund)
    for lang in ("zh", "en"):
        written = og.export.write_table(first, tmp_path / f"fund_{lang}.xlsx", lang=lang)
        again = og.supervision.fund_check(written)
        pd.testing.assert_frame_equal(again, first, check_dtype=False)
        csv = og.export.write_table(first, tmp_path / f"fund_{lang}.csv", lang=lang)
        pd.testing.assert_frame_equal(og.supervision.fund_check(csv), first, check_dtype=False)
    removal = pd.DataFrame({"mine_id": ["M1", "M2"], "banner": "准格尔旗", "name": None,
                            "reason": "x"})
    for lang in ("zh", "en"):
        path = og.export.write_table(removal, tmp_path / f"removal_{lang}.csv", lang=lang)
        assert cli.supervision._required(path) == ["M1", "M2"]  # as --required-mines


# --- prerequisites and rules --------------------------------------------------------------------
def test_a_prerequisite_that_is_neither_yes_nor_no_is_refused():
    with pytest.raises(ValidationError, match="row 2, prerequisite '证照合法有效' = '可能'"):
        og.supervision.score_sheet(_sheet_780(证照合法有效="可能"), pass_line=700)
    for yes in ("是", "满足", "√", "TRUE", "yes"):
        assert og.supervision.score_sheet(_sheet_780(证照合法有效=yes),
                                          pass_line=700).iloc[0]["passed"]
    for no in ("否", "不满足", "×", "false"):
        assert not og.supervision.score_sheet(_sheet_780(证照合法有效=no),
                                              pass_line=700).iloc[0]["passed"]


RULE_CASES = [  # (text in the default table, what replaces it, the message expected)
    ("    topsoil_cm: 50\n", "    topsoil_mm: 50\n", "unknown key 'topsoil_mm' in standards."),
    ("version: 1\n", "version: 99\n", "version 99"),
    ("regions:\n", "colour: red\nregions:\n", "unknown key 'colour' in the top level"),
    ('{sites_ha: ">= 500"', '{sites_ha: "=> 5"', "'=> 5' is not a condition on a number"),
    ("  west: [鄂托克前旗, 鄂托克旗, 杭锦旗, 乌审旗]", "  west: []", "region 'west': give a banner"),
]


@pytest.mark.parametrize("anchor, replacement, expected", RULE_CASES)
def test_rule_tables_are_checked_against_their_schema(tmp_path, anchor, replacement, expected):
    text = og.rules.default_rules_text()
    assert anchor in text, anchor
    path = tmp_path / "rules.yaml"
    path.write_text(text.replace(anchor, replacement, 1), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        og.rules.load_rules(path)
    assert expected in str(err.value) and str(path) in str(err.value)


def test_a_misspelt_when_is_an_error_not_the_fallback(tmp_path):
    text = og.rules.default_rules_text()
    first_when = text.index("    when:")
    path = tmp_path / "rules.yaml"
    path.write_text(text[:first_when] + "    whenn:" + text[first_when + len("    when:"):],
                    encoding="utf-8")
    line = text[:first_when].count("\n") + 1
    with pytest.raises(ValidationError, match=f"line {line}: unknown key 'whenn'"):
        og.rules.load_rules(path)
    assert _cli(["zones", str(og.datasets.synthetic_sites_path()), "--rules", str(path),
                     "--out", str(tmp_path / "z")]) == 1
    assert not (tmp_path / "z").exists()


def test_conflicting_plan_rows_are_refused(tmp_path):
    rows = [{"矿山编号": "M1", "年度": 2025, "计划治理面积": 179.1},
            {"矿山编号": "M1", "年度": 2025, "计划治理面积": 999}]
    path = tmp_path / "plans.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(ValidationError, match="rows 2, 3: mine 'M1', year 2025"):
        og.plans.read_plans(path)
    pd.DataFrame([rows[0], rows[0]]).to_csv(path, index=False)  # the same row twice: one plan
    assert len(og.plans.read_plans(path)) == 2


# --- a fuzz over the commands -------------------------------------------------------------------
NASTY = ["nan", "NaN", "inf", "-inf", "-1", "0", "1e309", "\u200b", "-", "2024-02-30", "0001-01-01",
         "9999-12-31", "1,000", " ", "=1+1", "M1\u200b", "Ｍ１", "<script>", "{{7*7}}", "1800",
         "2024.5", "準格爾旗", "火星旗", "", "\ufeff", "🙂"]


@pytest.fixture(scope="module")
def fuzz_register(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    reg = og.register.init(folder / "r.gpkg", sites=sites_from_metric(
        squares_metric(JUNGAR, 2, 100.0, 400.0), ids=["M1", "M2"]))
    reg.add(mine_id="M1", event="listed", date="2021-01-01", level="national")
    reg.add(mine_id="M1", event="finding", date="2022-01-01", **SIGN)
    reg.close()
    return folder


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.sampled_from(["add", "show", "spot-check", "rectification", "lookback", "fund",
                        "capacity", "score", "blacklist"]),
       st.lists(st.sampled_from(NASTY), min_size=4, max_size=4))
def test_a_users_mistake_is_never_exit_70(fuzz_register, command, values):
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(dir=fuzz_register)
    db_ = f"{folder}/r.gpkg"
    shutil.copy(fuzz_register / "r.gpkg", db_)
    a, b, c, d = values
    table = f"{folder}/t.csv"
    argv = {
        "add": ["register", "add", db_, "--mine-id", a, "--event", "spot_check", "--date", b,
                "--checked-by", c, "--responsible", d, "--score", a],
        "show": ["register", "show", db_, "--as-of", a, "--banner", b or "准格尔旗"],
        "spot-check": ["spot-check", db_, "--year", a, "--rate", b, "--out", f"{folder}/o"],
        "rectification": ["rectification", db_, "--as-of", a, "--months", b, "--out",
                          f"{folder}/o"],
        "lookback": ["lookback", db_, "--year", a, "--out", f"{folder}/l.csv"],
        "fund": ["fund", table, "--required-share", d, "--out", f"{folder}/f.csv"],
        "capacity": ["capacity", table, "--monthly-share", d, "--out", f"{folder}/c.csv"],
        "score": ["score", table, "--pass-line", d, "--out", f"{folder}/s.csv"],
        "blacklist": ["register", "blacklist", db_, "--org", a, "--date", b, "--reason", c,
                      "--responsible", d]}[command]
    pd.DataFrame({"矿山编号": [a, "M1"], "年度": [b, "2024"], "已计提": [c, "1"], "应计提": [d, "1"],
                  "月份": [b, "2025-01"], "产量": [c, "1000"], "核定产能": [d, "12"],
                  "一级指标": [a, "矿区环境"], "分值": [c, "220"], "得分": [d, "200"]}).to_csv(
        table, index=False)
    try:
        code = _cli(argv)
    except SystemExit as exc:  # argparse: a usage error
        code = exc.code
    assert code in (0, 1, 2), (argv, code)
    assert og.register.open_register(db_).verify().ok  # whatever happened, the chain holds


# --- what the other side found next --------------------------------------------------------------
def test_a_blank_prerequisite_is_not_met(tmp_path):
    sheet = _sheet_780(证照合法有效="")
    with pytest.raises(ValidationError, match="not answered"):
        og.supervision.score_sheet(sheet, pass_line=700)
    one = _sheet_780(证照合法有效="")
    one.loc[0, "证照合法有效"] = "是"  # answered on one row of the mine: that counts
    assert og.supervision.score_sheet(one, pass_line=700).iloc[0]["passed"]


@pytest.mark.parametrize("anchor, replacement, expected", [
    ('{sites_ha: ">= 500"', '{sites_ha: ">= nan"', "finite"),
    ("when: {region: east, open_pit_share", "when: {region: eastt, open_pit_share",
     "region 'eastt' is not one of"),
    ("when: {region: east}", "when: {region: east, region: west}", "given twice"),
])
def test_rules_that_could_never_fire_are_refused(tmp_path, anchor, replacement, expected):
    text = og.rules.default_rules_text()
    assert anchor in text
    path = tmp_path / "rules.yaml"
    path.write_text(text.replace(anchor, replacement, 1), encoding="utf-8")
    with pytest.raises(ValidationError, match=expected):
        og.rules.load_rules(path)


def test_a_broken_rule_file_names_itself(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nregions: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"rules\.yaml, line \d+, column \d+"):
        og.rules.load_rules(path)


def test_a_plan_deadline_that_is_no_date(tmp_path):
    path = tmp_path / "plans.csv"
    pd.DataFrame([{"矿山编号": "M1", "年度": 2025, "计划治理面积": 10, "完成期限": "-5"}]).to_csv(
        path, index=False)
    with pytest.raises(ValidationError, match="deadline = '-5'"):
        og.plans.read_plans(path)


def test_months_as_numbers_days_and_the_future(tmp_path):
    from ordos_geo.register._checks import today

    book = tmp_path / "p.xlsx"
    og.io.write_xlsx(pd.DataFrame({"矿山编号": ["M1"], "月份": [2025.1], "产量": [100_000],
                                   "核定产能": [120]}), book)
    with pytest.raises(ValidationError, match="a number, not a month"):
        og.supervision.capacity_check(pd.read_excel(book))
    assert og.supervision.capacity_check(_production([100_000], months=[202510])) \
        ["period"].tolist()[-1] == "2025-10"
    assert og.supervision.capacity_check(_production([100_000], months=["2025-01-01"])) \
        ["period"].tolist()[-1] == "2025-01"  # the 1st, as a spreadsheet date cell
    ahead = f"{today().year + 1}-01"
    with pytest.raises(ValidationError, match="a month still ahead"):
        og.supervision.capacity_check(_production([100_000], months=[ahead]))


def test_numbers_read_one_way(tmp_path):
    frame = pd.DataFrame({"矿山编号": ["M1"] * 6, "一级指标": list(MAXIMA),
                          "分值": ["２２０", "220", "200", "1,20", "120", "120"],
                          "得分": ["２００", "200", "180", "100", "100", "100"]})
    with pytest.raises(ValidationError, match="row 5, max_points = '1,20'"):  # not 1,200
        og.supervision.score_sheet(frame)
    frame.loc[3, "分值"] = "120"
    out = og.supervision.score_sheet(frame).iloc[0]  # full-width digits read
    assert out["max_total"] == 1000
    fund = pd.DataFrame({"矿山编号": ["M1"], "年度": ["２０２４"], "已计提": ["1,000"],
                         "应计提": ["1,00"]})
    with pytest.raises(ValidationError, match="应计提 = '1,00'"):
        og.supervision.fund_check(fund)


def test_a_semicolon_or_tab_table_is_read(tmp_path):
    for sep in (";", "\t"):
        path = tmp_path / "fund.csv"
        path.write_text(sep.join(["矿山编号", "年度", "已计提", "应计提"]) + "\n" +
                        sep.join(["M1", "2024", "100", "100"]) + "\n", encoding="utf-8")
        assert og.supervision.fund_check(path)["passed"].tolist() == [True]


def test_rectification_says_when_its_months_differ_from_the_register(tmp_path, capsys):
    reg = og.register.init(tmp_path / "r.gpkg", sites=sites_from_metric(
        squares_metric(JUNGAR, 1, 100.0, 400.0), ids=["M1"]))
    reg.close()
    assert _cli(["rectification", str(tmp_path / "r.gpkg"), "--months", "1", "--out",
                 str(tmp_path / "o")]) == 0
    assert "rule, 6 months" in capsys.readouterr().out


def test_two_columns_for_one_field_are_refused():
    table = pd.DataFrame({"矿山编号": ["M1"], "mine_id": ["M2"], "年度": [2024], "已计提": [1],
                          "应计提": [1]})
    with pytest.raises(ValidationError, match="two columns stand for mine_id"):
        og.supervision.fund_check(table)


@pytest.mark.parametrize("header, value, want", [
    ("产量(万吨)", 10, 100_000.0), ("产量（吨）", 100_000, 100_000.0), ("产量[t]", 100_000, 100_000.0),
    ("月产量(万t)", 10, 100_000.0)])
def test_units_in_brackets_of_every_kind(header, value, want):
    table = pd.DataFrame({"矿山编号": ["M1"], "月份": ["2025-01"], header: [value],
                          "核定产能": [120]})
    assert og.supervision.capacity_check(table)["output_t"].iloc[0] == pytest.approx(want)
