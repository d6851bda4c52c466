"""The remediation schedule (a MILP on HiGHS): known answers solvable by hand, brute force over
every schedule of small programmes, alternatives, explanations of an impossible programme, bad
input."""

import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ordos_geo.core.errors import ValidationError
from ordos_geo.programme.costs import PHASES
from ordos_geo.programme.schedule import schedule


def _costs(rows):
    """rows: (zone_id, banner, hectares, earthworks, slopes_cover, revegetation)."""
    return pd.DataFrame(rows, columns=["zone_id", "banner", "hectares", "earthworks_wan",
                                       "slopes_cover_wan", "revegetation_wan"])


def _budget(rows):
    return pd.DataFrame(rows, columns=["year", "banner", "budget_wan"])


def test_a_knapsack_of_three_zones_by_hand():
    # 4 (10,000 yuan) in the year of earthworks: A (3, 10 ha) alone, or B (2, 6 ha) + C (2, 5 ha)
    # = 11 ha: the programme funds B and C; A waits, and says the 2026 budget binds
    costs = _costs([("A", "X", 10, 3, 0, 0), ("B", "X", 6, 2, 0, 0), ("C", "X", 5, 2, 0, 0)])
    answer = schedule(costs, budgets=_budget([(2026, "X", 4), (2027, "X", 9), (2028, "X", 9)]), lang="en",
                      years=range(2026, 2029), discount_pct=0)
    assert answer.status == "optimal" and answer.funded == {"B", "C"}
    assert answer.objective == pytest.approx(11.0) and answer.gap <= 1e-4
    t = answer.table
    a = t[t["zone_id"] == "A"].iloc[0]
    assert a["phase"] == "not_funded" and pd.isna(a["year"])
    assert "X 2026 (0.0 of 4.0 left, 3.0 needed)" in a["reason"] and "rank 1 of 3" in a["reason"]
    # every zone accounted for; the restored hectares counted once, in the last phase
    assert set(t["zone_id"]) == {"A", "B", "C"}
    assert t["hectares"].sum() == pytest.approx(11.0)
    b = t[t["zone_id"] == "B"]
    assert list(b["year"]) == [2026, 2027, 2028] and list(b["phase"]) == PHASES


def test_a_precedence_forces_a_later_year():
    # without it, both start at once (earlier counts more); A before B: B starts after A finishes
    costs = _costs([("A", "X", 10, 1, 1, 1), ("B", "X", 10, 1, 1, 1)])
    budget = _budget([(y, "city", 100) for y in range(2026, 2032)])
    free = schedule(costs, budgets=budget, years=range(2026, 2032))
    assert set(free.table.groupby("zone_id")["year"].min()) == {2026}
    ordered = schedule(costs, budgets=budget, years=range(2026, 2032), precedence=[("A", "B")],
                       lang="en")
    start = ordered.table.groupby("zone_id")["year"].min()
    assert start["A"] == 2026 and start["B"] == 2029
    assert "after zone A (finishes 2028)" in ordered.table.set_index("zone_id").loc["B", "reason"].iloc[0]
    # too few years for both in order: B is not funded (never before A)
    short = schedule(costs, budgets=budget.head(4), years=range(2026, 2030),
                     precedence=[("A", "B")])
    assert short.funded == {"A"}


def test_escalation_carries_each_phase_to_the_year_it_is_paid():
    costs = _costs([("A", "X", 1, 100, 100, 100)])
    answer = schedule(costs, budgets=_plenty(range(2026, 2029)), years=range(2026, 2029),
                      escalation_pct=10, price_year=2025)
    paid = answer.table.set_index("phase")["cost_wan_yuan"]
    assert paid.to_dict() == pytest.approx({"earthworks": 110.0, "slopes_cover": 121.0,
                                            "revegetation": 133.1})


def test_an_impossible_programme_says_which_budget_is_short_and_by_how_much():
    costs = _costs([("A", "X", 10, 3, 0, 0), ("B", "Y", 5, 0, 2, 0)])
    budget = _budget([(2026, "X", 2), (2026, "city", 99), (2027, "city", 1), (2028, "city", 99)])
    answer = schedule(costs, budgets=budget, years=range(2026, 2029), must={"A": 2028, "B": 2028})
    assert answer.status == "infeasible" and answer.funded == frozenset()
    short = answer.shortfalls.set_index(["banner", "year"])["short_wan"]
    assert short.to_dict() == pytest.approx({("X", 2026): 1.0, (CITY, 2027): 1.0})
    # a deadline before any zone can finish: named
    late = schedule(costs, budgets=_plenty(range(2026, 2029)), years=range(2026, 2029),
                    must={"B": 2027})
    assert late.status == "infeasible"
    assert late.shortfalls[["what", "zone_id", "year"]].values.tolist() == [["deadline", "B", 2027]]


CITY = "city"


def _plenty(years):
    return _budget([(y, CITY, 1e6) for y in years])


def test_alternatives_fund_other_sets_within_the_tolerance():
    costs = _costs([(z, "X", ha, c, 0, 0) for z, ha, c in
                    [("A", 10, 3), ("B", 6, 2), ("C", 5, 2), ("D", 4, 1)]])
    budget = _budget([(2026, "X", 4), (2027, "X", 9), (2028, "X", 9)])
    answer = schedule(costs, budgets=budget, years=range(2026, 2029), discount_pct=0,
                      alternatives=3, tolerance=0.3)
    sets = [answer.funded] + [a.funded for a in answer.alternatives]
    assert len(set(sets)) == len(sets) >= 2
    # each funds a zone no earlier set funds: a real choice, not a set with one zone dropped
    for k, alt in enumerate(sets[1:], start=1):
        assert not any(alt <= earlier for earlier in sets[:k]), (alt, sets[:k])
    assert all(a.objective >= 0.7 * answer.objective - 1e-9 for a in answer.alternatives)
    assert all(a.objective <= answer.objective + 1e-9 for a in answer.alternatives)


@st.composite
def programmes(draw):
    n_years = draw(st.sampled_from([3, 4]))
    n = draw(st.integers(1, 10 if n_years == 3 else 6))
    banners = draw(st.lists(st.sampled_from(["X", "Y"]), min_size=n, max_size=n))
    rows = [(f"Z{i}", banners[i], draw(st.integers(1, 30)),
             *[draw(st.integers(0, 9)) for _ in PHASES]) for i in range(n)]
    years = list(range(2026, 2026 + n_years))
    budget = [(y, who, draw(st.integers(0, 25))) for y in years
              for who in sorted(set(banners)) + ["city"] if draw(st.booleans())]
    budget += [(y, "city", 1000) for y in years if (y, "city") not in
               {(b[0], b[1]) for b in budget}]  # every year bounded (no row: refused)
    must = {f"Z{i}": years[-1] for i in range(n) if draw(st.integers(0, 5)) == 0}
    # precedence from a lower to a higher index: never a cycle (cycles are refused, and tested
    # on their own), any order the zones can be numbered in
    pairs = [(f"Z{min(a, b)}", f"Z{max(a, b)}") for a, b in
             draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2))
             if a != b]
    weights = [draw(st.sampled_from([1.0, 1.5, 2.0])) for _ in range(n)]
    return rows, years, budget, must, sorted(set(pairs)), weights, draw(st.sampled_from([0, 5]))


def _brute(rows, years, budget, must, pairs, weights, discount):
    """Every schedule: each zone unfunded or started in one of the feasible years."""
    starts = [None, *range(len(years) - len(PHASES) + 1)]
    best = None
    for choice in itertools.product(starts, repeat=len(rows)):
        start = dict(zip([r[0] for r in rows], choice))
        if any(start[z] is None or years[start[z] + len(PHASES) - 1] > by
               for z, by in must.items()):
            continue
        if any(start[b] is not None and (start[a] is None or start[b] < start[a] + len(PHASES))
               for a, b in pairs):
            continue
        spent = {}
        for (z, banner, _, *cost), k in zip(rows, choice):
            if k is None:
                continue
            for q, c in enumerate(cost):
                for who in (banner, "city"):
                    spent[(who, years[k + q])] = spent.get((who, years[k + q]), 0) + c
        if any(spent.get((who, y), 0) > amount + 1e-9 for y, who, amount in budget):
            continue
        value = sum(w * r[2] / (1 + discount / 100) ** (k + len(PHASES) - 1)
                    for r, k, w in zip(rows, choice, weights) if k is not None)
        best = value if best is None else max(best, value)
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programmes())
def test_the_programme_equals_brute_force_over_every_schedule(case):
    rows, years, budget, must, pairs, weights, discount = case
    costs = _costs(rows).assign(weight=weights)
    answer = schedule(costs, budgets=_budget(budget), years=years, must=must, precedence=pairs,
                      discount_pct=discount, gap=1e-9)
    truth = _brute(rows, years, budget, must, pairs, weights, discount)
    if truth is None:
        assert answer.status == "infeasible" and len(answer.shortfalls) > 0
    else:
        assert answer.status == "optimal"
        assert answer.objective == pytest.approx(truth, rel=1e-7, abs=1e-9)
        # the table's own figures hold the budgets
        t = answer.table.dropna(subset=["year"]).merge(_costs(rows)[["zone_id", "banner"]])
        for y, who, amount in budget:
            mine = t[(t["year"] == y) & ((t["banner"] == who) | (who == "city"))]
            assert mine["cost_wan_yuan"].sum() <= amount + 1e-6


@pytest.mark.parametrize("bad, field", [
    (dict(budgets=_budget([(2026, "X", float("nan"))])), "budget_wan"),
    (dict(budgets=_budget([(2026, "Nowhere", 5)])), "Nowhere"),
    (dict(budgets=_budget([(2026, "X", 5), (2026, "X", 6)])), "twice"),
    (dict(years=[2026, 2028, 2029]), "consecutive"),
    (dict(must={"Q": 2028}), "'Q'"),
    (dict(precedence=[("A", "A")]), "precedence"),
    (dict(discount_pct=float("nan")), "discount_pct"),
])
def test_bad_input_is_named(bad, field):
    costs = _costs([("A", "X", 10, 3, 0, 0)])
    args = dict(budgets=_budget([(y, "X", 5) for y in (2026, 2027, 2028)]),
                years=range(2026, 2029))
    args.update(bad)
    with pytest.raises(ValidationError, match=field):
        schedule(costs, **args)


@pytest.mark.parametrize("column, value", [("hectares", float("nan")), ("earthworks_wan", -1),
                                           ("zone_id", "A"), ("weight", "heavy")])
def test_bad_costs_are_named(column, value):
    costs = _costs([("A", "X", 10, 3, 0, 0), ("B", "X", 10, 3, 0, 0)])
    costs.loc[1, column] = value
    with pytest.raises(ValidationError, match=column if column != "zone_id" else "repeated"):
        schedule(costs, budgets=_budget([]), years=range(2026, 2029))


@pytest.mark.parametrize("bad, field", [
    (dict(precedence=[("A", "B"), ("B", "C"), ("C", "A")]), "cycle A → B → C → A"),
    (dict(must=pd.DataFrame({"zone_id": ["A", "A"], "by_year": [2028, 2029]})), "twice"),
    (dict(budgets=_budget([(2031, "X", 5), (2031, "X", 6)])), "twice")])
def test_contradictions_are_refused_by_name(bad, field):
    costs = _costs([(z, "X", 10, 3, 0, 0) for z in "ABC"])
    args = dict(budgets=_budget([(y, "X", 5) for y in (2026, 2027, 2028)]),
                years=range(2026, 2029))
    args.update(bad)
    with pytest.raises(ValidationError, match=field):
        schedule(costs, **args)


def test_each_zone_is_escalated_from_its_own_price_year_at_its_own_rate():
    costs = _costs([("A", "X", 1, 100, 100, 100), ("B", "X", 1, 100, 100, 100)]).assign(
        price_year=[2020, 2026], escalation_pct=[10.0, 0.0])
    answer = schedule(costs, budgets=_plenty(range(2026, 2029)), years=range(2026, 2029),
                      escalation_pct=3, price_year=2025)  # defaults the columns override
    paid = answer.table.set_index(["zone_id", "phase"])["cost_wan_yuan"]
    assert paid["A"].to_dict() == pytest.approx({"earthworks": 100 * 1.1 ** 6,
                                                 "slopes_cover": 100 * 1.1 ** 7,
                                                 "revegetation": 100 * 1.1 ** 8})
    assert paid["B"].to_dict() == pytest.approx({p: 100.0 for p in PHASES})


def test_a_year_no_budget_row_bounds_is_refused():
    costs = _costs([("A", "X", 10, 3, 0, 0), ("B", "Y", 10, 3, 0, 0)])
    with pytest.raises(ValidationError, match="no budget for 2027 .* Y"):
        schedule(costs, budgets=_budget([(2026, CITY, 5), (2027, "X", 5), (2028, CITY, 5)]),
                 years=range(2026, 2029))
    # a banner's row is enough where the city gives none, when every banner has one
    ok = schedule(costs, budgets=_budget([(2026, CITY, 5), (2027, "X", 5), (2027, "Y", 0),
                                          (2028, CITY, 5)]), years=range(2026, 2029))
    assert ok.status == "optimal"
