import logging

import pytest

import ordos_geo as og
from ordos_geo.core.errors import MissingDependencyError
from ordos_geo.core.utils import enable_logging, import_optional, show_versions


def test_missing_optional_dependency_names_pip_and_conda():
    with og.settings.context(lang="en"):
        with pytest.raises(MissingDependencyError) as info:
            import_optional("not_a_real_module_xyz", purpose="testing", pip="xyz-pkg",
                            conda="xyz")
    text = str(info.value)
    assert "pip install xyz-pkg" in text and "conda install -c conda-forge xyz" in text
    assert isinstance(info.value, ImportError)
    assert import_optional("json", purpose="x").dumps([1]) == "[1]"


def test_show_versions_lists_gdal_and_proj(capsys):
    info = show_versions()
    out = capsys.readouterr().out
    assert "GDAL" in info and "PROJ" in info and "geopandas" in out


def test_enable_logging_is_idempotent():
    logger = enable_logging("INFO")
    n = len(logger.handlers)
    enable_logging("DEBUG")
    assert len(logger.handlers) == n and logger.level == logging.DEBUG
    logger.setLevel(logging.WARNING)


def test_importing_the_package_is_light():
    """``import ordos_geo`` loads no geospatial library and takes well under half a second;
    modules load on first use."""
    import subprocess
    import sys

    code = ("import sys, time; t = time.perf_counter(); import ordos_geo as og; "
            "dt = time.perf_counter() - t; heavy = [m for m in ('geopandas', 'scipy', 'shapely', "
            "'rasterio', 'pandas') if m in sys.modules]; "
            "print(dt, heavy, og.zones.__name__, 'geopandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split(maxsplit=1)
    seconds, rest = float(out[0]), out[1]
    assert seconds < 0.5
    assert rest.startswith("[] ordos_geo.zoning.zones True")
