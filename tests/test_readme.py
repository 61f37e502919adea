"""The README's benchmark table is generated from bench/results and must be current."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_benchmark_table_is_current():
    check = subprocess.run([sys.executable, str(REPO / "bench" / "table.py"), "--check"], cwd=REPO)
    assert check.returncode == 0, "README.md's table is stale: run python bench/table.py"
