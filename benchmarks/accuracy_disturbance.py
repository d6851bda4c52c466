"""Disturbance accuracy: ``og.disturbance.detect`` on labelled random scenes
(``og.scenarios``: wet and dry years, a regional drought, fallow fields, crop rotation
then digging, clouds the SCL band misses, crops with three scenes a year, excavations of
0.5–50 ha at 0–1.8 km from the licence), ``--seeds`` scenarios a family. Precision and recall of
flagged area (hectares flagged that are truly dug over hectares flagged; over hectares dug),
per family and over all; the families where nothing should be found must have no suspect at
all. Targets: precision ≥ 0.9 and recall ≥ 0.9 over all, no suspect in the drought, fallow,
missed-cloud and crops families. Writes ``benchmarks/accuracy/disturbance.md`` and puts its
table into the README (a test checks they agree).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

OUT = Path(__file__).resolve().parent / "accuracy" / "disturbance.md"
README = Path(__file__).resolve().parent.parent / "README.md"


def write_readme(results: Path = OUT, readme: Path = README) -> None:
    """Put the results table into the README between its accuracy markers."""
    table = [line for line in results.read_text(encoding="utf-8").splitlines()
             if line.startswith("|")]
    text = readme.read_text(encoding="utf-8")
    start = text.index("\n", text.index("<!-- accuracy:begin")) + 1
    end = text.index("<!-- accuracy:end -->")
    readme.write_text(text[:start] + "\n".join(table) + "\n" + text[end:], encoding="utf-8")


def run(seeds: int) -> list[dict]:
    from ordos_geo.imagery import disturbance, scenarios

    rows = []
    for family in scenarios.FAMILIES:
        for seed in range(seeds):
            with tempfile.TemporaryDirectory() as tmp:
                case = scenarios.write_scenario(tmp, family=family, seed=seed)
                found = disturbance.detect(case.sites, case.scenes, show_progress=False)
                rows.append(scenarios.score(found.suspected, case))
    return rows


def table(rows: list[dict]) -> list[str]:
    """The markdown table: one line a family, then all families."""
    from ordos_geo.imagery import scenarios

    def line(name: str, part: list[dict]) -> str:
        flagged = sum(r["flagged_ha"] for r in part)
        true = sum(r["true_ha"] for r in part)
        both = sum(r["both_ha"] for r in part)
        precision = f"{both / flagged:.3f}" if flagged else "-"
        recall = f"{both / true:.3f}" if true else "-"
        expect = "found" if name in scenarios.FINDING_FAMILIES else \
            ("found and nothing" if name == "all" else "nothing")
        return (f"| {name} | {expect} | {len(part)} | {sum(r['suspects'] for r in part)} | "
                f"{flagged:.2f} | {true:.2f} | {both:.2f} | {precision} | {recall} |")

    out = ["| family | expected | scenarios | suspects | flagged ha | true ha | both ha | "
           "precision | recall |", "|---|---|---|---|---|---|---|---|---|"]
    for family in scenarios.FAMILIES:
        out.append(line(family, [r for r in rows if r["family"] == family]))
    out.append(line("all", rows))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=12)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    rows = run(args.seeds)
    seconds = time.perf_counter() - t0
    lines = ["# Disturbance accuracy on labelled random scenes", "",
             f"Machine: {platform.machine()}, Python {platform.python_version()}; "
             f"{len(rows)} scenarios ({args.seeds} a family) in {seconds:.0f} s.", "",
             *table(rows), "", " ".join(__doc__.split())]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_readme()
    print("\n".join(lines))
    flagged = sum(r["flagged_ha"] for r in rows)
    both = sum(r["both_ha"] for r in rows)
    true = sum(r["true_ha"] for r in rows)
    from ordos_geo.imagery import scenarios

    quiet = all(r["suspects"] == 0 for r in rows if r["family"] not in scenarios.FINDING_FAMILIES)
    ok = flagged and both / flagged >= 0.9 and both / true >= 0.9 and quiet
    print(f"wrote {OUT}; targets {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
