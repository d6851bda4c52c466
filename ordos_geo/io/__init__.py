"""Input and output: every file read or written (encodings, vectors, tables, GeoJSON, GeoPackage,
Shapefile, CSV, XLSX), atomic output sets, the user-table reader, corner-point tables and the
embedded data.

``og.io`` is :mod:`ordos_geo.io.files` (``og.io.read_vector``, ``og.io.write_gpkg``, …);
:mod:`~ordos_geo.io.atomic` (output sets), :mod:`~ordos_geo.io.tables` (user tables with aliases
and units), :mod:`~ordos_geo.io.corners` (``og.corners``) and :mod:`~ordos_geo.io.datasets`
(``og.datasets``) are its other modules.
"""

from ..core.utils import renamed
from . import corners
from .files import (
    MANIFEST,
    VECTOR_SUFFIXES,
    VectorSource,
    atomic_path,
    check_output_file,
    dates_as_text,
    decode_text,
    detect_encoding,
    file_set,
    flatten_lists,
    is_gbk,
    neutralise_formula,
    neutralise_formulas,
    output_set,
    polygons_only,
    publish_files,
    python_codec,
    read_metadata,
    read_table,
    read_vector,
    restore_formula,
    write_csv,
    write_geojson,
    write_gpkg,
    write_shapefile,
    write_xlsx,
)

__all__ = ["VectorSource", "read_vector", "detect_encoding", "read_table", "decode_text",
           "atomic_path", "MANIFEST", "output_set", "file_set", "check_output_file",
           "publish_files", "neutralise_formula", "restore_formula", "neutralise_formulas",
           "polygons_only", "write_geojson", "write_gpkg", "write_csv", "write_xlsx",
           "write_shapefile", "read_metadata", "flatten_lists", "dates_as_text", "python_codec",
           "is_gbk", "VECTOR_SUFFIXES"]



# 0.2 name: corner-point tables are domain data
__getattr__ = renamed(__name__, {"read_corner_points": ("og.corners.read_corner_points",
                                                        corners.read_corner_points)},
                      homes=("ordos_geo.io.files", "ordos_geo.io.atomic", "ordos_geo.io.tables"))
