"""API consistency (osmnx 2 style): options after the main argument are keywords; the 0.2
spellings keep working with a DeprecationWarning until 1.0."""

import importlib
import inspect
import warnings

import pytest

import ordos_geo as og


def test_options_are_keyword_only():
    for func, main in ((og.rules.apply_rules, 1), (og.plans.check_plans, 1),
                       (og.sites.validate, 1), (og.sites.read_sites, 1),
                       (og.reclamation.progress, 2), (og.zones.build_zones, 2),
                       (og.samples.write_sample_scenes, 1), (og.accuracy.draw_sample, 1),
                       (og.accuracy.allocate, 2), (og.accuracy.estimate, 2),
                       (og.accuracy.assess, 2), (og.accuracy.read_sheet, 2),
                       (og.accuracy.map_areas, 1), (og.classify.train, 2),
                       (og.classify.predict, 3), (og.classify.threshold_map, 2),
                       (og.classify.labelled_pixels, 2), (og.classify.blocked_folds, 2),
                       (og.landscapes.write_landcover_scenes, 1),
                       (og.landscapes.write_landcover_years, 1), (og.disturbance.detect, 2),
                       (og.schedule.schedule, 1), (og.costs.zone_costs, 1)):
        params = list(inspect.signature(func).parameters.values())
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        assert len(positional) <= main, (func.__qualname__, [p.name for p in positional])
        for p in params:  # every option is typed or a **deprecated catch-all
            assert p.annotation is not inspect.Parameter.empty or p.kind == p.VAR_KEYWORD, \
                (func.__qualname__, p.name)


@pytest.fixture(scope="module")
def demo_zoned():
    sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())
    result = og.zones.build_zones(sites, gap_m=500, max_zone_ha=5000)
    return result.zones, result.sites


def test_positional_rules_and_plans_still_work_with_a_warning(demo_zoned):
    zones, sites = demo_zoned
    new = og.rules.apply_rules(zones, sites=sites)
    with pytest.warns(DeprecationWarning, match="sites=…"):
        old = og.rules.apply_rules(zones, sites)
    assert old.equals(new)
    with pytest.raises(TypeError, match="multiple values"), pytest.warns(DeprecationWarning):
        og.rules.apply_rules(zones, sites, sites=sites)
    plans = og.plans.read_plans(og.datasets.synthetic_plans_path())
    want = og.plans.check_plans(plans, zones=new, sites=sites)
    with pytest.warns(DeprecationWarning, match="zones=…, sites=…"):
        got = og.plans.check_plans(plans, new, sites)
    assert got.equals(want)


def test_progress_keyword_renamed(monkeypatch):
    from ordos_geo import reclamation

    with pytest.warns(DeprecationWarning, match="show_progress"):
        assert reclamation._renamed_progress(None, {"progress": False}) is False
    assert reclamation._renamed_progress(True, {}) is True
    with pytest.raises(TypeError, match="unexpected keyword"):
        reclamation._renamed_progress(None, {"progres": True})


def test_sample_scenes_old_name(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(og.samples, "write_sample_scenes",
                        lambda out, **kw: calls.append((out, kw)) or tmp_path / "m.csv")
    with pytest.warns(DeprecationWarning, match="write_sample_scenes"):
        assert og.samples.sample_scenes(tmp_path, seed=3) == tmp_path / "m.csv"
    assert calls == [(tmp_path, {"seed": 3})]


def _readme_section(title: str) -> str:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    return readme.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_readme_api_table_names_real_public_functions():
    """Each row of the README's *Python API* table: ``og.<name>`` is the module in the file the
    row names, and every name in the row is one of that module's public names."""
    import re
    import sys

    rows = [line for line in _readme_section("Python API").splitlines()
            if line.startswith("| `og.")]
    listed = set()
    for row in rows:
        name_cell, file_cell, _, names_cell = row.strip("|").split("|")[:4]
        name = re.fullmatch(r"\s*`og\.(\w+)`\s*", name_cell).group(1)
        path = re.fullmatch(r"\s*`([\w/]+)\.py`\s*", file_cell).group(1)
        listed.add(name)
        obj = getattr(og, name)
        module = sys.modules[type(obj).__module__] if name == "settings" else obj
        in_file = f"ordos_geo.{path.replace('/', '.')}"
        # the module itself, or the subpackage that re-exports it (og.io is io/files.py)
        assert module.__name__ in (in_file, in_file.rsplit(".", 1)[0]), (name, path)
        assert in_file in sys.modules, (name, path)
        for public in re.findall(r"`([\w.]+)`", names_cell):
            head = public.split(".")[0]
            target = obj if name == "settings" and head != "settings" else module
            assert hasattr(target, head) or (name == "settings" and head == "settings"), \
                f"README API table: {public} is not in og.{name}"
            if name != "settings":
                assert head in module.__all__, (name, public)
    subpackages = {"core", "zoning", "joint", "programme", "publish", "cli"}
    assert listed == set(og.MODULES) - subpackages | {"settings"}, \
        (set(og.MODULES) - subpackages) ^ listed


def test_og_names_load_without_warnings_and_old_paths_warn():
    """``og.<name>`` is the API: no warning. The flat 0.3 paths still give the same objects,
    each with a DeprecationWarning naming the new path."""
    import importlib
    import warnings

    from ordos_geo import _moved

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        modules = {name: getattr(og, name) for name in og.MODULES}
    for old, new in _moved.MOVED.items():
        stand_in = importlib.import_module(f"ordos_geo.{old}")
        real = importlib.import_module(f"ordos_geo.{new}")
        public = real.__all__[0]
        with pytest.warns(DeprecationWarning, match=f"ordos_geo.{new}"):
            assert getattr(stand_in, public) is getattr(real, public)
    assert modules["zones"] is importlib.import_module("ordos_geo.zoning.zones")
    with pytest.warns(DeprecationWarning, match="ordos_geo.core.settings"):
        from ordos_geo.settings import Settings  # noqa: F401 - the old path
    assert isinstance(og.settings, importlib.import_module("ordos_geo.core.settings").Settings)
    with pytest.warns(DeprecationWarning, match="ordos_geo.zoning.zones"):
        from ordos_geo.zones import build_zones
    assert build_zones is og.zones.build_zones


@pytest.mark.parametrize("old, new, module", [
    ("zone_facts", "rule_facts", "rules"), ("zone_facts", "suitability_facts", "suitability"),
    ("load_rules", "load_thresholds", "disturbance")])
def test_renamed_functions_warn_and_are_the_new_ones(old, new, module):
    if module == "disturbance":  # a function of its own that warns when called
        with pytest.warns(DeprecationWarning, match=new):
            assert og.disturbance.load_rules() == og.disturbance.load_thresholds()
        return
    with pytest.warns(DeprecationWarning, match=new):
        got = getattr(getattr(og, module), old)
    assert got is getattr(getattr(og, module), new)


@pytest.mark.parametrize("call, positional", [
    ("earthworks.balance", ("demand", "distance_m")),
    ("earthworks.retention", ("terrain", "zone_of")),
    ("earthworks.zone_balances", ("terrain", "zone_of")),
    ("earthworks.flow_lines", ("sites",)),
    ("suitability.suitability_facts", ("sites", "terrain", "zone_of")),
    ("suitability.suitability", ("zones",)),
    ("supervision.removal_list", ("state",)),
    ("supervision.sanctions", ("state",)),
    ("supervision.lookback", ("mines",)),
    ("supervision.quarterly_report", ("events",)),
    ("supervision.protected_overlap", ("protected",)),
    ("rules.rule_facts", ("rules",)),
    ("disturbance.compare_declarations", ("summary",))])
def test_analysis_functions_take_one_positional_argument(call, positional):
    """Keyword-only after the main argument; a 0.3 positional call still reaches the function,
    with a DeprecationWarning naming the keywords."""
    module, name = call.split(".")
    func = getattr(getattr(og, module), name)
    params = inspect.signature(func).parameters.values()
    assert [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD] == \
        [list(inspect.signature(func).parameters)[0]]
    assert all(inspect.signature(func).parameters[k].kind == inspect.Parameter.KEYWORD_ONLY
               for k in positional)
    with pytest.warns(DeprecationWarning, match=", ".join(f"{k}=…" for k in positional)):
        with pytest.raises(Exception) as caught:  # placeholders, not data: it fails inside
            func(object(), *[object() for _ in positional])
    assert not isinstance(caught.value, TypeError) or "positional" not in str(caught.value)
    with pytest.raises(TypeError, match="positional"):  # one more than it ever took
        func(object(), *[object() for _ in range(len(positional) + 1)])


@pytest.mark.parametrize("old, name, home", [
    ("ordos_geo.io", "write_gpkg_layer", "ordos_geo.io.files"),
    ("ordos_geo.reclamation", "STRIP_ROWS", "ordos_geo.imagery.grids"),
    ("ordos_geo.reclamation", "COVERAGE_PARALLEL", "ordos_geo.imagery.grids"),
    ("ordos_geo.imagery", "REQUIRED_BANDS", "ordos_geo.imagery.scenes"),
    ("ordos_geo.sites", "Refused", "ordos_geo.sites.read"),
    ("ordos_geo.register", "CLOCK_SLACK", "ordos_geo.register.ledger"),
    ("ordos_geo.register", "STATE_INPUT", "ordos_geo.register.ledger"),
    ("ordos_geo.demo", "DEMO_GAP_M", "ordos_geo.demo.run"),
    ("ordos_geo.demo", "STEPS", "ordos_geo.demo.run")])
def test_public_names_of_0_3_modules_still_resolve_with_a_warning(old, name, home):
    """0.3's flat modules had these public names; they live elsewhere now (adversary round 2)."""
    with pytest.warns(DeprecationWarning, match=name):
        value = getattr(importlib.import_module(old), name)
    assert value is getattr(importlib.import_module(home), name)
    with warnings.catch_warnings(), pytest.raises(AttributeError):
        warnings.simplefilter("ignore", DeprecationWarning)  # the old path itself warns
        getattr(importlib.import_module(old), "no_such_name_at_all")


def test_a_star_import_from_an_old_path_still_imports_the_names():
    namespace: dict = {}
    with pytest.warns(DeprecationWarning, match="ordos_geo.maps moved"):
        exec("from ordos_geo.maps import *", namespace)  # noqa: S102 - the import under test
    assert namespace["map_zones"] is importlib.import_module("ordos_geo.publish.maps").map_zones
