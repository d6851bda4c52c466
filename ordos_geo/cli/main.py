"""The ``ordos-geo`` command: a thin shell over the public functions.

Exit codes: 0 done (input usable; repairs are reported), 1 the input must be fixed (or another
ordos_geo error), 2 usage error, 70 an internal error (a bug: please report it with --debug).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .._version import __version__
from ..core.errors import OrdosGeoError, UsageError
from ..core.messages import msg
from ..core.settings import settings
from ..core.utils import enable_logging
from . import basics, imagery, joint, publish, register, supervision, zoning
from .common import reading_options

__all__ = ["main", "build_parser", "COMMANDS"]

log = logging.getLogger("ordos_geo")

#: The command groups, one module each, in the order of ``ordos-geo --help``.
GROUPS = (basics.add_validate, zoning.add, imagery.add_progress, publish.add, register.add,
          supervision.add, joint.add, imagery.add_findings, basics.add_tools)
#: Each command and the function that runs it.
COMMANDS = {**basics.COMMANDS, **zoning.COMMANDS, **imagery.COMMANDS, **publish.COMMANDS,
            **register.COMMANDS, **supervision.COMMANDS, **joint.COMMANDS}


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """The command line, its help in ``lang`` (default ``settings.lang``: Chinese)."""
    from ..core.messages import HELP_ZH

    zh = settings.get("lang", lang) == "zh"

    def h(text: str) -> str:
        return HELP_ZH.get(text, text) if zh else text

    common, reading = _common_options(h), reading_options(h)
    parser = argparse.ArgumentParser(
        prog="ordos-geo", parents=[common],
        description=h("鄂尔多斯矿山集中连片治理规划工具 / Ordos mine-remediation planner."))
    parser.add_argument("--version", action="version", version=f"ordos_geo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in GROUPS:
        add(sub, common, reading, h)
    return parser


def _common_options(h) -> argparse.ArgumentParser:
    """Options accepted before or after the command; SUPPRESS keeps a subcommand from resetting
    them."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS,
                        help=h("message language (default zh)"))
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help=h("more log output"))
    common.add_argument("--no-progress", action="store_true", default=argparse.SUPPRESS,
                        help=h("hide progress bars"))
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=h("show tracebacks of internal errors"))
    return common


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    wanted = next((argv[k + 1] for k, a in enumerate(argv[:-1]) if a == "--lang"), None)
    parser = build_parser("en" if wanted == "en" else "zh" if wanted == "zh" else None)
    args = parser.parse_args(argv)  # exits 2 on usage errors
    for name, default in (("lang", None), ("verbose", 0), ("no_progress", False), ("debug", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    if args.lang:
        settings.lang = args.lang
    if args.no_progress:
        settings.progress = False
    enable_logging("DEBUG" if args.verbose > 1 else "INFO" if args.verbose else "WARNING")
    return _guarded(COMMANDS[args.command], args)


def _guarded(command, args: argparse.Namespace) -> int:
    """Run a command: a user's mistake is exit 1 or 2 with a message, a bug exit 70."""
    try:
        return command(args)
    except UsageError as exc:
        print(f"ordos-geo: {exc}", file=sys.stderr)
        return 2
    except OrdosGeoError as exc:
        print(f"ordos-geo: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the final flush is quiet
        except OSError:
            pass
        return 0
    except OSError as exc:  # a file the user named: missing, a folder, not writable, disk full
        if args.debug:
            raise
        print(f"ordos-geo: {msg('os_error', path=exc.filename or '', reason=exc.strerror or exc)}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last guard: no traceback for users
        if args.debug:
            raise
        print(f"ordos-geo: internal error {type(exc).__name__}: {exc}\n"
              "Please report it with the output of --debug and `ordos-geo versions`.",
              file=sys.stderr)
        return 70
