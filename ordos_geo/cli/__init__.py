"""The command line ``ordos-geo``: :mod:`~ordos_geo.cli.main` builds the parser and runs a
command; one module per command group; :mod:`~ordos_geo.cli.common` holds what they share."""

from .main import build_parser, main

__all__ = ["main", "build_parser"]
