"""The data dictionary (数据字典): every field and accepted column name, zh/en, as Markdown.

Generated from the site schema and the alias table, so the document cannot drift from what the
readers accept (``ordos-geo schema --out docs/schema.md``; a test compares the two).
"""

from __future__ import annotations

from .problems import REPORT_COLUMNS
from .schema import aliases, schema

__all__ = ["markdown"]


def markdown() -> str:
    """The data dictionary (zh/en) as Markdown, generated from ``resources/schema.yaml`` (site
    fields) and ``resources/aliases.yaml`` (the column names every reader accepts)."""
    sch = schema()
    lines = [
        "# 数据字典 / Data dictionary", "",
        "生成自 / generated from `ordos_geo/resources/schema.yaml` and `aliases.yaml` "
        "(`ordos-geo schema --out docs/schema.md`). 字段名保持稳定 / canonical names are stable.",
        "", "| 字段 field | 类型 type | 必填 required | 说明 | meaning | 可用别名 accepted names | 取值 values |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in sch.fields.values():
        aliases = ", ".join(f.aliases + [f"{k} (×{v:g})" for k, v in f.scaled_aliases.items()])
        values = "; ".join(f"`{k}` ← {', '.join(v)}" for k, v in f.values.items())
        if f.type == "banner":
            values = "; ".join(f"`{k}` ← {', '.join(b['aliases'])}" for k, b in sch.banners.items())
        req = "yes" if f.required else ""
        lines.append(f"| `{f.name}` | {f.type} | {req} | {f.zh} | {f.en} | {aliases} | {values} |")
    lines += [
        "| `area_ha` | float | (computed) | 面积（公顷），等积投影计算 | area in hectares, "
        "computed in the equal-area CRS | | |", "",
        "其余字段原样保留 / Other fields are kept as they are. 输入中的 `area_ha` 改名为 "
        "`area_ha_declared` / an input `area_ha` is renamed `area_ha_declared`.", "",
        "Shapefile 字段名限 10 字节：别名按 GBK/UTF-8 截断后同样可识别 / Shapefile names truncated "
        "to 10 bytes (GBK or UTF-8) are recognised too.", "",
        "## 校验报告 / Validation report", "",
        "Columns: " + ", ".join(f"`{c}`" for c in REPORT_COLUMNS) + ". `severity`: error (refused), "
        "repaired, warning, info. `action`: refused, repaired, filled, converted, kept.", "",
    ]
    return "\n".join(lines + _alias_sections())


#: The other tables ordos_geo reads, by section of the alias table.
_TABLES = {"plans": "年度治理计划 / Annual plans (`ordos-geo zones --plans`)",
           "plan_parameters": "计划中的治理参数 / Standard parameters in a plans table",
           "corner_points": "拐点坐标表 / Corner-point tables",
           "register": "绿色矿山名录表 / Green-mine register tables (`ordos-geo register import`)",
           "declarations": "复垦申报表 / Declared reclamation (`ordos-geo declarations`)",
           "score_sheet": "绿色矿山评分表 / Score sheets (`ordos-geo score`)",
           "fund": "治理恢复基金计提表 / Restoration-fund table (`ordos-geo fund`)",
           "production": "月产量表 / Monthly production (`ordos-geo capacity`)",
           "required_mines": "应建成绿色矿山名单 / Mines required to be green "
                             "(`ordos-geo rectification --required-mines`)"}


def _alias_sections() -> list[str]:
    """One table per other input: canonical column and the names accepted for it."""
    table, scaled = aliases(), aliases().get("scaled", {})
    units = aliases().get("units", {})
    lines: list[str] = []
    for section, title in _TABLES.items():
        if section not in table:
            continue
        lines += [f"## {title}", "", "| 字段 field | 可用别名 accepted names |", "|---|---|"]
        for name, names in table[section].items():
            extra = [f"{k} (×{v:g})" for k, v in (scaled.get(section, {}).get(name) or {}).items()]
            extra += [f"…({k}) (×{v:g})" for k, v in (units.get(section, {}).get(name) or {}).items()]
            lines.append(f"| `{name}` | {', '.join([*map(str, names), *extra])} |")
        lines.append("")
    return lines

