"""End-use suitability: scores worked out by hand from the rule table, every use."""

import numpy as np
import pandas as pd
import pytest

from ordos_geo.joint.suitability import rules, suitability


def _facts(**rows):
    return pd.DataFrame(rows).T.astype(float)


def test_scores_are_the_weighted_means_of_linear_criteria():
    facts = _facts(Z1={"mean_slope_deg": 3, "flat_share": 0.6, "south_share": 0.5,
                       "area_ha": 500, "years_since_dumping": 5, "region_east": 1,
                       "region_west": 0, "retained_pits": 0, "dist_town_km": 40},
                   Z2={"mean_slope_deg": 9, "flat_share": 0.35, "south_share": 0.25,
                       "area_ha": 275, "years_since_dumping": np.nan, "region_east": 0,
                       "region_west": 1, "retained_pits": 2, "dist_town_km": 5})
    zones = pd.DataFrame({"zone_id": ["Z1", "Z2"], "end_use": ["pv", "farmland_pasture"]})
    out = suitability(facts, zones=zones).set_index("zone_id")
    assert out.loc["Z1", "score_pv"] == 100.0 and out.loc["Z1", "best_use"] == "pv"
    assert out.loc["Z1", "agrees"] and out.loc["Z1", "note"] == ""
    # Z2, PV: slope (15-9)/12 = 0.5 ×3, flat (0.35-0.1)/0.5 = 0.5 ×2, south 0.5 ×1,
    # area (275-50)/450 = 0.5 ×1 → 50
    assert out.loc["Z2", "score_pv"] == pytest.approx(50.0)
    # farmland without years since dumping: slope (15-9)/13 ×3 + flat (0.35-0.1)/0.6 ×2, of 5
    want = 100 * (3 * 6 / 13 + 2 * 0.25 / 0.6) / 5
    assert out.loc["Z2", "score_farmland_pasture"] == pytest.approx(want, abs=0.05)
    assert out.loc["Z2", "best_use"] == "tourism" and out.loc["Z2", "score_tourism"] == 100
    assert not out.loc["Z2", "agrees"] and "现代农牧业" in out.loc["Z2", "note"]  # its label


@pytest.mark.parametrize("use", list(rules()["uses"]))
def test_every_use_can_win(use):
    crit = rules()["uses"][use]["criteria"]
    facts = {c["fact"]: c["best"] for c in crit}
    others = {c["fact"]: c["worst"] for u, spec in rules()["uses"].items() if u != use
              for c in spec["criteria"] if c["fact"] not in facts}
    out = suitability(_facts(Z={**others, **facts}),
                      zones=pd.DataFrame({"zone_id": ["Z"], "end_use": [use]}))
    assert out.loc[0, f"score_{use}"] == 100.0
    assert out.loc[0, "best_score"] == 100.0


def test_every_threshold_says_where_it_comes_from():
    for use in rules()["uses"].values():
        for c in use["criteria"]:
            assert c["source"] and c["worst"] != c["best"] and c["weight"] > 0
