"""API consistency (osmnx 2 style): options after the main argument are keywords; the 0.2
spellings keep working with a DeprecationWarning until 1.0."""

import inspect

import pytest

import ordos_geo as og


def test_options_are_keyword_only():
    for func, main in ((og.rules.apply_rules, 1), (og.plans.check_plans, 1),
                       (og.sites.validate, 1), (og.sites.read_sites, 1),
                       (og.reclamation.progress, 2), (og.zones.build_zones, 2),
                       (og.samples.write_sample_scenes, 1)):
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


def test_readme_api_table_names_real_public_functions():
    import importlib
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `og.")]
    listed = set()
    for row in rows:
        modules_cell, _, _, names_cell = row.strip("|").split("|")[:4]
        modules = re.findall(r"`og\.(\w+)`", modules_cell)
        listed.update(modules)
        for name in re.findall(r"`([\w.]+)`", names_cell):
            loaded = {m: importlib.import_module(f"ordos_geo.{m}") for m in modules}
            owner = [m for m, module in loaded.items() if hasattr(module, name.split(".")[0])]
            assert owner, f"README API table: {name} is in none of {modules}"
            for m in owner:
                if hasattr(loaded[m], "__all__"):
                    assert name.split(".")[0] in loaded[m].__all__, (m, name)
    assert listed >= set(og._MODULES) - {"settings"}, set(og._MODULES) - listed
