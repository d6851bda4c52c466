"""A land-cover classifier for mining landscapes: a random forest (scikit-learn) over per-pixel
features of a season's scenes, trained from labelled polygons or points, checked by spatially
blocked cross-validation, saved so that loading it cannot run code (skops, not pickle).

    model = og.classify.train(scenes, labels, class_field="class")   # labels: GeoDataFrame
    model.cv                     # per-fold and pooled accuracy, blocks never on both sides
    og.classify.save(model, "landcover.skops")
    og.classify.predict(og.classify.load("landcover.skops"), scenes, "landcover.tif")

**Features** (:data:`FEATURES`): the five bands blue, green, red, NIR and SWIR1 (reflectance,
on the red band's grid) and four indices — NDVI, BSI, NDWI (green/NIR) and NDBI (SWIR1/NIR) — each
summarised over the clear looks of the scenes given as its median, 10th and 90th percentiles, so
that a crop (green in August, bare in May and October) parts from grass and from reclaimed
ground. A pixel never seen clear has no features and no class (0).

**Classes** are ``resources/landcover.yaml``'s; labels name them by code or by name in either
language. **Blocked cross-validation**: pixels are grouped in square blocks of ``block_m`` metres;
each fold tests whole blocks and trains on the others, without the training pixels that touch a
test block (so no two neighbouring pixels sit on both sides). Classes are balanced by drawing at
most ``max_per_class`` pixels of each and by weighting the forest's classes.

**A saved model** holds the forest and its metadata (classes, features, scenes, grid, training
date, the versions of ordos_geo and scikit-learn, the cross-validation). :func:`load` refuses a
file holding anything but a random forest's types, a model of another format or scikit-learn
version, and :func:`predict` refuses scenes on another grid (CRS or pixel size).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core.errors import InputFileError, ValidationError
from .accuracy import class_code, class_name, classes
from .grids import read_window
from .scenes import Scene, Thresholds, measures

__all__ = ["FEATURES", "MODEL_FORMAT", "Model", "features", "train", "save", "load",
           "predict", "labelled_pixels", "scene_grid", "blocked_folds", "threshold_map",
           "check_grid", "class_areas", "classes_of"]

_BANDS = ("blue", "green", "red", "nir", "swir1")
_STATS = (("median", 50), ("p10", 10), ("p90", 90))
#: the features of every pixel, in the order the forest sees them
FEATURES = [f"{v}_{s}" for v in (*_BANDS, "ndvi", "bsi", "ndwi", "ndbi") for s, _ in _STATS]
#: the saved model's layout; a file of another format is refused
MODEL_FORMAT = 1
_STRIP_ROWS = 256
_TRUSTED = ("sklearn.ensemble._forest.RandomForestClassifier",
            "sklearn.tree._classes.DecisionTreeClassifier", "sklearn.tree._tree.Tree")


@dataclass
class Model:
    """A trained forest and its metadata (``meta``: classes, features, scenes, grid, date,
    versions) and cross-validation (``cv``: one row per fold and a pooled row)."""
    forest: object
    meta: dict
    cv: pd.DataFrame = field(default_factory=pd.DataFrame)


def scene_grid(scenes: list[Scene]) -> dict:
    """The red band's grid of the scenes (CRS, transform, size, pixel size); scenes on two
    grids are refused — give one season of one tile."""
    import rasterio

    grids = {}
    for scene in scenes:
        path, _ = scene.bands["red"]
        with rasterio.open(path) as src:
            grids[scene.scene_id or str(scene.date)] = (src.crs, src.transform, src.width,
                                                        src.height)
    first = next(iter(grids.values()))
    other = [k for k, g in grids.items() if g != first]
    if other:
        raise ValidationError(f"scenes {other[:3]} lie on another grid than "
                              f"{next(iter(grids))}; give scenes of one tile (one grid).")
    crs, transform, width, height = first
    return {"crs": crs.to_wkt(), "transform": list(transform)[:6], "width": width,
            "height": height, "pixel_m": abs(transform.a)}


def _missing_bands(scenes: list[Scene]) -> None:
    for scene in scenes:
        lacking = [b for b in _BANDS if b not in scene.bands]
        if lacking:
            raise ValidationError(f"scene {scene.scene_id or scene.date}: no band {lacking}; the "
                                  f"classifier needs {', '.join(_BANDS)}.")


def features(scenes: list[Scene], window) -> np.ndarray:
    """The :data:`FEATURES` of every pixel of ``window`` (rows × cols × features, float32;
    NaN where the pixel was never seen clear)."""
    stacks = {k: [] for k in (*_BANDS, "ndvi", "bsi", "ndwi", "ndbi")}
    for scene in scenes:
        refl, valid = read_window(scene, window)
        ok = measures(refl, valid, Thresholds())["valid"]
        with np.errstate(divide="ignore", invalid="ignore"):
            derived = {"ndvi": (refl["nir"] - refl["red"]) / (refl["nir"] + refl["red"]),
                       "bsi": (refl["swir1"] + refl["red"] - refl["nir"] - refl["blue"]) /
                              (refl["swir1"] + refl["red"] + refl["nir"] + refl["blue"]),
                       "ndwi": (refl["green"] - refl["nir"]) / (refl["green"] + refl["nir"]),
                       "ndbi": (refl["swir1"] - refl["nir"]) / (refl["swir1"] + refl["nir"])}
        for name in stacks:
            values = refl[name] if name in _BANDS else derived[name]
            stacks[name].append(np.where(ok & np.isfinite(values), values, np.nan))
    first = stacks["blue"][0]
    out = np.empty((*first.shape, len(FEATURES)), np.float32)  # filled in place: no 2nd copy
    k = 0
    for name in list(stacks):
        cube = np.stack(stacks.pop(name)).astype(np.float32)
        for values in _quantiles(cube, [q for _, q in _STATS]):
            out[..., k] = values
            k += 1
    return out


def _quantiles(cube: np.ndarray, qs) -> list[np.ndarray]:
    """``np.nanpercentile(cube, q, axis=0)`` (linear interpolation) for each ``q``, by one sort
    (NaN sorts last) — NumPy's own NaN percentile goes pixel by pixel."""
    ordered = np.sort(cube, axis=0)
    count = np.isfinite(cube).sum(axis=0)
    out = []
    for q in qs:
        pos = (count - 1) * (q / 100.0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
        lo = np.clip(lo, 0, None)
        a = np.take_along_axis(ordered, lo[None], axis=0)[0]
        b = np.take_along_axis(ordered, hi[None], axis=0)[0]
        value = a + (b - a) * (pos - np.floor(pos))
        out.append(np.where(count > 0, value, np.nan).astype(np.float32))
    return out


def labelled_pixels(labels: gpd.GeoDataFrame, grid: dict, *, class_field: str) -> tuple[np.ndarray, pd.DataFrame]:
    """The labels burnt on the grid: a raster of class codes (0 unlabelled) and a report of
    every label feature (``feature, class, pixels, status``). A feature naming no class is an
    error (feature and value named); one off the grid, or too small to hold a pixel centre, is
    reported, not used. Two features of different classes on one pixel are an error."""
    from rasterio.features import rasterize
    from rasterio.transform import Affine

    if labels.crs is None:
        raise ValidationError(f"labels: {len(labels)} features without a CRS; set one first "
                              "(e.g. EPSG:4326 or the scenes' UTM zone). ordos_geo never guesses a "
                              "CRS.")
    if class_field not in labels.columns:
        raise ValidationError(f"labels: no field {class_field!r}; fields: "
                              f"{[c for c in labels.columns if c != 'geometry']}.")
    codes = []
    for k, value in enumerate(labels[class_field]):
        try:
            code = class_code(value)
        except ValueError:
            code = None
        if code is None or code not in classes():
            raise ValidationError(f"labels, feature {k}: {class_field} = {value!r} names no "
                                  f"class; give a code 1–{max(classes())} or a name.")
        codes.append(code)
    from rasterio.crs import CRS

    frame = labels.to_crs(CRS.from_wkt(grid["crs"]))
    shape, transform = (grid["height"], grid["width"]), Affine(*grid["transform"])
    owner = np.zeros(shape, np.int32)
    report = []
    for k, (geom, code) in enumerate(zip(frame.geometry, codes)):
        if geom is None or geom.is_empty:
            report.append({"feature": k, "class": code, "pixels": 0,
                           "status": "no geometry: not used"})
            continue
        burnt = rasterize([(geom, 1)], out_shape=shape, transform=transform, fill=0,
                          dtype="uint8", all_touched=geom.geom_type.endswith("Point")) > 0
        clash = burnt & (owner > 0) & (np.r_[0, codes][owner] != code)
        if clash.any():
            first = int(owner[clash][0]) - 1
            raise ValidationError(f"labels, features {first} and {k}: classes {codes[first]} and "
                                  f"{code} on the same pixels; a pixel has one class.")
        owner[burnt] = k + 1
        report.append({"feature": k, "class": code, "pixels": int(burnt.sum()),
                       "status": "used" if burnt.any() else "off the scenes or smaller than a "
                       "pixel: not used"})
    raster = np.r_[0, codes].astype(np.uint8)[owner]
    return raster, pd.DataFrame(report)


def _blocks(rows: np.ndarray, cols: np.ndarray, size: int) -> np.ndarray:
    return (rows // size) * 1_000_003 + cols // size


def blocked_folds(rows: np.ndarray, cols: np.ndarray, *, size: int, folds: int):
    """``(train, test)`` index arrays of pixels at ``rows, cols``: each fold tests whole square
    blocks of ``size`` pixels (scikit-learn's ``GroupKFold``) and trains on the pixels of the
    other blocks that touch no test block (8 neighbours), so no two neighbouring pixels sit on
    both sides. Nothing when there are fewer than two blocks."""
    from sklearn.model_selection import GroupKFold

    block = _blocks(rows, cols, size)
    k = min(folds, len(np.unique(block)))
    if k < 2:
        return
    for train, test in GroupKFold(n_splits=k).split(rows, rows, block):
        tested = np.unique(block[test])
        near = np.zeros(len(train), bool)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                near |= np.isin(_blocks(rows[train] + dr, cols[train] + dc, size), tested)
        yield train[~near], test


def _blocked_cv(X, y, rows, cols, *, size: int, folds: int, trees: int, seed: int
                ) -> pd.DataFrame:
    """Accuracy by folds of whole blocks (:func:`blocked_folds`)."""
    from sklearn.ensemble import RandomForestClassifier

    splits = list(blocked_folds(rows, cols, size=size, folds=folds))
    if not splits:
        return pd.DataFrame([{"fold": "all", "n_test": 0, "overall_accuracy": np.nan,
                              "note": "one block only: no cross-validation"}])
    out, pooled_true, pooled_pred = [], [], []
    for fold, (train, test) in enumerate(splits):
        forest = RandomForestClassifier(n_estimators=trees, class_weight="balanced",
                                        random_state=seed, n_jobs=1).fit(X[train], y[train])
        pred = forest.predict(X[test])
        pooled_true.append(y[test])
        pooled_pred.append(pred)
        out.append({"fold": fold + 1, "n_train": len(train), "n_test": len(test),
                    "overall_accuracy": float((pred == y[test]).mean()), "note": ""})
    t, p = np.concatenate(pooled_true), np.concatenate(pooled_pred)
    out.append({"fold": "pooled", "n_train": np.nan, "n_test": len(t),
                "overall_accuracy": float((p == t).mean()), "note": ""})
    for code in np.unique(t):
        recall = float((p[t == code] == code).mean())
        precision = float((t[p == code] == code).mean()) if (p == code).any() else np.nan
        out.append({"fold": f"class {code}", "n_test": int((t == code).sum()),
                    "overall_accuracy": np.nan, "recall": recall, "precision": precision,
                    "note": class_name(int(code))})
    return pd.DataFrame(out)


def train(scenes: list[Scene], labels: gpd.GeoDataFrame, *, class_field: str = "class", trees: int = 50,
          block_m: float = 1000.0, folds: int = 5, max_per_class: int = 20_000,
          seed: int = 2026) -> Model:
    """A random forest of ``trees`` trees from ``labels`` (a GeoDataFrame of polygons or points
    with ``class_field``) over ``scenes`` (one grid), with its blocked cross-validation
    (``block_m`` blocks, ``folds`` folds) and metadata."""
    from sklearn.ensemble import RandomForestClassifier

    if not scenes:
        raise ValidationError("train: no scenes.")
    _missing_bands(scenes)
    grid = scene_grid(scenes)
    raster, report = labelled_pixels(labels, grid, class_field=class_field)
    X, y, rows, cols = _training_pixels(scenes, raster, max_per_class=max_per_class, seed=seed)
    unseen = sorted(set(np.unique(raster[raster > 0]).tolist()) - set(np.unique(y).tolist()))
    if unseen:  # a class the forest would never learn: said, not dropped
        names = ", ".join(f"{c} {class_name(c)}" for c in unseen)
        raise ValidationError(f"labels: class {names} — none of its labelled pixels is seen "
                              "clear on any scene (clouds, shadow, nodata); label it where the "
                              "scenes are clear, or choose other scenes.")
    if len(np.unique(y)) < 2:
        raise ValidationError(f"labels: {len(np.unique(y))} class with clear pixels; a "
                              "classifier needs two or more.")
    size = max(1, round(block_m / grid["pixel_m"]))
    cv = _blocked_cv(X, y, rows, cols, size=size, folds=folds, trees=trees, seed=seed)
    forest = RandomForestClassifier(n_estimators=trees, class_weight="balanced",
                                    random_state=seed, n_jobs=1).fit(X, y)
    meta = _metadata(scenes, grid, forest, report, cv, trees=trees, block_m=block_m)
    return Model(forest, meta, cv)


def _training_pixels(scenes, raster: np.ndarray, *, max_per_class: int, seed: int):
    """Features of the labelled pixels seen clear, at most ``max_per_class`` per class."""
    from rasterio.windows import Window

    rng = np.random.default_rng(seed)
    keep = np.zeros(raster.shape, bool)
    for code in np.unique(raster[raster > 0]):
        where = np.flatnonzero(raster.ravel() == code)
        if len(where) > max_per_class:
            where = rng.choice(where, max_per_class, replace=False)
        keep.ravel()[where] = True
    X, y, rows, cols = [], [], [], []
    for r0 in range(0, raster.shape[0], _STRIP_ROWS):
        part = keep[r0:r0 + _STRIP_ROWS]
        if not part.any():
            continue
        window = Window(0, r0, raster.shape[1], part.shape[0])
        feats = features(scenes, window)
        r, c = np.nonzero(part)
        values = feats[r, c]
        clear = np.isfinite(values).all(axis=1)
        X.append(values[clear])
        y.append(raster[r0 + r[clear], c[clear]])
        rows.append(r0 + r[clear])
        cols.append(c[clear])
    if not X:
        raise ValidationError("labels: no labelled pixel lies on the scenes.")
    return (np.concatenate(X), np.concatenate(y).astype(np.int64), np.concatenate(rows),
            np.concatenate(cols))


def _metadata(scenes, grid, forest, report, cv, *, trees: int, block_m: float) -> dict:
    import sklearn

    from .._version import __version__

    return {"format": MODEL_FORMAT, "ordos_geo": __version__, "scikit_learn": sklearn.__version__,
            "trained": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "classes": {str(int(c)): class_name(int(c), lang="en") for c in forest.classes_},
            "features": FEATURES, "trees": trees, "block_m": block_m,
            "scenes": [{"scene_id": s.scene_id, "date": s.date.isoformat(), "sensor": s.sensor}
                       for s in scenes],
            "grid": {"crs": grid["crs"], "pixel_m": grid["pixel_m"]},
            "labels": report.to_dict(orient="records"),
            "cv_overall_accuracy": float(cv.loc[cv["fold"] == "pooled", "overall_accuracy"]
                                         .iloc[0]) if (cv["fold"] == "pooled").any() else None}


def save(model: Model, path) -> Path:
    """Write ``model`` with skops (atomic): the forest and its metadata as JSON text."""
    import skops.io as sio

    from ..io import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        sio.dump({"forest": model.forest, "meta": json.dumps(model.meta, ensure_ascii=False),
                  "cv": model.cv.to_json(orient="records")}, tmp)
    return path


def load(path) -> Model:
    """A saved model, refused when the file holds a type other than a random forest's (it
    could run code), or was written in another model format or scikit-learn version."""
    import sklearn
    import skops.io as sio

    path = Path(path)
    _check_unpacked_size(path)
    try:
        unknown = sio.get_untrusted_types(file=path)
    except Exception as exc:  # not a skops file: zip, schema or JSON errors vary
        raise InputFileError(f"{path}: not a saved ordos_geo model (skops) — {exc}") from None
    foreign = [t for t in unknown if t not in _TRUSTED and not t.startswith("numpy.")]
    if foreign:
        raise InputFileError(f"{path}: holds types a land-cover model does not have "
                             f"({', '.join(foreign[:5])}); refused unopened.")
    try:
        data = sio.load(path, trusted=list(unknown))
        meta = json.loads(data["meta"])
        forest = data["forest"]
        if not isinstance(meta, dict):
            raise TypeError(f"its metadata is a {type(meta).__name__}, not a table")
    except Exception as exc:  # noqa: BLE001 — whatever a damaged file raises, named
        raise InputFileError(f"{path}: a damaged model ({type(exc).__name__}: {exc}).") from None
    if meta.get("format") != MODEL_FORMAT:
        raise InputFileError(f"{path}: model format {meta.get('format')!r}, this ordos_geo "
                             f"reads format {MODEL_FORMAT}; retrain it with this version.")
    if meta.get("scikit_learn") != sklearn.__version__:
        raise InputFileError(f"{path}: trained with scikit-learn {meta.get('scikit_learn')}, "
                             f"this is {sklearn.__version__}; retrain it (a forest of another "
                             "version may predict differently).")
    _check_contents(path, forest, meta)
    try:
        cv = pd.read_json(StringIO(data["cv"]))
    except Exception as exc:  # noqa: BLE001 — whatever a damaged table raises, named
        raise InputFileError(f"{path}: a damaged model (its cross-validation: {exc}).") from None
    return Model(forest, meta, cv)


#: the most a saved model may unpack to: a 50-tree forest of this project is a few MB; a file
#: that unpacks to more is refused before it is opened (a zip bomb)
MAX_MODEL_BYTES = 256 * 2**20


def _check_unpacked_size(path: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            size = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(f"{path}: not a saved ordos_geo model (skops) — {exc}") from None
    if size > MAX_MODEL_BYTES:
        raise InputFileError(f"{path}: unpacks to {size / 2**20:.0f} MB, more than a land-cover "
                             f"model's {MAX_MODEL_BYTES / 2**20:.0f} MB; refused unopened.")


def _check_contents(path: Path, forest, meta) -> None:
    """A loaded model is a fitted random forest over :data:`FEATURES` of known classes, with
    the metadata :func:`predict` and :func:`check_grid` read; anything else is refused."""
    from sklearn.ensemble import RandomForestClassifier

    def refuse(why: str):
        raise InputFileError(f"{path}: not a land-cover model of ordos_geo — {why}.")

    if not isinstance(forest, RandomForestClassifier) or not hasattr(forest, "estimators_"):
        refuse(f"it holds a {type(forest).__name__}, not a fitted random forest")
    if getattr(forest, "n_features_in_", None) != len(FEATURES):
        refuse(f"its forest takes {getattr(forest, 'n_features_in_', None)} features, the "
               f"project's {len(FEATURES)}")
    codes = np.asarray(getattr(forest, "classes_", np.array([])))
    if (not np.issubdtype(codes.dtype, np.integer) or len(codes) < 2
            or len(set(codes.tolist())) != len(codes) or not set(codes.tolist()) <= set(classes())
            or getattr(forest, "n_classes_", None) != len(codes)):
        refuse(f"its classes {codes.tolist()[:10]} are not distinct codes of landcover.yaml")
    try:  # every tree answers for these classes: a forest stitched together does not
        votes = forest.predict_proba(np.zeros((1, len(FEATURES)), np.float32))
        ok = votes.shape == (1, len(codes)) and len(forest.estimators_) > 0
    except Exception:  # noqa: BLE001 — whatever a forged forest raises
        ok = False
    if not ok:
        refuse("its trees do not predict its classes")
    _check_grid_meta(path, meta)


def _check_grid_meta(path: Path, meta) -> None:
    from rasterio.crs import CRS

    grid = meta.get("grid") if isinstance(meta, dict) else None
    try:
        crs = CRS.from_wkt(grid["crs"])
        pixel = float(grid["pixel_m"])
        good = crs.is_projected and np.isfinite(pixel) and pixel > 0
    except Exception:  # noqa: BLE001 — a missing, mistyped or unreadable grid
        good = False
    if not good:
        raise InputFileError(f"{path}: not a land-cover model of ordos_geo — its metadata has "
                             "no grid (a projected CRS and a pixel size in metres).")


def check_grid(model: Model, grid: dict) -> None:
    """Scenes on another CRS or pixel size than the model's are refused."""
    from rasterio.crs import CRS

    want = model.meta["grid"]
    same_crs = CRS.from_wkt(want["crs"]) == CRS.from_wkt(grid["crs"])
    if not same_crs or not abs(float(want["pixel_m"]) - grid["pixel_m"]) <= 1e-6:  # NaN: no
        raise ValidationError(
            f"the model was trained on {float(want['pixel_m']):g} m pixels in "
            f"{CRS.from_wkt(want['crs']).to_string()}; these scenes are {grid['pixel_m']:g} m in "
            f"{CRS.from_wkt(grid['crs']).to_string()}. Retrain on this grid, or resample.")


def predict(model: Model, scenes: list[Scene], out: str | os.PathLike, *, show: bool | None = None) -> Path:
    """The class map of ``scenes`` (uint8 GeoTIFF, 0 no class), predicted in strips on Dask's
    threads, written atomically to ``out``."""
    import dask
    import rasterio
    from rasterio.transform import Affine
    from rasterio.windows import Window

    from ..core.utils import progress_bar
    from ..io import atomic_path

    _missing_bands(scenes)
    grid = scene_grid(scenes)
    check_grid(model, grid)
    h, w = grid["height"], grid["width"]
    windows = [Window(0, r0, w, min(_STRIP_ROWS, h - r0)) for r0 in range(0, h, _STRIP_ROWS)]
    tasks = [dask.delayed(_predict_strip)(model.forest, scenes, win) for win in windows]
    profile = dict(driver="GTiff", width=w, height=h, count=1, dtype="uint8", nodata=0,
                   crs=rasterio.crs.CRS.from_wkt(grid["crs"]), transform=Affine(
                       *grid["transform"]), tiled=True, blockxsize=256, blockysize=256,
                   compress="deflate")
    out = Path(out)
    with atomic_path(out) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        for start in progress_bar(range(0, len(tasks), 4), desc="strips", progress=show):
            done = dask.compute(*tasks[start:start + 4], scheduler="threads")
            for win, block in zip(windows[start:start + 4], done):
                dst.write(block, 1, window=win)
        _style(dst)
    return out


def _style(dst) -> None:
    """The classes' colours (``landcover.yaml``) as the GeoTIFF's colour table, so QGIS and
    ArcGIS draw the map as the project does; no class transparent."""
    table = {0: (0, 0, 0, 0)}
    for code, spec in classes().items():
        hex_ = spec["colour"].lstrip("#")
        table[int(code)] = (*(int(hex_[i:i + 2], 16) for i in (0, 2, 4)), 255)
    dst.write_colormap(1, table)


def _predict_strip(forest, scenes, window) -> np.ndarray:
    feats = features(scenes, window)
    flat = feats.reshape(-1, feats.shape[-1])
    out = np.zeros(len(flat), np.uint8)
    for start in range(0, len(flat), _CHUNK):  # chunk by chunk: the clear rows never copied whole
        part = flat[start:start + _CHUNK]
        clear = np.isfinite(part).all(axis=1)
        if clear.any():
            out[start:start + _CHUNK][clear] = classes_of(forest, part[clear])
    return out.reshape(feats.shape[:2])


#: pixels the forest is given at once: its per-tree votes stay in the cache (1.5× faster than a
#: whole strip at once, and a few MB instead of hundreds — benchmarks/results/classify.md)
_CHUNK = 65_536


def classes_of(forest, X: np.ndarray) -> np.ndarray:
    """The forest's class (uint8) of each row of ``X`` (features, all finite), in chunks of
    :data:`_CHUNK` rows — the same answer as ``forest.predict(X)``."""
    out = np.empty(len(X), np.uint8)
    for start in range(0, len(X), _CHUNK):
        out[start:start + _CHUNK] = forest.predict(X[start:start + _CHUNK])
    return out


def threshold_map(scenes: list[Scene], out: str | os.PathLike, *, thresholds: Thresholds = Thresholds()) -> Path:
    """The fixed-threshold answer on the same scenes, as a class map to compare with the
    classifier's: each pixel's most frequent judgement over its clear looks — vegetated (FVC)
    as grass, water (NDWI) as water, coal-dark as coal, the rest as excavation and bare ground
    (no dumps, crops, PV or built-up: thresholds cannot tell them)."""
    import rasterio
    from rasterio.transform import Affine
    from rasterio.windows import Window

    from ..io import atomic_path

    grid = scene_grid(scenes)
    h, w = grid["height"], grid["width"]
    profile = dict(driver="GTiff", width=w, height=h, count=1, dtype="uint8", nodata=0,
                   crs=rasterio.crs.CRS.from_wkt(grid["crs"]),
                   transform=Affine(*grid["transform"]), compress="deflate")
    out = Path(out)
    with atomic_path(out) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        for r0 in range(0, h, _STRIP_ROWS):
            win = Window(0, r0, w, min(_STRIP_ROWS, h - r0))
            votes = np.zeros((9, int(win.height), w), np.int16)
            for scene in scenes:
                m = measures(*read_window(scene, win), thresholds)
                for code, mask in ((4, m["vegetated"]), (6, m["water"]), (2, m["dark"]),
                                   (1, m["bare"] & ~m["dark"])):
                    votes[code] += mask
            best = votes.argmax(axis=0).astype(np.uint8)
            dst.write(np.where(votes.max(axis=0) > 0, best, 0).astype(np.uint8), 1, window=win)
        _style(dst)
    return out


def class_areas(path) -> pd.DataFrame:
    """Pixels and ground hectares of each class of a class map (``class, class_name, pixels,
    map_ha``)."""
    from .accuracy import map_areas, read_map

    table = map_areas(read_map(path))
    table.insert(1, "class_name", [class_name(int(c)) for c in table["class"]])
    return table
