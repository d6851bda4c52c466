"""The embedded data of ordos_geo (see README.md here: provenance and licences).

This folder is the repository's ``data/``; the build maps it into the package as
``ordos_geo.data`` (``[tool.setuptools.package-dir]`` in pyproject.toml), so the wheel ships it
and ``importlib.resources.files("ordos_geo.data")`` finds it installed or editable alike.
"""
