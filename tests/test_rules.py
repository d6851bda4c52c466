import textwrap

import pandas as pd
import pytest
from conftest import row_of_squares, sites_from_metric

from ordos_geo import rules, zones
from ordos_geo.core.errors import ValidationError


def _zone_row(**facts):
    base = {"zone_id": "Z-01", "area_ha": 100.0, "sites_ha": 100.0, "disturbed_ha": 50.0,
            "pit_ha": 40.0, "flat_floor_ha": 0.0, "n_sites": 3, "n_ownerless": 0,
            "ownerless_share": 0.0, "open_pit_share": 1.0, "dist_town_km": 50.0,
            "banner": "准格尔旗", "priority_area": None}
    base.update(facts)
    return pd.DataFrame([base])


@pytest.mark.parametrize("facts,rule_id,end_use", [
    ({"sites_ha": 800.0, "pit_ha": 200.0, "flat_floor_ha": 100.0}, "pv_large_flat", "pv"),
    ({"sites_ha": 800.0, "pit_ha": 200.0, "flat_floor_ha": 60.0}, "pasture_east_open_pit",
     "farmland_pasture"),  # flat share 0.3 < 0.4
    ({"dist_town_km": 8.0}, "tourism_near_town", "tourism"),
    ({"open_pit_share": 0.2}, "forest_east", "forest"),
    ({"banner": "鄂托克旗", "open_pit_share": 0.2}, "grass_west", "grassland"),
    ({"banner": "火星"}, "default", "grassland"),
])
def test_first_matching_rule_decides(facts, rule_id, end_use):
    out = rules.apply_rules(_zone_row(**facts), lang="en")
    assert out["rule_id"].iloc[0] == rule_id and out["end_use"].iloc[0] == end_use


def test_explanation_names_rule_and_values():
    out = rules.apply_rules(_zone_row(sites_ha=812.3, pit_ha=200.0, flat_floor_ha=92.0), lang="en")
    text = out["explanation"].iloc[0]
    assert "pv_large_flat" in text and "sites_ha=812.3 ≥ 500" in text
    assert "flat_pit_share=0.46 ≥ 0.4" in text
    zh = rules.apply_rules(_zone_row(dist_town_km=3.0), lang="zh")["explanation"].iloc[0]
    assert "规则 tourism_near_town" in zh and "dist_town_km=3 ≤ 15" in zh


def test_unknown_facts_never_satisfy_a_condition():
    # no pits: flat_pit_share is unknown, so the PV rule cannot fire
    out = rules.apply_rules(_zone_row(sites_ha=900.0, pit_ha=0.0), lang="en")
    assert out["rule_id"].iloc[0] != "pv_large_flat"


def test_members_standards_tighten_numbers_to_the_strictest():
    sites = sites_from_metric(row_of_squares([50, 50]),
                              standard=[None, "farmland_pasture", "pv_platform"])
    result = zones.build_zones(sites)
    out = rules.apply_rules(result.zones, sites=result.sites, lang="en")
    z = out.iloc[0]
    table = rules.load_rules().standards
    for p, spec in rules.load_rules().parameters.items():
        candidates = [table[z["standard"]][p], table["farmland_pasture"][p], table["pv_platform"][p]]
        expected = min(candidates) if spec["stricter"] == "lower" else max(candidates)
        assert z[p] == expected, p
    assert "farmland_pasture (stricter)" in z["explanation"]
    assert z["pit_policy"] == table[z["standard"]]["pit_policy"]  # follows the end use


def test_unknown_member_standard_is_refused():
    sites = sites_from_metric(row_of_squares([50]), standard=[None, "gold_plated"])
    result = zones.build_zones(sites)
    with pytest.raises(ValidationError, match="gold_plated"):
        rules.apply_rules(result.zones, sites=result.sites)


def test_a_planner_can_change_a_rule(tmp_path):
    text = rules.default_rules_text().replace('when: {dist_town_km: "<= 15", sites_ha: "<= 1500"}',
                                              'when: {dist_town_km: "<= 60", sites_ha: "<= 1500"}')
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    mine = rules.load_rules(path)
    assert rules.apply_rules(_zone_row(), rules=mine)["rule_id"].iloc[0] == "tourism_near_town"
    assert rules.apply_rules(_zone_row())["rule_id"].iloc[0] != "tourism_near_town"


def test_bad_rule_tables_report_every_problem(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent("""
        regions: {west: [鄂托克旗]}
        parameters: {topsoil_cm: {stricter: thicker}}
        pit_policies: {backfill: {zh: 回填, en: backfill}}
        end_uses: {grassland: {zh: 草地, en: grassland}}
        standards:
          s1: {zh: 甲, en: A, topsoil_cm: thick, pit_policy: lake, revegetation: {zh: 草, en: g}}
        rules:
          - {id: r1, when: {colour: red, area_ha: "> big"}, end_use: grassland, standard: s1}
          - {id: r2, when: {area_ha: "> 5"}, end_use: moon_base, standard: s9}
    """), encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        rules.load_rules(path)
    text = str(info.value)
    for needle in ["bad.yaml", "'stricter'", "standard 's1', field 'topsoil_cm'", "'lake'",
                   "rule 'r1', condition on 'colour': unknown fact",
                   "rule 'r1', condition on 'area_ha'", "'moon_base'", "'s9'",
                   "last rule ('r2') must have no condition"]:
        assert needle in text, needle


def test_standards_table():
    table = rules.load_rules().standards_table(lang="zh")
    assert set(table["standard"]) >= {"pv_platform", "grass_west"}
    assert (table["topsoil_cm"] > 0).all()
