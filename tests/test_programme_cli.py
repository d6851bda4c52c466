"""``ordos-geo costs`` and ``ordos-geo schedule`` on the demo's own outputs, as a planner runs
them: the annual plans the schedule writes pass ``check_plans`` with no problem; an impossible
programme is exit 1 with the shortfall named; bad years and hostile budget cells are refused."""

import subprocess
import sys

import pandas as pd
import pytest

import ordos_geo as og

PY = [sys.executable, "-m", "ordos_geo"]


def _run(args, cwd):
    return subprocess.run([*PY, "--no-progress", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("programme")
    done = _run(["demo", "--out", "demo"], folder)
    assert done.returncode == 0, done.stderr
    return folder


def _costs(folder):
    done = _run(["costs", "demo/zones.geojson", "--earthworks", "demo/earthworks_zones.csv",
                 "--terrain", "demo/terrain.csv", "--retention", "demo/retention.csv",
                 "--out", "costs"], folder)
    assert done.returncode == 0, done.stderr
    return folder / "costs" / "costs.csv"


def test_the_annual_plans_of_the_schedule_pass_check_plans(demo):
    _costs(demo)
    pd.DataFrame({"年度": range(2026, 2031), "旗区": "全市", "预算(万元)": 800}).to_csv(
        demo / "budget.csv", index=False, encoding="utf-8-sig")  # Chinese headers accepted
    done = _run(["schedule", "demo/zones.geojson", "--costs", "costs/costs.csv", "--budget",
                 "budget.csv", "--years", "2026-2030", "--sites", "demo/sites.geojson",
                 "--out", "sched"], demo)
    assert done.returncode == 0, done.stderr
    for name in ("schedule.csv", "schedule.xlsx", "alternatives.csv", "schedule.geojson",
                 "schedule_gantt.png", "schedule_map.html", "annual_plans.csv"):
        assert (demo / "sched" / name).exists() and name in done.stdout
    table = pd.read_csv(demo / "sched" / "schedule.csv", encoding="utf-8-sig")
    zones = og.zones.read_zones(demo / "demo" / "zones.geojson")
    assert set(table["zone_id"]) == set(zones["zone_id"])  # every zone accounted for
    spent = table.dropna(subset=["year"]).groupby("year")["cost_wan_yuan"].sum()
    assert (spent <= 800 + 1e-6).all() and len(spent) > 0
    plans = og.plans.read_plans(demo / "sched" / "annual_plans.csv")
    sites = og.sites.read_sites(demo / "demo" / "sites.geojson")[0]
    zone_of = {s: z for z, ids in zip(zones["zone_id"], zones["site_ids"]) for s in ids.split(";")}
    sites["zone_id"] = sites["site_id"].map(zone_of)
    problems = og.plans.check_plans(plans, zones=zones, sites=sites)
    assert len(plans) > 0 and problems.empty, problems
    # the plans carry their zone's unified values (stricter than a named standard may be)
    zone_params = zones.set_index("zone_id")
    for plan in plans.head(20).itertuples(index=False):
        zone = zone_of[str(plan.mine_id)] if str(plan.mine_id) in zone_of else None
        if zone is not None:
            assert plan.topsoil_cm == pytest.approx(zone_params.loc[zone, "topsoil_cm"])
            assert plan.max_final_slope_deg == pytest.approx(
                zone_params.loc[zone, "max_final_slope_deg"])
    # the plans' hectares and money add up to the schedule's, each counted once, in the year
    # the zone's revegetation is done (its deadline that year's end)
    assert plans["target_ha"].sum() == pytest.approx(table["hectares"].sum(), rel=1e-4)
    assert plans["money_wan"].sum() == pytest.approx(spent.sum(), rel=1e-4)
    last = table[table["phase"] == "revegetation"].groupby("zone_id")["year"].first()
    for plan in plans.itertuples(index=False):
        zone = zone_of.get(str(plan.mine_id))
        if zone is not None and zone in last.index:
            assert plan.year == last[zone] and str(plan.deadline)[:4] == str(plan.year)


def test_an_impossible_programme_names_its_shortfall(demo):
    costs = _costs(demo)
    first = pd.read_csv(costs, encoding="utf-8-sig")["zone_id"].iloc[0]
    (demo / "must.csv").write_text(f"zone_id,by_year\n{first},2028\n", "utf-8")
    (demo / "nobudget.csv").write_text("year,banner,budget_wan\n2026,city,0\n2027,city,0\n"
                                       "2028,city,0\n", "utf-8")
    done = _run(["schedule", "demo/zones.geojson", "--costs", str(costs), "--budget",
                 "nobudget.csv", "--years", "2026-2028", "--must", "must.csv", "--out", "none",
                 "--lang", "en"], demo)
    assert done.returncode == 1, done.stderr
    assert "the city budget of 202" in done.stderr and "short by" in done.stderr
    assert "Traceback" not in done.stderr
    assert (demo / "none" / "shortfalls.csv").exists()
    assert not (demo / "none" / "schedule.csv").exists()


@pytest.mark.parametrize("years", ["2030-2026", "2026", "soon", "2026-2027"])
def test_years_that_hold_no_schedule_are_refused(demo, years):
    costs = _costs(demo)
    (demo / "b.csv").write_text("year,banner,budget_wan\n2026,city,10\n", "utf-8")
    done = _run(["schedule", "demo/zones.geojson", "--costs", str(costs), "--budget", "b.csv",
                 "--years", years, "--out", "x", "--lang", "en"], demo)
    assert done.returncode == 2 and "--years" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("cell", ["=1+1", "\u200b", "nan", "-5", "1e400"])
def test_a_hostile_budget_cell_is_named(demo, cell):
    costs = _costs(demo)
    (demo / "h.csv").write_text(f"year,banner,budget_wan\n2026,city,{cell}\n", "utf-8")
    done = _run(["schedule", "demo/zones.geojson", "--costs", str(costs), "--budget", "h.csv",
                 "--years", "2026-2028", "--out", "y", "--lang", "en"], demo)
    assert done.returncode == 1 and "budget_wan" in done.stderr and "Traceback" not in done.stderr
    assert not (demo / "y").exists()


def test_the_schedule_map_colours_zones_by_start_year_with_a_legend_for_each(
        demo, tmp_path, browser):
    """Every zone drawn in the colour of its start year (grey when not funded), every colour in
    the legend and no legend entry unused, a hostile zone id shown as text, the alternative a
    second layer that starts hidden."""
    from browser_helpers import check_legend, open_offline

    from ordos_geo.programme import costs as cost_model
    from ordos_geo.programme.schedule import schedule

    zones = og.zones.read_zones(demo / "demo" / "zones.geojson")
    zones.loc[zones.index[0], "zone_id"] = "<img src=x onerror=alert(1)>"
    zones["end_use"] = zones["end_use"].fillna("grassland")
    _, total = cost_model.zone_costs(zones)
    budget = pd.DataFrame({"year": range(2026, 2031), "banner": "city",
                           "budget_wan": total["cost_wan_yuan"].sum() / 8})
    answer = schedule(total, budgets=budget, years=range(2026, 2031), alternatives=1)
    path = og.maps.save_map(og.maps.map_schedule(zones, answer.table,
                                                 other=answer.alternatives[0].table),
                            tmp_path / "schedule.html")
    page, errors, external, dialogs = open_offline(browser, path)
    assert not errors and not external and not dialogs
    assert page.evaluate("window.ordosMap.hasLayer(window.ordosLayers.schedule_other)") is False
    drawn = page.evaluate("""() => { var out = {}; window.ordosLayers.schedule.eachLayer(
        function (l) { out[l.feature.properties.s] = l.options.fillColor; }); return out; }""")
    start = answer.table.dropna(subset=["year"]).groupby("zone_id")["year"].min()
    legend = {s["label"]: s["colour"] for s in check_legend(page, all_layers=False)["legend"]}
    for zone_id, colour in drawn.items():
        want = legend[str(int(start[zone_id]))] if zone_id in start.index else legend["未安排"]
        assert colour.lower() == want.lower(), zone_id
    found = check_legend(page)
    assert not found["missing"] and not found["wrong"] and not found["unused"]
    tip = page.evaluate("""() => { var hit; window.ordosLayers.schedule.eachLayer(function (l) {
        if (l.feature.properties.s.indexOf('<img') === 0) hit = l; });
        return window.ordosOpenTooltip(hit).textContent; }""")
    assert "<img src=x onerror=alert(1)>" in tip


def test_terrain_and_retention_never_make_a_cost_silently_low(demo):
    """A site of a zone missing from terrain.csv leaves the zone's slope out (named); a site
    listed twice and a retention flag that is neither yes nor no are refused; yes/是/TRUE count
    as kept."""
    _costs(demo)
    terrain = pd.read_csv(demo / "demo" / "terrain.csv", encoding="utf-8-sig")
    zones = og.zones.read_zones(demo / "demo" / "zones.geojson")
    zone = zones.loc[zones["n_sites"] > 1].iloc[0]
    member = zone["site_ids"].split(";")[0]
    terrain["steep_ha"] = terrain["steep_ha"].fillna(1.0)
    terrain[terrain["site_id"] != member].to_csv(demo / "t_missing.csv", index=False)
    done = _run(["costs", "demo/zones.geojson", "--terrain", "t_missing.csv", "--out", "cm"],
                demo)
    assert done.returncode == 0, done.stderr
    got = pd.read_csv(demo / "cm" / "costs.csv", encoding="utf-8-sig").set_index("zone_id")
    assert "slope (no steep_ha)" in got.loc[zone["zone_id"], "not_costed"]
    pd.concat([terrain, terrain.head(1)]).to_csv(demo / "t_twice.csv", index=False)
    done = _run(["costs", "demo/zones.geojson", "--terrain", "t_twice.csv", "--out", "ct",
                 "--lang", "en"], demo)
    assert done.returncode == 1 and "listed twice" in done.stderr
    assert not (demo / "ct").exists()
    kept = pd.read_csv(demo / "demo" / "retention.csv", encoding="utf-8-sig")
    kept.assign(retained=["是" if r else "no" for r in kept["retained"]]).to_csv(
        demo / "r_words.csv", index=False)
    kept.assign(retained=kept["retained"].astype(str)).to_csv(demo / "r_plain.csv", index=False)
    sums = []
    for name in ("r_words", "r_plain"):
        done = _run(["costs", "demo/zones.geojson", "--retention", f"{name}.csv", "--out",
                     f"o_{name}"], demo)
        assert done.returncode == 0, done.stderr
        sums.append(pd.read_csv(demo / f"o_{name}" / "costs.csv",
                                encoding="utf-8-sig")["cost_wan_yuan"].sum())
    assert sums[0] == pytest.approx(sums[1])
    kept.assign(retained=[""] + ["true"] * (len(kept) - 1)).to_csv(demo / "r_empty.csv",
                                                                    index=False)
    done = _run(["costs", "demo/zones.geojson", "--retention", "r_empty.csv", "--out", "ce",
                 "--lang", "en"], demo)
    assert done.returncode == 1 and "retained" in done.stderr and "row 2" in done.stderr


def test_the_schedule_legend_lists_only_what_is_drawn(demo):
    """All zones funded: no grey entry; a zone of the table without a shape: no entry of its
    year; seven start years: seven colours, one per year."""
    zones = og.zones.read_zones(demo / "demo" / "zones.geojson").head(7)

    def legend(table):
        spec = og.maps.map_schedule(zones, table, lang="en").spec
        return [e for g in spec["legends"] if g["title"] == "Works start" for e in g["entries"]]

    def funded(starts):
        return pd.DataFrame([{"zone_id": z, "year": y + q, "phase": p, "cost_wan_yuan": 1.0,
                              "hectares": 0.0, "reason": ""}
                             for z, y in starts.items()
                             for q, p in enumerate(["earthworks", "slopes_cover",
                                                    "revegetation"])])

    ids = list(zones["zone_id"])
    every = legend(funded({z: 2026 for z in ids}))
    assert [e[0] for e in every] == ["2026"]
    ghost = legend(funded({**{z: 2026 for z in ids}, "no such zone": 2028}))
    assert [e[0] for e in ghost] == ["2026"]
    seven = legend(funded({z: 2026 + k for k, z in enumerate(ids)}))
    assert [e[0] for e in seven] == [str(2026 + k) for k in range(7)]
    assert len({e[1] for e in seven}) == 7
    some = legend(funded({ids[0]: 2027}))
    assert [e[0] for e in some] == ["2027", "not funded"]


@pytest.mark.parametrize("table, body, line", [
    ("budget", "year,banner,budget_wan\n2026,city,10\n2027,city,=1+1\n", "b.csv, line 3"),
    ("budget", "year,banner,budget_wan\n2026,city,10\n2026,全市,5\n", "b.csv, line 3"),
    ("must", "zone_id,by_year\nNOPE,2028\n", "m.csv, line 2"),
])
def test_a_bad_cell_is_named_by_its_file_and_line(demo, table, body, line):
    costs = _costs(demo)
    good = "year,banner,budget_wan\n2026,city,10\n2027,city,10\n2028,city,10\n"
    (demo / "b.csv").write_text(body if table == "budget" else good, "utf-8")
    extra = []
    if table == "must":
        (demo / "m.csv").write_text(body, "utf-8")
        extra = ["--must", "m.csv"]
    done = _run(["schedule", "demo/zones.geojson", "--costs", str(costs), "--budget", "b.csv",
                 "--years", "2026-2028", "--out", "y", "--lang", "en", *extra], demo)
    assert done.returncode == 1 and line in done.stderr, done.stderr


def test_headers_match_whatever_their_case_width_or_spacing(demo):
    """A budget typed with ``Year``, ``BANNER`` and a full-width bracket in the Chinese header
    reads as ours."""
    costs = _costs(demo)
    from ordos_geo.publish.export import CHINESE_HEADERS

    zh = CHINESE_HEADERS["budget_wan"].replace("(", "（").replace(")", "）")
    (demo / "b.csv").write_text(f" Year ,BANNER,{zh}\n2026,city,1e6\n2027,city,1e6\n"
                                "2028,city,1e6\n", "utf-8")
    done = _run(["schedule", "demo/zones.geojson", "--costs", str(costs), "--budget", "b.csv",
                 "--years", "2026-2028", "--out", "y", "--lang", "en"], demo)
    assert done.returncode == 0, done.stderr


def _budget_file(folder, per_year=1e6, years=range(2026, 2031)):
    path = folder / "plenty.csv"
    path.write_text("year,banner,budget_wan\n" + "".join(f"{y},city,{per_year}\n" for y in years),
                    "utf-8")
    return path.name


def test_the_schedule_escalates_at_the_rate_the_costs_were_priced_with(demo):
    """A cost table at 10 % a year from 2020: the schedule pays each phase at that rate, not
    at the packaged table's."""
    import yaml

    from ordos_geo.core.yaml_tables import table_text

    table = og.costs.cost_table()
    own = demo / "costs10.yaml"
    raw = yaml.safe_load(table_text("costs"))
    raw.update(price_year=2020, escalation_pct=10.0)
    own.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    done = _run(["costs", "demo/zones.geojson", "--earthworks", "demo/earthworks_zones.csv",
                 "--terrain", "demo/terrain.csv", "--retention", "demo/retention.csv",
                 "--cost-table", str(own), "--out", "c10"], demo)
    assert done.returncode == 0, done.stderr
    costs = pd.read_csv(demo / "c10" / "costs.csv", encoding="utf-8-sig")
    assert (costs["escalation_pct"] == 10.0).all() and (costs["price_year"] == 2020).all()
    done = _run(["schedule", "demo/zones.geojson", "--costs", "c10/costs.csv", "--budget",
                 _budget_file(demo), "--years", "2026-2030", "--out", "s10"], demo)
    assert done.returncode == 0, done.stderr
    sched = pd.read_csv(demo / "s10" / "schedule.csv", encoding="utf-8-sig").dropna(
        subset=["year"])
    base = costs.set_index("zone_id")
    for row in sched.head(30).itertuples(index=False):
        want = base.loc[row.zone_id, f"{row.phase}_wan"] * 1.1 ** (row.year - 2020)
        assert row.cost_wan_yuan == pytest.approx(want, rel=1e-6)
    assert table["escalation_pct"] != 10.0  # the packaged rate differs: the test means it


@pytest.mark.parametrize("cell", ["abc", "", "nan", "inf", "1850", "2025.5"])
def test_a_bad_price_year_is_named_by_line(demo, cell):
    costs = pd.read_csv(_costs(demo), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    costs.loc[4, "price_year"] = cell
    costs.to_csv(demo / "py.csv", index=False)
    done = _run(["schedule", "demo/zones.geojson", "--costs", "py.csv", "--budget",
                 _budget_file(demo), "--years", "2026-2030", "--out", "y", "--lang", "en"], demo)
    assert done.returncode == 1 and "py.csv, line 6" in done.stderr and "price_year" in \
        done.stderr, done.stderr


@pytest.mark.parametrize("years", ["26-30", "0-2", "2026-20300", "2026-2060"])
def test_years_out_of_any_plan_are_refused_before_any_work(demo, years):
    done = _run(["schedule", "demo/zones.geojson", "--costs", str(_costs(demo)), "--budget",
                 _budget_file(demo), "--years", years, "--out", "y", "--lang", "en"], demo)
    assert done.returncode == 2 and "--years" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("body", ["year,banner,budget_wan\n2031,city,0\n",
                                  "year,banner,budget_wan\n",
                                  "year,banner,budget_wan\n2026,鄂托克旗,100\n"])
def test_a_year_without_a_budget_is_never_unlimited_money(demo, body):
    (demo / "thin.csv").write_text(body, "utf-8")
    done = _run(["schedule", "demo/zones.geojson", "--costs", str(_costs(demo)), "--budget",
                 "thin.csv", "--years", "2026-2030", "--out", "y", "--lang", "en"], demo)
    assert done.returncode == 1 and "no budget for 2026" in done.stderr, done.stderr


@pytest.mark.parametrize("column, value", [("hectares", "1e300"), ("weight", "1e300"),
                                           ("slopes_cover_wan", "1e15"), ("hectares", "1e20")])
def test_absurd_magnitudes_are_refused_not_solved_wrongly(demo, column, value):
    costs = pd.read_csv(_costs(demo), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    costs.loc[2, column] = value
    costs.to_csv(demo / "huge.csv", index=False)
    done = _run(["schedule", "demo/zones.geojson", "--costs", "huge.csv", "--budget",
                 _budget_file(demo), "--years", "2026-2030", "--out", "y", "--lang", "en"], demo)
    assert done.returncode == 1 and "huge.csv, line 4" in done.stderr and column in done.stderr


def test_costs_of_zones_not_drawn_are_refused_and_hidden_characters_do_not_make_new_zones(demo):
    costs = pd.read_csv(_costs(demo), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    ghost = costs.iloc[[0]].assign(zone_id="鬼区-01")
    pd.concat([costs, ghost]).to_csv(demo / "ghost.csv", index=False)
    done = _run(["schedule", "demo/zones.geojson", "--costs", "ghost.csv", "--budget",
                 _budget_file(demo), "--years", "2026-2030", "--out", "y", "--lang", "en"], demo)
    assert done.returncode == 1 and "鬼区-01" in done.stderr and "line" in done.stderr
    twin = costs.iloc[[0]].assign(zone_id=costs["zone_id"].iloc[0] + "\u200b")
    pd.concat([costs, twin]).to_csv(demo / "twin.csv", index=False)
    done = _run(["schedule", "demo/zones.geojson", "--costs", "twin.csv", "--budget",
                 _budget_file(demo), "--years", "2026-2030", "--out", "y", "--lang", "en"], demo)
    assert done.returncode == 1 and "repeated" in done.stderr, done.stderr


def test_a_mines_accrued_fund_offsets_its_zones_share(demo):
    zones = og.zones.read_zones(demo / "demo" / "zones.geojson")
    zone_of = og.zones.zone_of_sites(zones)
    sites = og.sites.read_sites(demo / "demo" / "sites.geojson")[0]
    mine = sites[(sites["kind"] == "mine") & sites["site_id"].isin(zone_of.index)]["site_id"].iloc[0]
    (demo / "funds.csv").write_text("mine_id,year,accrued,required\n"
                                    f"{mine},2024,30,40\n{mine},2025,20,40\nNOT-A-MINE,2025,5,9\n",
                                    "utf-8")
    done = _run(["costs", "demo/zones.geojson", "--funds", "funds.csv", "--out", "cf",
                 "--lang", "en"], demo)
    assert done.returncode == 0, done.stderr
    assert "NOT-A-MINE" in done.stdout  # a mine in no zone is named, not dropped silently
    costs = pd.read_csv(demo / "cf" / "costs.csv", encoding="utf-8-sig").set_index("zone_id")
    zone = zone_of[mine]
    assert costs.loc[zone, "fund_wan_yuan"] == pytest.approx(min(50.0, costs.loc[
        zone, "mines_wan_yuan"]))
    assert costs.loc[zone, "mines_to_pay_wan_yuan"] == pytest.approx(
        costs.loc[zone, "mines_wan_yuan"] - costs.loc[zone, "fund_wan_yuan"])
    others = costs.drop(index=zone)
    assert (others["fund_wan_yuan"] == 0).all()
