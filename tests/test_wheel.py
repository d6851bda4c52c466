"""ordos_geo as a user installs it: the built wheel, not the checkout.

The wheel is built from the repository, installed (``--no-deps``, not editable) into a fresh venv
whose other packages come from the test environment (a ``.pth`` line, so nothing is downloaded),
and ``ordos-geo demo`` runs from a folder outside the checkout. ``.ci/run`` also installs the
wheel with its dependencies from the package index (``make wheel-demo``).
"""

from __future__ import annotations

import glob
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    _wheel_build(tmp / "dist").check_returncode()
    wheel = glob.glob(str(tmp / "dist" / "*.whl"))[0]
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True,
                             check=True).stdout.strip()
    # the test environment's packages, after the venv's own (not its editable ordos_geo: a path
    # added by a .pth line is not a site dir, so its own .pth files are not run)
    Path(purelib, "test_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--target", purelib, wheel], check=True, capture_output=True)
    script = venv / "bin" / "ordos-geo"
    script.write_text(f"#!{py}\nimport sys\nfrom ordos_geo.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    return wheel, py, script, tmp


def _wheel_build(out: Path) -> subprocess.CompletedProcess:
    # setuptools builds in the checkout's build/: a module moved or deleted since the last build
    # would still be copied from build/lib into the wheel
    shutil.rmtree(ROOT / "build" / "lib", ignore_errors=True)
    return subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                           "--no-build-isolation", "-w", str(out), str(ROOT)], capture_output=True)


def test_the_wheel_holds_exactly_the_package_files():
    """Every file of the package (and of the top-level data/, which ships as ordos_geo/data/)
    is in the wheel, and nothing else is: no module left over from an earlier layout."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                             "ordos_geo", "data"], cwd=ROOT, capture_output=True,
                            text=True).stdout.split()
    if not listed:
        pytest.skip("not a git checkout")
    expected = {f"ordos_geo/{t}" if t.startswith("data/") else t for t in listed
                if (ROOT / t).exists()}
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / "og-wheel-check"
    shutil.rmtree(tmp, ignore_errors=True)
    out = _wheel_build(tmp)
    assert out.returncode == 0, out.stderr
    names = {n for n in zipfile.ZipFile(glob.glob(str(tmp / "*.whl"))[0]).namelist()
             if not n.startswith("ordos_geo-")}  # the .dist-info folder
    assert sorted(expected - names) == []
    assert sorted(names - expected) == []
    assert "ordos_geo/data/README.md" in names and "ordos_geo/data/__init__.py" in names


def test_the_installed_wheel_runs_the_demo_from_another_folder(installed, tmp_path):
    _, py, script, _ = installed
    where = subprocess.run([str(py), "-c", "import ordos_geo, ordos_geo.io.datasets as d; "
                            "print(ordos_geo.__file__); print(d.data_dir())"],
                           capture_output=True, text=True, cwd=tmp_path)
    module, data = where.stdout.split()
    assert str(ROOT) not in module and str(ROOT) not in data, where.stdout
    res = subprocess.run([str(script), "demo", "--out", "out", "--no-progress"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert res.returncode == 0, res.stderr
    for name in ("zones.geojson", "progress_summary.csv", "zones_report.xlsx"):
        assert (tmp_path / "out" / name).exists()
    pages = sorted(p.name for p in (tmp_path / "out" / "maps").glob("*.html"))
    assert pages == ["disturbance.html", "ordos_overview.html", "progress.html", "zones.html"]
    assert "ordos_map.js" in (tmp_path / "out" / "maps" / "zones.html").read_text("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing beside --out


@pytest.mark.parametrize("missing", ["matplotlib", "openpyxl"])
def test_a_base_install_names_the_extra_to_install(installed, tmp_path, missing):
    _, py, script, _ = installed
    block = tmp_path / "block"
    (block / missing).mkdir(parents=True)
    (block / missing / "__init__.py").write_text(f"raise ImportError('no {missing} here')\n")
    env = {**os.environ, "PYTHONPATH": str(block)}
    res = subprocess.run([str(script), "demo", "--out", "out", "--no-progress"], env=env,
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert res.returncode == 1, res.stderr
    assert 'pip install "ordos_geo[maps]"' in res.stderr and "internal error" not in res.stderr
    assert not (tmp_path / "out").exists()
