"""Shared benchmark harness: each case runs in a fresh Python process so that its wall time and
peak memory (VmHWM, which includes GDAL's native allocations) are its own."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def run_case(setup: str, stmt: str, *, repeat: int = 3, timeout: int = 1800) -> dict:
    """Best-of-``repeat`` wall time of ``stmt`` (after ``setup``) and the process's peak RSS."""
    code = textwrap.dedent(f"""
        import json, time, warnings
        warnings.simplefilter("ignore")
        {textwrap.indent(textwrap.dedent(setup), '        ').strip()}
        best = float("inf")
        for _ in range({repeat}):
            t0 = time.perf_counter()
            {textwrap.indent(textwrap.dedent(stmt), '            ').strip()}
            best = min(best, time.perf_counter() - t0)
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
        hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
        print(json.dumps({{"seconds": best, "peak_mb": int(hwm.split()[1]) / 1024}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    import os

    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {platform.platform()}")


def write_markdown(name: str, title: str, rows: list[dict], notes: str = "") -> Path:
    RESULTS.mkdir(exist_ok=True)
    cols = list(rows[0])
    lines = [f"# {title}", "", f"Machine: {machine()}", "", "| " + " | ".join(cols) + " |",
             "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(f"{r[c]:.3g}" if isinstance(r[c], float) else str(r[c])
                                        for c in cols) + " |")
    if notes:
        lines += ["", notes]
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
