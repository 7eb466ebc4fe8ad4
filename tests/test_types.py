"""mypy over the application, as a ratchet: no finding beyond the recorded baseline (tests/mypy-baseline.txt). Findings
fixed since are reported as a warning: record the smaller baseline with `make mypy-baseline`. (A warning rather than a
failure: a library's new stubs may settle a finding on another machine.)"""
from __future__ import annotations

import re
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "tests" / "mypy-baseline.txt"
_FINDING = re.compile(r"^(?P<path>[^:\n]+):\d+: error: (?P<message>.*)$")


def mypy_findings() -> Counter[str]:
    """Each finding as «path: message [code]» (no line number, so edits elsewhere in a file do not count)."""
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1) or "error: " not in result.stdout and result.returncode == 1:
        raise AssertionError(f"mypy did not run: {result.stdout}{result.stderr}")
    found: Counter[str] = Counter()
    for line in result.stdout.splitlines():
        if match := _FINDING.match(line):
            found[f"{match['path']}: {match['message']}"] += 1
    return found


def baseline() -> Counter[str]:
    lines = BASELINE.read_text(encoding="utf-8").splitlines() if BASELINE.exists() else []
    return Counter(line for line in lines if line.strip())


def test_mypy_finds_nothing_beyond_the_baseline():
    found, allowed = mypy_findings(), baseline()
    new = sorted((found - allowed).elements())
    fixed = sorted((allowed - found).elements())
    assert new == [], "new mypy findings (fix them):\n" + "\n".join(new)
    if fixed:
        warnings.warn("fixed mypy findings still in tests/mypy-baseline.txt (run `make mypy-baseline`):\n"
                      + "\n".join(fixed), stacklevel=1)


if __name__ == "__main__":  # make mypy-baseline
    BASELINE.write_text("".join(f"{line}\n" for line in sorted(mypy_findings().elements())), encoding="utf-8")
