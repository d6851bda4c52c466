"""Regenerate data/synthetic_sites.geojson from ordos_geo.demo.synthetic (seed 2026, deterministic).

    python scripts/make_synthetic_data.py [--out PATH] [--seed N]
"""

import argparse
from pathlib import Path

import pandas as pd

import ordos_geo as og
from ordos_geo import datasets, projection
from ordos_geo.demo.synthetic import SEED, synthetic_plans, synthetic_sites


def main() -> None:
    ap = argparse.ArgumentParser(description="Regenerate the synthetic planning data set.")
    ap.add_argument("--out", type=Path, default=datasets.data_dir() / "synthetic_sites.geojson")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    frame = synthetic_sites(seed=args.seed)
    frame.to_file(args.out, driver="GeoJSON", RFC7946="YES", COORDINATE_PRECISION=6)
    area = projection.area_ha(frame) / 100
    mines = frame["kind"] == "mine"
    print(f"wrote {len(frame)} sites to {args.out}")
    # plans name the standard their mine's zone gets under the default zoning (gap 500 m)
    sites, _ = og.sites.sites_from_frame(frame)
    result = og.zones.build_zones(sites)
    zoned = og.rules.apply_rules(result.zones, sites=result.sites)
    params = ["standard", *og.rules.load_rules().parameters]
    by_zone = zoned.set_index("zone_id")[params].to_dict("index")
    standards = {s: by_zone[z] for s, z in zip(result.sites["site_id"], result.sites["zone_id"])}
    plans = synthetic_plans(frame, seed=args.seed, standards=standards)
    plans_path = args.out.with_name("synthetic_plans.csv")
    plans.to_csv(plans_path, index=False, encoding="utf-8")
    print(f"wrote {len(plans)} annual plans to {plans_path}")
    print(pd.DataFrame({"kind": frame["kind"], "status": frame["status"]}).value_counts().to_string())
    print(f"mine area km²: median {area[mines].median():.1f}, max {area[mines].max():.1f}; "
          f"Jungar open pits median {area[mines & (frame.banner == '准格尔旗') & (frame.method == 'open_pit')].median():.1f}")


if __name__ == "__main__":
    main()
