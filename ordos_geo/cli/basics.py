"""The commands every user meets first: ``validate`` a sites file, and those that read no
sites: ``rules`` (the default rule table), ``demo``, ``schema`` (the data dictionary), ``versions``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.messages import msg
from ..core.settings import settings
from .common import print_or_write, print_problems, print_written, reading_options

__all__ = ["add_validate", "add_tools", "COMMANDS"]


def add_validate(sub, common, reading, h) -> None:
    v = sub.add_parser("validate", parents=[common, reading_options(h, positional="path")],
                       help=h("check a sites file and write a report (exit 0 usable, 1 must fix)"))
    v.add_argument("--report", type=Path,
                   help=h("report CSV (default: ./<file name>.validation.csv)"))


def add_tools(sub, common, reading, h) -> None:
    """The commands that read no sites file: rules, demo, schema, versions."""
    r = sub.add_parser("rules", parents=[common], help=h("write the default rule table to edit"))
    r.add_argument("--out", type=Path, help=h("write it to this file instead of printing it"))
    d = sub.add_parser("demo", parents=[common], help=h("run everything on the embedded data"))
    d.add_argument("--out", type=Path, default=Path("output"),
                   help=h("output folder (default output/)"))
    sc = sub.add_parser("schema", parents=[common],
                        help=h("print the data dictionary (zh/en Markdown)"))
    sc.add_argument("--out", type=Path, help=h("write it to this file instead"))
    sub.add_parser("versions", parents=[common], help=h("print library versions (for bug reports)"))


def _validate(args: argparse.Namespace) -> int:
    from .. import io
    from ..sites import validate

    tolerance = args.boundary_tolerance_m
    with settings.context(**({} if tolerance is None else {"boundary_tolerance_m": tolerance})):
        result = validate(args.path, layer=args.layer, encoding=args.encoding, crs=args.crs,
                          gcj02=args.gcj02, kind=args.kind, point_radius_m=args.point_radius_m)
    report_path = args.report or Path(f"{args.path.name}.validation.csv")
    io.write_csv(result.report, report_path)  # first: the problems not shown are there
    print_problems(result.report, path=report_path)
    print(result.summary())
    print(msg("wrote", what="report" if settings.lang == "en" else "校验报告", path=report_path))
    return 0 if result.usable else 1


def _demo(args: argparse.Namespace) -> int:
    from ..demo.run import run_demo

    print_written(run_demo(args.out))
    return 0


def _rules(args: argparse.Namespace) -> int:
    from ..zoning.rules import default_rules_text

    return print_or_write(default_rules_text(), args.out)


def _schema(args: argparse.Namespace) -> int:
    from ..core.dictionary import markdown

    return print_or_write(markdown() + "\n", args.out)


def _versions(args: argparse.Namespace) -> int:
    from ..core.utils import show_versions

    show_versions()
    return 0


#: Each command and the function that runs it.
COMMANDS = {"validate": _validate, "demo": _demo, "rules": _rules, "schema": _schema, "versions": _versions}
