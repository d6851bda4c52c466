"""Mining-right corner-point tables (拐点坐标): one polygon per mine from its numbered corners.

A bureau's table lists each right's corners: mine id (矿山编号), point number (点号), ``X`` =
northing and ``Y`` = easting (the surveying convention), optionally a part (区块) for a right of
several blocks. The accepted column names are the ``corner_points`` section of the alias table
(``resources/aliases.yaml``).
"""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core.messages import msg
from ..core.schema import aliases, match_columns
from .files import read_table

__all__ = ["read_corner_points"]


def read_corner_points(path: str | os.PathLike, *, crs: object = None, encoding: str | None = None,
                       problems=None) -> tuple[gpd.GeoDataFrame, str]:
    """Turn a mining-right corner-point table (拐点坐标) into one polygon per mine.

    Columns (Chinese or English names): mine id (矿山编号), point number (点号), ``X`` = northing,
    ``Y`` = easting (surveying convention), optional ``part`` (区块) for multi-part rights; other
    columns are attributes (first row per mine). Rings follow the point numbers. The CRS is
    CGCS2000 Gauss-Krüger, its zone read from the zone number in front of the easting
    (37xxxxxx.xx → EPSG:4525); plain eastings need ``crs``. Returns ``(frame, encoding)``, the
    frame indexed by mine in order of first appearance; problems go to ``problems``.
    """
    from ..core.problems import Problems
    from ..core.projection import gk_crs_from_easting

    problems = problems if problems is not None else Problems(str(path))
    table, encoding = read_table(path, encoding=encoding)
    found = {f: c for c, (f, _) in match_columns(table.columns, "corner_points").items()}
    cols = {key: found.get(key) for key in aliases()["corner_points"]}
    missing = [key for key in ("site_id", "point", "x", "y") if cols[key] is None]
    if missing:
        for key in missing:
            problems.add("field_missing", severity="error", action="refused", field=key,
                         aliases=", ".join(aliases()["corner_points"][key][:5]),
                         fix=msg("field_missing_fix", lang=problems.lang))
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=None)), encoding
    x = pd.to_numeric(table[cols["x"]].str.replace(",", ""), errors="coerce")
    y = pd.to_numeric(table[cols["y"]].str.replace(",", ""), errors="coerce")
    pt = pd.to_numeric(table[cols["point"]], errors="coerce")
    part = table[cols["part"]] if cols["part"] else pd.Series("1", index=table.index)
    ids = table[cols["site_id"]].str.strip()
    order = list(dict.fromkeys(ids))
    attr_cols = [c for c in table.columns if c not in {cols[k] for k in ("point", "x", "y", "part")}]
    rows, geoms = [], []
    for index, mine in enumerate(order):
        sel = ids == mine
        bad = sel & (x.isna() | y.isna() | pt.isna())
        for r in np.flatnonzero(bad.to_numpy()):
            problems.add("value_bad_type", severity="error", action="refused", field="x/y/point",
                         index=index, feature_id=mine, expected="expected_number",
                         value=f"row {r + 2}: {table.iloc[r][cols['x']]!r}, "
                               f"{table.iloc[r][cols['y']]!r}")
        rows.append(_corner_attributes(table.loc[sel, attr_cols], index, mine, problems))
        geoms.append(None if bad.any() else
                     _corner_polygon(pt[sel], x[sel], y[sel], part[sel], index, mine, problems))
    if crs is None:
        zones = {gk_crs_from_easting(v) for v in y.dropna()}
        if len(zones) == 1 and None not in zones:
            crs = zones.pop()
        elif len(zones) > 1 and None not in zones:
            problems.add("crs_unknown", severity="error", action="refused", field="crs",
                         crs=", ".join(sorted(z.to_string() for z in zones)),
                         reason="the eastings carry different zone numbers")
    frame = gpd.GeoDataFrame(pd.DataFrame(rows).reset_index(drop=True), geometry=geoms, crs=crs)
    return frame, encoding


def _corner_attributes(rows: pd.DataFrame, index: int, mine: str, problems) -> pd.Series:
    """The first row's attributes; a field whose rows disagree is reported (first value kept)."""
    for column in rows.columns:
        values = [v for v in dict.fromkeys(rows[column].str.strip()) if v]
        if len(values) > 1:
            problems.add("corner_attr_conflict", severity="warning", action="kept", field=column,
                         index=index, feature_id=mine, values=", ".join(map(repr, values[:5])),
                         kept=values[0])
    return rows.iloc[0]


def _corner_polygon(pt: pd.Series, x: pd.Series, y: pd.Series, part: pd.Series, index: int,
                    mine: str, problems):
    """One mine's rings in point order; short parts and clashing point numbers are refused,
    repeated identical points dropped (reported)."""
    rings, refused = [], False
    for label, idx in part.groupby(part, sort=True).groups.items():
        pts = pd.DataFrame({"pt": pt[idx], "e": y[idx], "n": x[idx]}).sort_values("pt", kind="stable")
        same = pts.duplicated(["pt", "e", "n"])
        if same.any():
            problems.add("corner_point_repeated", severity="repaired", action="repaired",
                         field="point", index=index, feature_id=mine, part=label,
                         points=", ".join(f"{v:g}" for v in pts.loc[same, "pt"]))
            pts = pts[~same]
        clash = pts["pt"].duplicated(keep=False)
        if clash.any():
            problems.add("corner_point_clash", severity="error", action="refused", field="point",
                         index=index, feature_id=mine, part=label,
                         points=", ".join(f"{v:g}" for v in dict.fromkeys(pts.loc[clash, "pt"])))
            refused = True
            continue
        coords = list(zip(pts["e"], pts["n"]))  # (easting, northing)
        if len(coords) > 1 and coords[0] == coords[-1]:
            coords = coords[:-1]
        if len(set(coords)) < 3:
            problems.add("corner_part_short", severity="error", action="refused", field="point",
                         index=index, feature_id=mine, part=label, n=len(set(coords)))
            refused = True
            continue
        rings.append(shapely.Polygon(coords))
    if refused or not rings:
        return None if refused else shapely.Polygon()
    return shapely.MultiPolygon(rings) if len(rings) > 1 else rings[0]
