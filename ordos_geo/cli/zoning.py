"""``zones``: contiguous-remediation zones with unified standards, plans checked against them."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.messages import msg
from .common import AREA, COUNT, GAP, print_written, read_sites, write_report

__all__ = ["add", "COMMANDS"]


def add(sub, common, reading, h) -> None:
    z = sub.add_parser("zones", parents=[common, reading],
                       help=h("build contiguous-remediation zones with unified standards"))
    z.add_argument("--gap-m", type=GAP, default=500.0,
                   help=h("link sites within this distance, metres (default 500)"))
    z.add_argument("--max-zone-ha", type=AREA, help=h("size band: largest zone, hectares"))
    z.add_argument("--max-sites", type=COUNT, help=h("size band: most sites in a zone"))
    z.add_argument("--rules", type=Path, help=h("rule table YAML (default: the built-in table)"))
    z.add_argument("--islands", choices=["keep", "attach"], default="keep",
                   help=h("isolated sites: own zone (keep) or join the nearest zone (attach)"))
    z.add_argument("--attach-m", type=GAP, default=1000.0,
                   help=h("with --islands attach: farthest distance to join, metres (default 1000)"))
    z.add_argument("--cross-banner", action="store_true", help=h("allow zones across banners"))
    z.add_argument("--cannot-link", type=Path,
                   help=h("CSV of site pairs (site_a, site_b) that must not share a zone"))
    z.add_argument("--plans", type=Path, help=h("annual plans CSV to check against the zones"))
    z.add_argument("--out", type=Path, required=True, help=h("output folder"))


def _cannot_link(path: Path | None) -> list[tuple[str, str]]:
    from ..core.errors import ValidationError

    if path is None:
        return []
    from ..io.tables import read_raw

    links = read_raw(path, as_text=True)
    missing = {"site_a", "site_b"} - set(links.columns)
    if missing:
        raise ValidationError(f"{path}: columns {sorted(missing)} missing; "
                              "the file needs site_a and site_b.")
    return list(zip(links["site_a"], links["site_b"]))


def _zones(args: argparse.Namespace) -> int:
    from .. import io
    from ..publish import export
    from ..zoning import plans, rules, zones

    table = rules.load_rules(args.rules)  # a bad rule table fails before any work
    frame = read_sites(args)
    pairs = _cannot_link(args.cannot_link)
    plan_table = plans.read_plans(args.plans) if args.plans else None
    result = zones.build_zones(frame, gap_m=args.gap_m, max_zone_ha=args.max_zone_ha,
                               max_sites=args.max_sites, islands=args.islands,
                               attach_m=args.attach_m, cross_banner=args.cross_banner,
                               cannot_link=pairs)
    zoned = rules.apply_rules(result.zones, sites=result.sites, rules=table)
    with io.output_set(args.out) as out:
        written = export.write_zones(zoned, result.sites, out.dir, sources=[str(args.sites)],
                                     parameters={**result.parameters,
                                                 "rules": str(args.rules or "default")})
        if plan_table is not None:
            found = plans.check_plans(plan_table, zones=zoned, sites=result.sites)
            written.append(io.write_csv(found, out.dir / "plan_problems.csv"))
            print(msg("plans_checked", n=len(found)))
        written += write_report(args, out.dir / "validation_report.csv", out=out)
    print(msg("zones_summary", n_zones=len(zoned), n_sites=len(frame),
              n_multi=int((zoned["n_sites"] > 1).sum())))
    print_written(out.final(p) for p in written)
    return 0


#: Each command and the function that runs it.
COMMANDS = {"zones": _zones}
