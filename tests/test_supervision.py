"""Supervision rules with known answers: score-sheet boundaries (799/800, 74.9 %/75 %,
prerequisites), spot-check sampling properties over every option, the 5-year guarantee over a
simulated decade."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import ordos_geo as og
from ordos_geo import cli
from ordos_geo._errors import ValidationError
from ordos_geo.supervision import score_sheet, spot_check_plan

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
    with pytest.raises(ValidationError, match="pass line"):
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
    assert cli.main(["spot-check", str(db), "--year", "2026", "--seed", "7", "--out", str(out)]) == 0
    plan = pd.read_csv(out / "spot_checks.csv")
    assert {"banner", "mine_id", "quarter", "reason"} <= set(plan.columns)
    assert set(plan["quarter"]) <= {"Q1", "Q2", "Q3", "Q4"}
    meta = (out / "spot_checks.json").read_text("utf-8")
    assert '"seed": 7' in meta and '"rate": 0.2' in meta
    sheet = tmp_path / "sheet.csv"
    _sheet(_full_but(201)).to_csv(sheet, index=False)
    assert cli.main(["score", str(sheet), "--scale", "2020", "--out",
                     str(tmp_path / "s.csv")]) == 0
    assert "799" in pd.read_csv(tmp_path / "s.csv").to_string()
    assert cli.main(["score", str(sheet), "--scale", "2024", "--out",
                     str(tmp_path / "s.csv")]) == 1
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
    with pytest.raises(ValidationError, match="row 3, output = '很多'"):
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
