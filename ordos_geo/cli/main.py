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
from . import basics, imagery, joint, landcover, programme, publish, register, supervision, zoning
from .common import reading_options

__all__ = ["main", "build_parser", "COMMANDS"]

log = logging.getLogger("ordos_geo")

#: The command groups, one module each, in the order of ``ordos-geo --help``.
GROUPS = (basics.add_validate, zoning.add, imagery.add_progress, publish.add, register.add,
          supervision.add, joint.add, programme.add, imagery.add_findings, landcover.add,
          basics.add_tools)
#: Each command and the function that runs it.
COMMANDS = {**basics.COMMANDS, **zoning.COMMANDS, **imagery.COMMANDS, **publish.COMMANDS,
            **register.COMMANDS, **supervision.COMMANDS, **joint.COMMANDS,
            **programme.COMMANDS, **landcover.COMMANDS}


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
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                help=h("the command (ordos-geo COMMAND --help describes it)"))
    for add in GROUPS:
        add(sub, common, reading, h)
    _localise(parser, h)
    return parser


def _localise(parser: argparse.ArgumentParser, h) -> None:
    """The help of ``parser`` and of every command under it in the language of ``h``: each
    command described by its one-line help, argparse's section titles and -h translated too
    (``usage:`` stays: scripts look for it on a usage error)."""
    parser._positionals.title = h("positional arguments")
    parser._optionals.title = h("options")
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            action.help = h("show this help message and exit")
        elif isinstance(action, argparse._VersionAction):
            action.help = h("show the version and exit")
        elif isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, command in action.choices.items():
                if command.description is None and helps.get(name):
                    # help is %-formatted (95 %% → 95 %), a description is printed as written
                    command.description = helps[name].replace("%%", "%")
                _localise(command, h)


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
    """Run ``ordos-geo``; the exit code. A reader that went away (``| head -1``) ends it quietly,
    the standard way: what is left for stdout goes to the null device, exit 0."""
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
    except BrokenPipeError:
        _stdout_to_devnull()
        return 0


def _stdout_to_devnull() -> None:
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _wanted_lang(argv: list[str]) -> str | None:
    """The ``--lang`` asked for (``--lang en`` or ``--lang=en``; the last one wins, as
    argparse takes it), so that help and usage errors are in that language too."""
    wanted = None
    for k, a in enumerate(argv):
        if a == "--lang" and k + 1 < len(argv):
            wanted = argv[k + 1]
        elif a.startswith("--lang="):
            wanted = a.split("=", 1)[1]
    return wanted


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    wanted = _wanted_lang(argv)
    parser = build_parser("en" if wanted == "en" else "zh" if wanted == "zh" else None)
    args = parser.parse_args(argv)  # exits 2 on usage errors
    for name, default in (("lang", None), ("verbose", 0), ("no_progress", False), ("debug", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    chosen = {**({"lang": args.lang} if args.lang else {}),
              **({"progress": False} if args.no_progress else {})}
    logger = logging.getLogger("ordos_geo")
    level, handlers = logger.level, list(logger.handlers)
    enable_logging("DEBUG" if args.verbose > 1 else "INFO" if args.verbose else "WARNING")
    try:  # a command run in a notebook leaves the settings and the logger as found
        with settings.context(**chosen):
            return _guarded(COMMANDS[args.command], args)
    finally:
        logger.setLevel(level)
        logger.handlers[:] = handlers


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
    except BrokenPipeError:  # the reader went away (`| head`): main ends quietly
        raise
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
