"""One validated options object for ordos_geo.

>>> import ordos_geo as og
>>> og.settings.lang = "en"          # messages and labels in English
>>> with og.settings.context(progress=False):
...     pass                          # temporary override

Every function that reads a setting also takes it as a keyword argument, and the keyword wins.
Unknown names and bad values are refused with :class:`~ordos_geo.core.errors.SettingsError`.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import SettingsError

__all__ = ["Settings", "settings", "SETTINGS_TABLE"]


@dataclass(frozen=True)
class _Option:
    name: str
    type: str
    default: Any
    doc: str
    check: Callable[[Any], Any]


def _choice(*allowed: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value not in allowed:
            raise ValueError(f"allowed values are {', '.join(map(repr, allowed))}")
        return value

    return check


def _crs(value: Any) -> Any:
    from pyproj import CRS

    try:
        CRS.from_user_input(value)
    except Exception as exc:  # pyproj raises CRSError with a long text
        raise ValueError(f"not a CRS pyproj understands ({exc})") from None
    return value


def _crs_or_named(value: Any) -> Any:
    return value if value in ("ordos-albers", "ordos-lcc") else _crs(value)


def _path(value: Any) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError("must be a path (str or pathlib.Path)")
    return Path(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be True or False")
    return value


def _level(value: Any) -> str:
    value = str(value).upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("allowed values are 'DEBUG', 'INFO', 'WARNING', 'ERROR'")
    return value


def _nonnegative(value: Any) -> float:
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or value < 0:
        raise ValueError("must be a finite number ≥ 0")
    return float(value)


def _optional_path(value: Any) -> Path | None:
    return None if value is None else _path(value)


_OPTIONS = (
    _Option("lang", "str", "zh", "Language of messages, labels and popups: 'zh' or 'en'.",
            _choice("zh", "en")),
    _Option("equal_area_crs", "CRS", "ordos-albers",
            "CRS in which areas (ha, 亩) are measured: an equal-area projection. 'ordos-albers' "
            "is Albers on CGCS2000 with standard parallels 38.2°N/40.3°N, central meridian 109.5°E.",
            _crs_or_named),
    _Option("metric_crs", "CRS", "ordos-lcc",
            "CRS in which distances (m) are measured, one for the whole city. 'ordos-lcc' is "
            "Lambert conformal conic on CGCS2000, parallels 38.2°N/40.3°N, meridian 109.5°E.",
            _crs_or_named),
    _Option("export_crs", "CRS", "EPSG:4326",
            "CRS of GeoJSON/GeoPackage exports (RFC 7946: EPSG:4326, lon/lat).", _crs),
    _Option("data_dir", "path|None", None,
            "Folder of the embedded data set; None means the package's own (the repository's "
            "data/, the package ordos_geo.data once installed).",
            _optional_path),
    _Option("maps_dir", "path|None", None,
            "Folder of the demo's HTML maps; None means maps/ inside the demo's output folder.",
            _optional_path),
    _Option("boundary_tolerance_m", "float", 200.0,
            "How far (m) a site may lie outside the embedded city boundary before it is refused "
            "as outside Ordos: the boundary is indicative (Amap, simplified by 100 m).",
            lambda v: _nonnegative(v)),
    _Option("progress", "bool", True, "Show progress bars (tqdm) on long steps.", _bool),
    _Option("log_level", "str", "WARNING",
            "Level of the 'ordos_geo' logger when the CLI or enable_logging() sets it up.", _level),
)

SETTINGS_TABLE = {o.name: o for o in _OPTIONS}


class Settings:
    """Typed, validated options; see :data:`SETTINGS_TABLE` for name, type, default, meaning."""

    __slots__ = ("_values",)

    def __init__(self, **overrides: Any) -> None:
        object.__setattr__(self, "_values", {o.name: o.default for o in _OPTIONS})
        for key, value in overrides.items():
            setattr(self, key, value)

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise SettingsError(_unknown(name))

    def __setattr__(self, name: str, value: Any) -> None:
        option = SETTINGS_TABLE.get(name)
        if option is None:
            raise SettingsError(_unknown(name))
        try:
            checked = option.check(value)
        except ValueError as exc:
            raise SettingsError(f"Bad value {value!r} for setting {name!r}: {exc}.") from None
        self._values[name] = checked

    def reset(self) -> None:
        """Restore every default."""
        self._values.update({o.name: o.default for o in _OPTIONS})

    def get(self, name: str, override: Any = None) -> Any:
        """The value of ``name``, or ``override`` (validated) when it is not None."""
        if override is None:
            return getattr(self, name)
        option = SETTINGS_TABLE.get(name)
        if option is None:
            raise SettingsError(_unknown(name))
        try:
            return option.check(override)
        except ValueError as exc:
            raise SettingsError(f"Bad value {override!r} for {name!r}: {exc}.") from None

    @contextlib.contextmanager
    def context(self, **overrides: Any) -> Iterator["Settings"]:
        """Set some options for the duration of a ``with`` block."""
        saved = dict(self._values)
        try:
            for key, value in overrides.items():
                setattr(self, key, value)
            yield self
        finally:
            self._values.clear()
            self._values.update(saved)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def __repr__(self) -> str:
        lines = [f"    {k}={v!r}," for k, v in self._values.items()]
        return "Settings(\n" + "\n".join(lines) + "\n)"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(SETTINGS_TABLE))


def _unknown(name: str) -> str:
    return f"Unknown setting {name!r}; known settings are {', '.join(SETTINGS_TABLE)}."


settings = Settings()
