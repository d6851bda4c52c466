"""Run every benchmark (``make bench``). Each writes benchmarks/results/<name>.md; then the
README's performance section is regenerated from those files (``benchmarks/readme.py --write``)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in sorted(HERE.glob("bench_*.py")):
    print(f"== {script.name}", flush=True)
    subprocess.run([sys.executable, str(script), *sys.argv[1:]], check=True, cwd=HERE)

print("== accuracy_disturbance.py", flush=True)
subprocess.run([sys.executable, str(HERE / "accuracy_disturbance.py")], check=True, cwd=HERE)
print("== readme.py --write", flush=True)
subprocess.run([sys.executable, str(HERE / "readme.py"), "--write"], check=True, cwd=HERE)
