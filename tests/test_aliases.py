"""One alias table (resources/aliases.yaml) and one normaliser serve every reader."""

import pandas as pd
import pytest

import ordos_geo as og
from ordos_geo.core.schema import aliases, header_key, match_columns

TABLES = ["sites", "plans", "plan_parameters", "corner_points", "register"]


@pytest.mark.parametrize("table", TABLES)
def test_every_alias_names_its_field_and_only_it(table):
    spec = aliases()[table]
    seen = {}
    for field, names in spec.items():
        for name in [field, *names]:
            key = header_key(name)
            assert seen.setdefault(key, field) == field, f"{name!r} names {seen[key]} and {field}"
            # spelled with full-width brackets, other case and padding it is still recognised
            variant = f"  {str(name).replace('(', '（').replace(')', '）').upper()} "
            assert match_columns([variant], table) == {variant: (field, 1.0)}


def test_scaled_aliases_carry_their_factor():
    scaled = aliases()["scaled"]
    assert match_columns(["生产规模"], "sites") == {"生产规模": ("capacity_mtpa", 0.01)}
    assert match_columns(["治理面积（亩）"], "plans")["治理面积（亩）"] == \
        ("target_ha", pytest.approx(1 / 15))
    for table, fields in scaled.items():
        for field, names in fields.items():
            for name, factor in names.items():
                assert match_columns([name], table) == {name: (field, factor)}


def test_the_site_schema_uses_the_alias_table():
    from ordos_geo.core.schema import schema

    sch = schema()
    for field, names in aliases()["sites"].items():
        for name in names:
            assert sch.match_field(str(name)) == (field, 1.0)


@pytest.mark.parametrize("column", aliases()["plans"]["year"] + ["年度"])
def test_plans_read_every_year_alias(tmp_path, column):
    path = tmp_path / "plans.csv"
    pd.DataFrame({"矿山编号": ["M1"], column: [2025], "计划治理面积(亩)": [150]}).to_csv(
        path, index=False)
    plans = og.plans.read_plans(path)
    assert plans.loc[0, "year"] == 2025
    assert plans.loc[0, "target_ha"] == pytest.approx(10.0)  # 150 亩 = 10 ha


@pytest.mark.parametrize("x_name, y_name", list(zip(aliases()["corner_points"]["x"],
                                                     aliases()["corner_points"]["y"])))
def test_corner_points_read_every_coordinate_alias(tmp_path, x_name, y_name):
    path = tmp_path / "cp.csv"
    rows = [{"矿山编号": "M1", "点号": k + 1, x_name: 4_400_000 + dy, y_name: 37_500_000 + dx}
            for k, (dx, dy) in enumerate([(0, 0), (1000, 0), (1000, 1000), (0, 1000)])]
    pd.DataFrame(rows).to_csv(path, index=False)
    frame, _ = og.corners.read_corner_points(path)
    assert frame.crs.to_epsg() == 4525
    assert frame.geometry.iloc[0].area == pytest.approx(1e6)


def test_old_names_still_work_with_a_warning(tmp_path):
    with pytest.warns(DeprecationWarning, match="corners.read_corner_points"):
        assert og.io.read_corner_points is og.corners.read_corner_points
    for name in ("write_shapefile", "write_xlsx", "read_metadata", "flatten_lists"):
        with pytest.warns(DeprecationWarning, match=f"io.{name}"):
            assert getattr(og.export, name) is getattr(og.io, name)
    assert set(og.plans.PARAMETER_ALIASES) == set(aliases()["plan_parameters"])
