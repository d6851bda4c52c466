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
