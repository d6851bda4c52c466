"""Logging, progress bars and version reporting."""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import platform
import sys
import warnings
from typing import Iterable, TypeVar

from .settings import settings

__all__ = ["keywords_after", "renamed", "logger", "enable_logging", "progress_bar", "show_versions", "import_optional",
           "cjk_font", "use_cjk_font"]

T = TypeVar("T")

#: The one logger of the package. Each step logs a fact with counts or paths.
logger = logging.getLogger("ordos_geo")
logger.addHandler(logging.NullHandler())


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record (a notebook or a test may
    replace it after logging was turned on)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def enable_logging(level: str | None = None) -> logging.Logger:
    """Send ``ordos_geo`` log records to stderr at ``level`` (default ``settings.log_level``)."""
    level = settings.get("log_level", level)
    if not any(getattr(h, "_ordos_geo", False) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler._ordos_geo = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)
    return logger


def progress_bar(iterable: Iterable[T], *, total: int | None = None, desc: str = "",
                 progress: bool | None = None) -> Iterable[T]:
    """Wrap ``iterable`` in a tqdm bar when progress is on (``settings.progress``)."""
    if not settings.get("progress", progress):
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False)


#: The extra of ``pyproject.toml`` that brings each optional module.
_EXTRAS = {"matplotlib": "maps", "openpyxl": "maps", "pystac_client": "stac",
           "ipykernel": "notebooks", "mapclassify": "notebooks"}


def import_optional(module: str, *, purpose: str, pip: str | None = None,
                    conda: str | None = None):
    """Import an optional dependency, or fail with the extra, pip and conda commands that
    install it (:class:`~ordos_geo.core.errors.MissingDependencyError`, exit 1 in the CLI)."""
    import importlib

    from .errors import MissingDependencyError
    from .messages import msg

    try:
        return importlib.import_module(module)
    except ImportError:
        package = pip or module.split(".")[0]
        extra = _EXTRAS.get(module.split(".")[0])
        command = f'pip install "ordos_geo[{extra}]"' if extra else f"pip install {package}"
        raise MissingDependencyError(msg("missing_dependency", package=package, purpose=purpose,
                                         command=command, conda=conda or package)) from None


_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
              "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC",
              "AR PL UMing CN", "Droid Sans Fallback")


def cjk_font() -> str | None:
    """The name of an installed font that draws Chinese in matplotlib, or None.

    Plots use Chinese labels only when one exists (Debian: ``apt-get install fonts-noto-cjk``);
    otherwise they fall back to English rather than draw empty boxes.
    """
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in _CJK_FONTS if f in names), None)


def use_cjk_font() -> str | None:
    """Make matplotlib draw Chinese (zone ids, banner names) with an installed CJK font: put it
    first in ``font.sans-serif``. Returns its name, or None (then Chinese shows as boxes:
    ``apt-get install fonts-noto-cjk``)."""
    import matplotlib

    font = cjk_font()
    if font is not None:
        rc = matplotlib.rcParams
        rc["font.sans-serif"] = [font] + [f for f in rc["font.sans-serif"] if f != font]
        rc["font.family"] = "sans-serif"
        rc["axes.unicode_minus"] = False
    return font


_PACKAGES = ("numpy", "pandas", "shapely", "pyproj", "pyogrio", "geopandas", "rasterio",
             "exactextract", "scipy", "scikit-learn", "dask", "tqdm", "pyyaml")


def show_versions(file=None) -> dict[str, str]:
    """Print (and return) the versions of Python, GDAL, PROJ and the libraries ordos_geo uses."""
    import pyogrio
    import pyproj

    from .._version import __version__

    info = {"ordos_geo": __version__, "python": sys.version.split()[0],
            "platform": platform.platform(), "GDAL": pyogrio.__gdal_version_string__,
            "PROJ": pyproj.proj_version_str}
    for name in _PACKAGES:
        try:
            info[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            info[name] = "not installed"
    width = max(map(len, info))
    for key, value in info.items():
        print(f"{key:<{width}} : {value}", file=file or sys.stdout)
    return info


def keywords_after(count: int, names: tuple[str, ...]):
    """Make every parameter after the first ``count`` keyword-only, the way osmnx 2 did, without
    breaking callers: positional values for ``names`` still work for now, with a
    DeprecationWarning that names the keywords to use."""
    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            if len(args) > count:
                extra = args[count:]
                if len(extra) > len(names):
                    raise TypeError(f"{func.__qualname__}() takes {count + len(names)} positional "
                                    f"arguments but {len(args)} were given")
                used = names[:len(extra)]
                warnings.warn(f"{func.__module__}.{func.__qualname__}: pass "
                              + ", ".join(f"{n}=…" for n in used)
                              + " by keyword; positional values will stop working in 1.0.",
                              DeprecationWarning, stacklevel=2)
                for name, value in zip(used, extra):
                    if name in kwargs:
                        raise TypeError(f"{func.__qualname__}() got multiple values for {name!r}")
                    kwargs[name] = value
            return func(*args[:count], **kwargs)
        return inner
    return wrap


def renamed(module: str, names: dict[str, tuple[str, object]], *,
            homes: tuple[str, ...] = ()):
    """A module ``__getattr__`` for names that were renamed or moved: ``{old: (new spelling,
    object)}``; and, with ``homes`` (module paths), any other public name found in one of them
    (a 0.3 module turned into a package: its names now live in its modules). The old name still
    gives the object, with a DeprecationWarning naming the new spelling (removed in 1.0); any
    other unknown name is an AttributeError as usual."""
    def __getattr__(name: str):
        if name in names:
            new, value = names[name]
            warnings.warn(f"{module}.{name} is now {new} (the old name will be removed in 1.0).",
                          DeprecationWarning, stacklevel=2)
            return value
        if not name.startswith("_"):
            from importlib import import_module

            for home in homes:
                found = import_module(home)
                if name in vars(found):
                    warnings.warn(f"{module}.{name} is now {home}.{name} (the old path will be "
                                  "removed in 1.0).", DeprecationWarning, stacklevel=2)
                    return vars(found)[name]
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
