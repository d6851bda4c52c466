"""Problem records collected during validation; the report every reader returns."""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd

from .messages import msg

__all__ = ["Problem", "Problems", "REPORT_COLUMNS", "SEVERITIES", "ACTIONS"]

REPORT_COLUMNS = ["file", "feature_index", "feature_id", "field", "severity", "code", "problem",
                  "action"]
#: error: the file or the feature is refused; repaired: changed and kept; warning: kept as is;
#: info: a fact about the reading (encoding, unit conversion).
SEVERITIES = ("error", "repaired", "warning", "info")
#: refused: not in the output; repaired/filled/converted: changed and kept; kept: unchanged.
ACTIONS = ("refused", "repaired", "filled", "converted", "kept")


class Problem(NamedTuple):
    file: str
    feature_index: int | None  # 0-based position in the file; None for the whole file
    feature_id: str  # the site id when readable, else "#<1-based position>", "*" for the file
    field: str  # canonical field, "geometry", "crs", "encoding", or "" for the file
    severity: str
    code: str
    problem: str
    action: str


class Problems:
    """An ordered collection of :class:`Problem` with helpers to add them by message code."""

    def __init__(self, file: str, lang: str | None = None) -> None:
        self.file = file
        self.lang = lang
        self.items: list[Problem] = []
        #: figures about the whole read (``max_outside_m``), carried into the report's attrs
        self.facts: dict[str, Any] = {}

    def add(self, code: str, *, severity: str, action: str, field: str = "",
            index: int | None = None, feature_id: str | None = None, **values: Any) -> None:
        if feature_id is None:
            feature_id = "*" if index is None else f"#{index + 1}"
        if str(values.get("expected", "")).startswith("expected_"):
            values["expected"] = msg(values["expected"], lang=self.lang)
        text = msg(code, lang=self.lang, field=field, **values)
        self.items.append(Problem(self.file, index, feature_id, field, severity, code, text, action))

    def extend(self, other: "Problems") -> None:
        self.items.extend(other.items)

    def refused_indices(self) -> set[int]:
        return {p.feature_index for p in self.items
                if p.severity == "error" and p.feature_index is not None}

    def has_file_error(self) -> bool:
        return any(p.severity == "error" and p.feature_index is None for p in self.items)

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame.from_records(self.items, columns=REPORT_COLUMNS)
        frame["feature_index"] = frame["feature_index"].astype("Int64")
        # the whole file's problems first, then feature by feature in file order
        order = frame["feature_index"].fillna(-1).astype(int)
        return frame.iloc[order.argsort(kind="stable")].reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.items)
