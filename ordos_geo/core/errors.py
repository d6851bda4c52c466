"""Exception types of ordos_geo. They subclass built-ins so callers may catch either."""

from __future__ import annotations

from typing import Any

__all__ = ["OrdosGeoError", "ValidationError", "InputFileError", "CRSError", "SettingsError",
           "MissingDependencyError", "UsageError"]


class OrdosGeoError(Exception):
    """Base class of every error raised on purpose by ordos_geo."""


class ValidationError(OrdosGeoError, ValueError):
    """Input data that cannot be used as it is.

    ``report`` holds every problem found (a :class:`pandas.DataFrame` with the columns of
    :data:`ordos_geo.core.problems.REPORT_COLUMNS`), so a caller sees all of them at once.
    """

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class InputFileError(OrdosGeoError, OSError):
    """A file that is missing, unreadable, truncated or of an unknown format."""


class CRSError(OrdosGeoError, ValueError):
    """A missing, unknown or unsuitable coordinate reference system."""


class SettingsError(OrdosGeoError, ValueError):
    """An unknown setting name or a bad setting value."""


class MissingDependencyError(OrdosGeoError, ImportError):
    """An optional dependency that a capability needs is not installed."""


class UsageError(OrdosGeoError, ValueError):
    """A mistake in how a command or function was called (an option, an output path): the CLI
    exits 2 with the message."""
