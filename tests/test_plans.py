import pandas as pd
import pytest
from conftest import row_of_squares, sites_from_metric

import ordos_geo as og
from ordos_geo import plans, rules, zones


@pytest.fixture
def zoned():
    sites = sites_from_metric(row_of_squares([50, 50]), ids=["M1", "M2", "M3"])
    result = zones.build_zones(sites)
    return rules.apply_rules(result.zones, sites=result.sites, lang="en"), result.sites


def _write(tmp_path, rows, encoding="utf-8"):
    path = tmp_path / "plans.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def test_plan_problems_are_found(tmp_path, zoned):
    z, sites = zoned
    std = z["standard"].iloc[0]  # forest_east for an eastern open-pit-less zone
    rows = [
        {"矿山编号": "M1", "年度": 2025, "计划治理面积": 10, "治理标准": std, "资金(万元)": 30,
         "完成期限": "2025-11-30"},                                    # fine
        {"矿山编号": "M2", "年度": 2025, "计划治理面积": "", "治理标准": std, "资金(万元)": 30,
         "完成期限": ""},                                              # no target, no deadline
        {"矿山编号": "M3", "年度": 2025, "计划治理面积": 5, "治理标准": std, "资金(万元)": 10,
         "完成期限": "2025-10-01", "覆土厚度": 10},                    # thinner topsoil
        {"矿山编号": "M9", "年度": 2025, "计划治理面积": 5, "治理标准": std, "资金(万元)": 10,
         "完成期限": "2025-10-01"},                                    # unknown mine
        {"矿山编号": "M1", "年度": 2026, "计划治理面积": 5, "治理标准": "pv_platform",
         "资金(万元)": 10, "完成期限": "2026-10-01"},                   # weaker named standard
    ]
    found = plans.check_plans(plans.read_plans(_write(tmp_path, rows, "gbk")), zones=z, sites=sites,
                              lang="en")
    got = set(zip(found["mine_id"], found["year"], found["code"], found["field"]))
    assert ("M2", 2025, "plan_target_missing", "target_ha") in got
    assert ("M2", 2025, "plan_deadline_missing", "deadline") in got
    assert ("M3", 2025, "plan_standard_weaker", "topsoil_cm") in got
    assert ("M9", 2025, "plan_mine_unknown", "mine_id") in got
    assert any(m == "M1" and y == 2026 and c == "plan_standard_weaker" for m, y, c, _ in got)
    assert not any(m == "M1" and y == 2025 for m, y, _, _ in got)
    weak = found[(found["mine_id"] == "M3")].iloc[0]
    assert "10" in weak["problem"] and weak["zone_id"] == z["zone_id"].iloc[0]


def test_mu_targets_and_missing_standard(tmp_path, zoned):
    z, sites = zoned
    rows = [{"mine_id": "M1", "year": 2025, "计划治理面积(亩)": 150, "money_wan": 1,
             "deadline": "2025-12-01"}]
    table = plans.read_plans(_write(tmp_path, rows))
    assert table["target_ha"].iloc[0] == pytest.approx(10.0)
    found = plans.check_plans(table, zones=z, sites=sites)
    assert list(found["code"]) == ["plan_standard_missing"]


def test_plans_need_mine_and_year(tmp_path):
    with pytest.raises(og.errors.ValidationError, match="mine_id"):
        plans.read_plans(_write(tmp_path, [{"x": 1}]))


def test_embedded_plans_have_their_known_flaws():
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    result = zones.build_zones(sites)
    z = rules.apply_rules(result.zones, sites=result.sites)
    table = plans.read_plans(og.datasets.synthetic_plans_path())
    found = plans.check_plans(table, zones=z, sites=result.sites)
    per_code = found.groupby("code").apply(lambda d: len(d[["mine_id", "year"]].drop_duplicates()))
    n = len(table)
    assert per_code["plan_deadline_missing"] == table["deadline"].isna().sum()
    assert per_code["plan_target_missing"] == table["target_ha"].isna().sum()
    assert 0.04 * n < per_code["plan_standard_weaker"] < 0.15 * n


def test_an_unknown_standard_is_reported_even_with_explicit_values(tmp_path):
    import ordos_geo as og

    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    result = og.zones.build_zones(sites, max_zone_ha=10_000)
    zones = og.rules.apply_rules(result.zones, sites=result.sites)
    path = tmp_path / "p.csv"
    path.write_text("mine_id,year,target_ha,standard,money_wan,deadline,覆土厚度\n"
                    "SYN-M0001,2024,10,made_up_standard,5,2024-12-31,80\n", encoding="utf-8")
    found = og.plans.check_plans(og.plans.read_plans(path), zones=zones, sites=result.sites)
    assert "plan_standard_unknown" in set(found["code"])
    assert "made_up_standard" in " ".join(found["problem"])
