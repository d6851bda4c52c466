# Two entry points for a fresh machine with Python 3.11+, pip and apt:
#   make demo   – create .venv, install ordos_geo, run `ordos-geo demo` on the embedded data
#   make test   – create .venv, install ordos_geo with its test tools, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= output

.PHONY: demo test bench install clean wheel-demo notebook

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { apt-get update && apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-all: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all]"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed-all

demo: $(VENV)/.installed-all
	$(BIN)/ordos-geo demo --out $(OUT)

test: $(VENV)/.installed-test
	@{ command -v chromium >/dev/null && dpkg -s fonts-noto-cjk postgresql postgresql-15-postgis-3 \
	     gdal-bin sqlite3 >/dev/null 2>&1; } || \
	  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk \
	     postgresql postgresql-15-postgis-3 gdal-bin sqlite3; }
	$(BIN)/python -m pytest

# JupyterLab on the numbered notebooks (the embedded data, offline maps inline)
notebook: $(VENV)/.installed-all
	$(BIN)/python -m pip install --quiet -e ".[all,lab]"
	$(BIN)/jupyter lab notebooks/

# the wheel as a user gets it: built, installed with its dependencies (not editable) in a fresh
# venv, the demo run from a folder outside the checkout
wheel-demo: $(VENV)/.installed-test
	rm -rf build/wheel-demo build/lib && mkdir -p build/wheel-demo/run
	$(BIN)/python -m pip wheel -q --no-deps --no-build-isolation -w build/wheel-demo/dist .
	$(PYTHON) -m venv build/wheel-demo/venv
	build/wheel-demo/venv/bin/python -m pip install -q "$$(ls build/wheel-demo/dist/*.whl)[maps]"
	cd build/wheel-demo/run && ../venv/bin/ordos-geo demo --out out --no-progress

bench: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build
