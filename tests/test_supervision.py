"""Supervision rules with known answers: score-sheet boundaries (799/800, 74.9 %/75 %,
prerequisites), spot-check sampling properties over every option, the 5-year guarantee over a
simulated decade."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ordos_geo as og
from ordos_geo import cli
from ordos_geo.core.errors import UsageError, ValidationError
from ordos_geo.register.supervision import score_sheet, spot_check_plan

MAXIMA = {"矿区环境": 220, "资源开发方式": 220, "资源综合利用": 200, "节能减排": 120,
          "科技创新与智能矿山": 120, "企业管理与企业形象": 120}


@pytest.fixture(autouse=True)
def _english():
    og.settings.lang = "en"


def _sheet(scores: dict[str, float], mine="M1", **prereq) -> pd.DataFrame:
    rows = [{"矿山编号": mine, "一级指标": c, "分值": MAXIMA[c], "得分": scores.get(c, MAXIMA[c])}
            for c in MAXIMA]
    for k, v in prereq.items():
        for r in rows:
            r[k] = v
    return pd.DataFrame(rows)


def _full_but(total_short: float) -> dict[str, float]:
    """Full marks, minus ``total_short`` points spread so that no category drops below 75 %."""
    scores, left = dict(MAXIMA), total_short
    for c, top in MAXIMA.items():
        cut = min(left, top * 0.25)
        scores[c] = top - cut
        left -= cut
    return scores


@pytest.mark.parametrize("short, passed", [(200, True), (201, False)])
def test_total_boundary_800(short, passed):
    out = score_sheet(_sheet(_full_but(short)), scale="2020").iloc[0]
    assert out["total"] == 1000 - short and bool(out["passed"]) is passed
    if not passed:
        assert "total 799 < 800" in out["explanation"]


@pytest.mark.parametrize("score, passed", [(150.0, True), (149.8, False)])
def test_category_boundary_75_percent(score, passed):
    out = score_sheet(_sheet({"资源综合利用": score}), scale="2020").iloc[0]
    assert bool(out["passed"]) is passed
    if not passed:
        assert "资源综合利用 149.8/200 = 74.9 % < 75 %" in out["explanation"]


def test_prerequisites_fail_whatever_the_score():
    out = score_sheet(_sheet({}, 证照合法有效="否", 无重大安全环保事故="是"), scale="2020").iloc[0]
    assert out["total"] == 1000 and not out["passed"]
    assert "prerequisite not met: 证照合法有效" in out["explanation"]
    assert score_sheet(_sheet({}, 证照合法有效="是"), scale="2020").iloc[0]["passed"]


def test_items_add_up_per_category_and_maxima_must_add_to_the_scale():
    items = pd.DataFrame([{"mine_id": "M2", "category": c, "max_points": top / 2,
                           "score": top / 2} for c, top in MAXIMA.items() for _ in range(2)])
    assert score_sheet(items, scale="2020").iloc[0]["passed"]
    with pytest.raises(ValidationError, match="add up to 890, not 1000"):
        score_sheet(items.iloc[1:], scale="2020")


def test_the_2024_scale_needs_its_pass_line():
    sheet = pd.DataFrame([{"mine_id": "M1", "category": f"C{k}", "max_points": m, "score": s}
                          for k, (m, s) in enumerate([(20, 15), (20, 14), (15, 12), (15, 12),
                                                      (15, 12), (15, 10)])])
    with pytest.raises(UsageError, match="pass line"):
        score_sheet(sheet, scale="2024")
    assert score_sheet(sheet, scale="2024", pass_line=75).iloc[0]["passed"]
    assert not score_sheet(sheet, scale="2024", pass_line=76).iloc[0]["passed"]


def test_bad_rows_are_named():
    sheet = _sheet({}).astype({"得分": object})
    sheet.loc[2, "得分"] = "九十"
    sheet.loc[3, "一级指标"] = "安全生产"
    with pytest.raises(ValidationError) as err:
        score_sheet(sheet, scale="2020")
    assert "row 4, score" in str(err.value) and "row 5, category '安全生产'" in str(err.value)


# --- spot checks --------------------------------------------------------------------------------
def _state(counts: dict[str, int], *, listed_year=2015, removed_every=0):
    rows = []
    for banner, n in counts.items():
        for k in range(n):
            rows.append({"mine_id": f"{banner}-{k:03d}", "name": f"矿{k}", "banner": banner,
                         "listed": not (removed_every and k % removed_every == 0),
                         "listed_date": pd.Timestamp(f"{listed_year}-06-01"),
                         "last_spot_check": pd.NaT, "open_findings": k % 7 == 0,
                         "overdue": k % 11 == 0})
    return pd.DataFrame(rows)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(["准格尔旗", "达拉特旗", "鄂托克旗", "东胜区"]),
                       st.integers(1, 60), min_size=1),
       st.integers(0, 2**31 - 1), st.sampled_from([0.2, 0.25, 0.5]), st.integers(0, 5))
def test_spot_check_properties(counts, seed, rate, removed_every):
    state = _state(counts, listed_year=2024, removed_every=removed_every)
    plan = spot_check_plan(state, year=2026, seed=seed, rate=rate)
    listed = state[state["listed"]]
    assert set(plan["mine_id"]) <= set(listed["mine_id"])  # never a removed mine
    assert plan["mine_id"].is_unique
    for banner, group in listed.groupby("banner"):
        mine = plan[plan["banner"] == banner]
        assert len(mine) >= math.ceil(rate * len(group) - 1e-9)  # the floor, per banner
        counts_q = mine["quarter"].value_counts().reindex(["Q1", "Q2", "Q3", "Q4"], fill_value=0)
        assert counts_q.max() - counts_q.min() <= 1  # spread over the quarters
    again = spot_check_plan(state, year=2026, seed=seed, rate=rate)
    pd.testing.assert_frame_equal(plan, again)  # same seed, same sample


def test_different_seeds_give_different_samples():
    state = _state({"准格尔旗": 50, "达拉特旗": 40}, listed_year=2024)
    samples = {tuple(spot_check_plan(state, year=2026, seed=s)["mine_id"]) for s in range(20)}
    assert len(samples) >= 19


def test_every_listed_mine_is_checked_within_five_years_over_a_decade():
    rng = np.random.default_rng(0)
    state = _state({"准格尔旗": 37, "伊金霍洛旗": 23}, listed_year=2014)
    checks: dict[str, list[int]] = {m: [] for m in state["mine_id"]}
    for year in range(2015, 2031):
        if year == 2020:  # new mines are listed half way
            extra = _state({"准格尔旗": 8}, listed_year=2020).assign(
                mine_id=lambda f: f["mine_id"] + "N")
            state = pd.concat([state, extra], ignore_index=True)
            checks.update({m: [] for m in extra["mine_id"]})
        plan = spot_check_plan(state, year=year, seed=int(rng.integers(1 << 30)))
        for m in plan["mine_id"]:
            checks[m].append(year)
        last = {m: max(v) for m, v in checks.items() if v}
        state["last_spot_check"] = pd.to_datetime(
            [f"{last[m]}-06-30" if m in last else None for m in state["mine_id"]])
    for mine, years in checks.items():
        listed = 2020 if mine.endswith("N") else 2014
        seen = [listed, *years, 2031]
        assert max(np.diff(seen)) <= 5, (mine, seen)  # never 5 years without a check


def test_cli_spot_check_and_score(tmp_path, capsys):
    db = tmp_path / "r.gpkg"
    mines = og.synthetic.synthetic_sites()
    reg = og.register.init(db, sites=mines)
    table = pd.DataFrame({"矿山编号": reg.mines()["mine_id"].head(30), "级别": "国家级",
                          "纳入名录日期": "2020-01-01", "状态": "在录"})
    table.to_csv(tmp_path / "t.csv", index=False)
    reg.import_table(tmp_path / "t.csv")
    reg.close()
    out = tmp_path / "checks"
    assert cli.main(["spot-check", str(db), "--year", "2026", "--out", str(out)]) == 0
    plan = pd.read_csv(out / "spot_checks.csv")
    assert {"banner", "mine_id", "quarter", "reason", "seed", "register_head"} <= set(plan.columns)
    assert set(plan["quarter"]) <= {"Q1", "Q2", "Q3", "Q4"}
    meta = (out / "spot_checks.json").read_text("utf-8")
    seed = int(plan["seed"].iloc[0])
    assert f'"seed": {seed}' in meta and '"rate": 0.2' in meta and '"seed_source": "os"' in meta
    sheet = tmp_path / "sheet.csv"
    _sheet(_full_but(201)).to_csv(sheet, index=False)
    assert cli.main(["score", str(sheet), "--scale", "2020", "--out",
                     str(tmp_path / "s.csv")]) == 0
    assert "799" in pd.read_csv(tmp_path / "s.csv").to_string()
    assert cli.main(["score", str(sheet), "--scale", "2024", "--out",
                     str(tmp_path / "s.csv")]) == 2  # a usage mistake: the option is missing
    assert "pass line" in capsys.readouterr().err


# --- fund and capacity: exact boundaries --------------------------------------------------------
@pytest.mark.parametrize("accrued, passed", [(100.0, True), (99.9, False), (120.0, True)])
def test_fund_accrual_boundary(accrued, passed):
    table = pd.DataFrame({"矿山编号": ["M1"], "年度": [2025], "已计提": [accrued], "应计提": [100.0]})
    out = og.supervision.fund_check(table).iloc[0]
    assert out["accrual_share"] == pytest.approx(accrued / 100) and bool(out["passed"]) is passed


def test_capacity_month_line_and_tickets():
    # approved 120 万吨/年 = 1,200,000 t/yr → the monthly line is 120,000 t
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    output = [120_000, 120_001, 100_000] + [100_000] * 9
    table = pd.DataFrame({"矿山编号": "M1", "月份": months, "产量": output, "核定产能": 120})
    out = og.supervision.capacity_check(table).set_index("period")
    assert not out.loc["2025-01", "flagged"]  # exactly 10 %: not flagged
    assert out.loc["2025-02", "flagged"] and out.loc["2025-02", "tickets_withheld_t"] == 1
    year = out.loc["2025"]
    assert year["output_t"] == sum(output) and not year["flagged"]  # 1,240,001 t < 110 %
    more = table.assign(产量=[150_000] * 12)
    year = og.supervision.capacity_check(more).set_index("period").loc["2025"]
    assert year["flagged"] and year["above_t"] == 1_800_000 - 1_320_000
    in_wan = table.assign(产量=[v / 10_000 for v in output])
    pd.testing.assert_frame_equal(og.supervision.capacity_check(in_wan, unit="万吨"),
                                  og.supervision.capacity_check(table))


def test_capacity_and_fund_name_bad_cells():
    table = pd.DataFrame({"矿山编号": ["M1", "M2"], "月份": ["2025-01", "13月"],
                          "产量": ["1,000", "很多"], "核定产能": [120, 120]})
    with pytest.raises(ValidationError, match="row 3, 产量 = '很多'"):
        og.supervision.capacity_check(table)
    with pytest.raises(ValidationError, match="required"):
        og.supervision.fund_check(pd.DataFrame({"矿山编号": ["M1"], "年度": [2025],
                                                "已计提": [1]}))


def test_cli_fund_and_capacity(tmp_path):
    fund = tmp_path / "fund.csv"
    pd.DataFrame({"矿山编号": ["M1", "M2"], "年度": 2025, "已计提": [100, 80],
                  "应计提": [100, 100]}).to_csv(fund, index=False)
    assert cli.main(["fund", str(fund), "--out", str(tmp_path / "f.csv"), "--lang", "en"]) == 0
    got = pd.read_csv(tmp_path / "f.csv")
    assert got.set_index("mine_id")["passed"].to_dict() == {"M1": True, "M2": False}
    prod = tmp_path / "p.csv"
    pd.DataFrame({"矿山编号": "M1", "月份": ["2025-01", "2025-02"], "产量": [120_000, 130_000],
                  "核定产能": 120}).to_csv(prod, index=False)
    assert cli.main(["capacity", str(prod), "--out", str(tmp_path / "c.xlsx"), "--lang", "zh"]) == 0
    sheet = pd.read_excel(tmp_path / "c.xlsx")
    assert "煤管票暂扣(吨)" in sheet.columns and sheet["煤管票暂扣(吨)"].sum() == 10_000


# --- rectification, removal, sanctions, look-back: a hand-built register ----------------------
SIGN = {"checked_by": "张三", "evaluated_by": "李四", "tracked_by": "王五", "responsible": "赵六"}


@pytest.fixture
def history(tmp_path):
    from conftest import five_listed_mines

    reg, _ = five_listed_mines(tmp_path / "r.gpkg")
    reg.add(mine_id="M1", event="demonstration", date="2022-02-01", responsible="赵六")
    reg.add(mine_id="M2", event="demonstration", date="2022-02-01", responsible="赵六")
    reg.add(mine_id="M1", event="spot_check", date="2024-03-01", **SIGN)
    f1 = reg.add(mine_id="M1", event="finding", date="2024-03-01", **SIGN)  # rectified in time
    reg.add(mine_id="M1", event="rectified", date="2024-08-01", refers_to=f1, **SIGN)
    f2 = reg.add(mine_id="M2", event="finding", date="2024-03-01", **SIGN)  # overdue
    reg.add(mine_id="M2", event="rectification_due", date="2024-03-02", refers_to=f2,
            due_date="2024-06-30", **SIGN)
    f3 = reg.add(mine_id="M3", event="finding", date="2024-04-01", **SIGN)  # failed re-check
    reg.add(mine_id="M3", event="finding", date="2024-11-01", refers_to=f3, **SIGN)
    reg.add(mine_id="M4", event="finding", date="2024-11-15", **SIGN)  # open: due 2025-05-15
    reg.add(mine_id="M5", event="removed", date="2024-10-01", **SIGN)
    reg.add(mine_id="M5", event="public_notice", date="2024-11-01")
    yield reg
    reg.close()


def test_rectification_items_and_the_removal_list(history):
    items = og.supervision.rectification_items(history.history(), as_of="2024-12-31")
    status = dict(zip(items["finding_id"], items["status"]))
    by_mine = items.groupby("mine_id")["status"].apply(list).to_dict()
    assert by_mine["M1"] == ["rectified"] and by_mine["M2"] == ["overdue"]
    assert by_mine["M3"][0] == "failed_recheck" and by_mine["M4"] == ["open"]
    m4 = items[items["mine_id"] == "M4"].iloc[0]
    assert m4["due"] == pd.Timestamp("2025-05-15")  # 6 months after it was found
    assert len(status) == 5
    removal = og.supervision.removal_list(items, state=history.state(as_of="2024-12-31"))
    assert removal["mine_id"].tolist() == ["M2", "M3"]
    assert "overdue" in removal.iloc[0]["reason"] and "2024-06-30" in removal.iloc[0]["reason"]
    assert "failed re-check" in removal.iloc[1]["reason"]


def test_sanctions_name_their_rule(history):
    items = og.supervision.rectification_items(history.history(), as_of="2025-06-01")
    state = history.state(as_of="2025-06-01")
    out = og.supervision.sanctions(items, state=state, as_of="2025-06-01", required_mines=["M9"])
    got = set(zip(out["mine_id"], out["measure"], out["rule"]))
    assert ("M2", "coal_tickets_withheld", "overdue") in got
    assert ("M3", "land_approval_restricted", "failed_recheck") in got
    assert ("M5", "land_approval_restricted", "removed") in got
    assert ("M9", "land_approval_restricted", "target_missed") in got
    assert not (out["measure"] == "closure").any()  # 11 months past the deadline: not yet
    late = og.supervision.sanctions(og.supervision.rectification_items(
        history.history(), as_of="2025-07-01"), state=state, as_of="2025-07-01")
    assert ("M2", "closure", "overdue_over_12_months") in \
        set(zip(late["mine_id"], late["measure"], late["rule"]))


def test_lookback_per_banner(history):
    table = og.supervision.lookback(history.history(), mines=history.mines(), year=2024)
    row = table.set_index("banner").loc["准格尔旗"]
    assert row["listed"] == 4 and row["checked"] == 1 and row["findings"] == 5  # a re-check too
    assert row["rectified"] == 1 and row["overdue"] == 1
    assert row["demonstration"] == 2 and not row["demonstration_short"]
    other = table.set_index("banner").loc["达拉特旗"]
    assert other["removed"] == 1 and other["public_notices"] == 1 and other["listed"] == 0
    assert other["demonstration_short"]  # fewer than 2 demonstration mines


def test_cli_rectification_and_lookback(history, tmp_path):
    out = tmp_path / "rect"
    assert cli.main(["rectification", history.location, "--as-of", "2024-12-31", "--out",
                     str(out), "--lang", "en"]) == 0
    removal = pd.read_csv(out / "removal_list.csv")
    assert removal["mine_id"].tolist() == ["M2", "M3"]
    items = pd.read_csv(out / "rectification_items.csv")
    assert items.loc[items["mine_id"] == "M2", "due"].item() == "2024-06-30"
    assert (out / "sanctions.xlsx").exists() and (out / "removal_list.xlsx").exists()
    assert cli.main(["lookback", history.location, "--year", "2024", "--out",
                     str(tmp_path / "lb.xlsx"), "--lang", "zh"]) == 0
    sheet = pd.read_excel(tmp_path / "lb.xlsx")
    assert "旗区" in sheet.columns and "样板项目不足" in sheet.columns


def test_supervision_map_in_chromium(history, browser, tmp_path):
    from browser_helpers import open_offline

    og.settings.lang = "zh"
    state = history.state(as_of="2024-12-31")
    page_map = og.maps.map_supervision(history.mines(geometry=True), state, year=2024)
    path = og.maps.save_map(page_map, tmp_path / "supervision.html")
    page, errors, external, _ = open_offline(browser, path)
    colours = page.evaluate("""() => { var out = {}; window.ordosLayers.supervision.eachLayer(
        function (l) { out[l.feature.properties.t[0]] = [l.options.fillColor, l.options.weight]; });
        return out; }""")
    tips = page.evaluate("""() => { var out = {}; window.ordosLayers.supervision.eachLayer(
        function (l) { out[l.feature.properties.t[0]] = l.feature.properties.t; });
        return out; }""")
    assert tips["M1"][2:4] == ["国家级", "入录"]  # level and stage as labels, not codes
    want = og.maps.SUPERVISION_COLOURS
    assert colours["M2"][0] == want["sup_overdue"]  # overdue since 2024-06-30
    assert colours["M3"][0] == want["sup_overdue"]  # failed re-check: removable too
    assert colours["M4"][0] == want["sup_open"]
    assert colours["M5"][0] == want["sup_removed"]
    assert colours["M1"][0] == want["sup_national"] and colours["M1"][1] == 3.5  # checked
    legend = page.locator(".ordos-legend").last.inner_text()
    assert "逾期或复查未通过" in legend and "已移出名录" in legend
    from browser_helpers import check_legend

    found = check_legend(page)
    assert not found["missing"] and not found["wrong"] and not found["clashes"], found
    assert errors == [] and external == []


def test_protected_area_prerequisite_checked_on_the_map():
    import geopandas as gpd
    import shapely
    from conftest import JUNGAR, sites_from_metric, squares_metric

    squares = squares_metric(JUNGAR, 2, 100.0, 400.0)  # two 1 ha squares, 400 m apart
    mines = sites_from_metric(squares, ids=["M1", "M2"])
    b = squares.iloc[0].bounds  # a reserve over the east half of M1
    reserve = gpd.GeoDataFrame(geometry=[shapely.box((b[0] + b[2]) / 2, b[1] - 10, b[2] + 10,
                                                     b[3] + 10)], crs=squares.crs)
    overlap = og.supervision.protected_overlap(mines, protected=reserve)
    assert overlap["M1"] == pytest.approx(0.5, rel=1e-3) and overlap["M2"] == 0
    sheet = pd.concat([_sheet({}, mine="M1"), _sheet({}, mine="M2")], ignore_index=True)
    out = og.supervision.score_sheet(sheet, scale="2020", mines=mines,
                                     protected=reserve).set_index("mine_id")
    assert not out.loc["M1", "passed"] and out.loc["M2", "passed"]
    assert "不与自然保护地等重叠" in out.loc["M1", "explanation"]


def test_spot_checks_weight_trajectories_and_plan_problems():
    state = _state({"准格尔旗": 100}, listed_year=2024).assign(
        open_findings=False, overdue=False,
        trajectory=["degrading" if k < 10 else "recovering" for k in range(100)])
    hits = sum(spot_check_plan(state, year=2026, seed=s)["mine_id"].str[-3:].astype(int).lt(10)
               .sum() for s in range(200))
    # 10 of 100 mines weigh 4 (1 + 2 years unchecked × 0.5 + 2) against 2: drawn about twice
    # as often as unweighted (10 %); without replacement a little less
    assert hits / (200 * 20) > 1.4 * 10 / 100
    plain = sum(spot_check_plan(state.drop(columns="trajectory"), year=2026, seed=s)["mine_id"]
                .str[-3:].astype(int).lt(10).sum() for s in range(200))
    assert plain / (200 * 20) < 1.2 * 10 / 100


def test_quarterly_report(history):
    plan = pd.DataFrame({"banner": "准格尔旗", "mine_id": ["M1", "M2"], "quarter": ["Q1", "Q1"],
                         "name": None, "reason": "", "weight": 1.0, "year": 2024, "seed": 1})
    report = og.supervision.quarterly_report(plan, events=history.history(), year=2024)
    row = report.iloc[0]
    assert (row["quarter"], row["due"], row["planned"], row["done"], row["findings"]) == \
        ("Q1", "2024-03-31", 2, 1, 2)


def test_cli_register_map_and_required_mines(history, tmp_path):
    assert cli.main(["register", "map", history.location, "--year", "2024", "--as-of",
                     "2024-12-31", "--out", str(tmp_path / "s.html")]) == 0
    assert "ordos-data" in (tmp_path / "s.html").read_text("utf-8")
    required = tmp_path / "required.csv"
    pd.DataFrame({"矿山编号": ["M1", "M9"]}).to_csv(required, index=False)
    assert cli.main(["rectification", history.location, "--as-of", "2024-12-31",
                     "--required-mines", str(required), "--out", str(tmp_path / "r")]) == 0
    sanctions = pd.read_csv(tmp_path / "r" / "sanctions.csv")
    assert ("M9", "target_missed") in set(zip(sanctions["mine_id"], sanctions["rule"]))
