"""Each zone's cost, line by line: known answers worked by hand from the cost table, items left
out (and named) when their input is missing, public money and funds, escalation, bad input, a
user's cost table."""

import pandas as pd
import pytest

from ordos_geo.core.errors import ValidationError
from ordos_geo.programme import costs


def _zones(**over):
    z = pd.DataFrame({"zone_id": ["A", "B"], "banner": ["准格尔旗", "达拉特旗"],
                      "disturbed_ha": [10.0, 2.0], "end_use": ["forest", "pv"],
                      "topsoil_cm": [40, 20], "ownerless_share": [0.5, 0.0]})
    for k, v in over.items():
        z[k] = v
    return z


def test_every_line_is_quantity_times_unit_price_worked_by_hand():
    table = costs.cost_table()
    balance = pd.DataFrame({"zone_id": ["A"], "demand_m3": [1000.0], "joint_m3km": [500.0],
                            "borrowed_m3": [200.0]})
    lines, total = costs.zone_costs(_zones(), balances=balance,
                                    steep_ha=pd.Series({"A": 1.0, "B": 0.5}),
                                    retained_ha=pd.Series({"A": 3.0}),
                                    funds=pd.Series({"A": 10.0, "B": 50.0}), lang="en")
    a = lines[lines["zone_id"] == "A"].set_index("item")
    price = {k: v["yuan"] for k, v in table["items"].items()}
    want = {"earthworks": 1000 * price["earthworks"], "haul": 500 * price["haul"],
            "borrow": 200 * price["borrow"], "slope": 1.0 * price["slope"],
            "topsoil": 10 * 10_000 * 0.40 * price["topsoil"],
            "retained_pit": 3.0 * price["retained_pit"],
            "monitoring": 10 * table["items"]["monitoring"]["years"] * price["monitoring"],
            "revegetation:forest": 10 * table["revegetation"]["forest"]["yuan"]}
    assert a["amount_yuan"].to_dict() == pytest.approx(want)
    assert (a["quantity"] * a["unit_price_yuan"]).to_numpy() == pytest.approx(
        a["amount_yuan"].to_numpy())
    assert set(a["source"]) == {"local choice"}
    t = total.set_index("zone_id")
    assert t.loc["A", "cost_wan_yuan"] == pytest.approx(sum(want.values()) / 1e4)
    assert t.loc["A", "earthworks_wan"] == pytest.approx(
        (want["earthworks"] + want["haul"] + want["borrow"]) / 1e4)
    # ownerless half paid from public money; the mines' half less their fund
    assert t.loc["A", "public_wan_yuan"] == pytest.approx(t.loc["A", "cost_wan_yuan"] / 2)
    assert t.loc["A", "mines_to_pay_wan_yuan"] == pytest.approx(
        t.loc["A", "cost_wan_yuan"] / 2 - 10.0)
    assert t.loc["B", "mines_to_pay_wan_yuan"] == 0.0  # a fund larger than the share: nothing
    assert t.loc["A", "not_costed"] == ""


def test_an_input_not_given_leaves_its_items_out_and_says_so():
    lines, total = costs.zone_costs(_zones())
    assert set(lines["item"]) == {"topsoil", "monitoring", "revegetation:forest",
                                  "revegetation:pv"}
    said = total.set_index("zone_id").loc["A", "not_costed"]
    for item in ("earthworks (no balances)", "haul", "borrow", "slope (no steep_ha)",
                 "retained_pit (no retained_ha)"):
        assert item in said


def test_escalation_from_the_price_year():
    table = costs.cost_table()
    year = table["price_year"] + 2
    assert costs.escalated(100.0, year=year) == pytest.approx(
        100 * (1 + table["escalation_pct"] / 100) ** 2)


@pytest.mark.parametrize("column, value, field", [
    ("disturbed_ha", float("nan"), "disturbed_ha"), ("disturbed_ha", -1, "disturbed_ha"),
    ("ownerless_share", 1.5, "ownerless_share"), ("end_use", "casino", "casino"),
    ("topsoil_cm", "\u200b", "topsoil_cm"), ("zone_id", "A", "repeated")])
def test_bad_zones_are_named(column, value, field):
    z = _zones()
    z[column] = z[column].astype(object)
    z.loc[1, column] = value
    with pytest.raises(ValidationError, match=field):
        costs.zone_costs(z)


def test_bad_side_tables_are_named():
    with pytest.raises(ValidationError, match="'Z'"):
        costs.zone_costs(_zones(), steep_ha=pd.Series({"Z": 1.0}))
    with pytest.raises(ValidationError, match="joint_m3km"):
        costs.zone_costs(_zones(), balances=pd.DataFrame(
            {"zone_id": ["A"], "demand_m3": [1.0], "joint_m3km": [float("inf")],
             "borrowed_m3": [0.0]}))


def test_a_users_cost_table_is_checked_and_used(tmp_path):
    from ordos_geo.core.yaml_tables import table_text

    text = table_text("costs")
    mine = tmp_path / "costs.yaml"
    mine.write_text(text.replace("yuan: 15\n", "yuan: 18\n"), "utf-8")
    lines, _ = costs.zone_costs(_zones(), table=costs.cost_table(mine))
    assert set(lines.loc[lines["item"] == "topsoil", "unit_price_yuan"]) == {18.0}
    mine.write_text(text.replace("yuan: 15\n", "yuan: -15\n"), "utf-8")
    with pytest.raises(ValidationError, match="yuan"):
        costs.cost_table(mine)


def test_benefit_weights_follow_the_stated_rules_by_hand():
    z = _zones(ownerless_share=[0.4, 0.0], priority_area=["棋盘井", "其他"],
               dist_town_km=[10.0, 15.1], near_yellow_river=[False, "是"])
    _, total = costs.zone_costs(z)
    rule = costs.cost_table()["benefit"]
    t = total.set_index("zone_id")
    assert t.loc["A", "weight"] == pytest.approx(
        rule["base"] + 0.4 * rule["ownerless"] + rule["priority_area"] + rule["near_town"])
    assert t.loc["B", "weight"] == pytest.approx(rule["base"] + rule["near_yellow_river"])
    assert "priority area 棋盘井" in t.loc["A", "weight_reason"]
    assert "town 10.0 km" in t.loc["A", "weight_reason"]
    assert "Yellow River" in t.loc["B", "weight_reason"] and "town" not in t.loc["B", "weight_reason"]
    # without those columns: the base and the ownerless share only
    _, plain = costs.zone_costs(_zones())
    assert plain["weight"].tolist() == pytest.approx([rule["base"] + 0.5 * rule["ownerless"],
                                                      rule["base"]])


@pytest.mark.parametrize("edit, field", [
    (lambda t: t.replace("items:\n", "items:\n  fence: {zh: 围栏, en: fence, unit: m, yuan: 50, "
                         "phase: slopes_cover, source: local choice}\n", 1), "fence"),
    (lambda t: t.replace("phase: slopes_cover\n    quantity: disturbed", "phase: cover\n"
                         "    quantity: disturbed", 1), "cover")])
def test_a_cost_table_with_works_it_cannot_cost_is_refused(tmp_path, edit, field):
    """An item ordos_geo does not cost, or a phase it does not know, would drop out of the
    totals silently: refused, named."""
    from ordos_geo.core.yaml_tables import table_text

    mine = tmp_path / "costs.yaml"
    text = edit(table_text("costs"))
    assert text != table_text("costs")
    mine.write_text(text, "utf-8")
    with pytest.raises(ValidationError, match=field):
        costs.cost_table(mine)
