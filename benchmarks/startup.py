"""Start-up time of the commands a user types first: ``convnets --help``, ``convnets list``,
a usage mistake, and ``convnets summary lenet5`` (which needs TensorFlow).

Each command runs ``--repeat`` times in a fresh process; the median wall time is
reported. With ``--against REF`` the same commands run from a git worktree of REF
(e.g. the commit before the lazy imports) side by side, and the ratios are printed:

    python benchmarks/startup.py --against f455b84 --json benchmarks/results/startup.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "--help": ["--help"],
    "list": ["list"],
    "usage mistake": ["train", "lenet5", "--epochs", "many"],
    "summary lenet5": ["summary", "lenet5"],
}


def time_command(src: Path, argv: list[str], repeat: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(src)}
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "convnets.cli", *argv], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(src: Path, repeat: int) -> dict[str, float]:
    return {name: time_command(src, argv, repeat) for name, argv in COMMANDS.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--against", metavar="REF", help="git commit to measure side by side")
    p.add_argument("--json", type=Path, help="write the numbers here")
    args = p.parse_args()
    now = measure(ROOT / "src", args.repeat)
    before = None
    if args.against:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "ref"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.against],
                           check=True, capture_output=True)
            try:
                before = measure(tree / "src", args.repeat)
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    print(f"{'command':<16} {'now (s)':>8}" + (f" {args.against + ' (s)':>14} {'speed-up':>9}" if before else ""))
    for name, t in now.items():
        line = f"{name:<16} {t:>8.2f}"
        if before:
            line += f" {before[name]:>14.2f} {before[name] / t:>8.1f}x"
        print(line)
    if args.json:
        args.json.write_text(json.dumps({"now": now, "against": args.against, "before": before,
                                         "repeat": args.repeat}, indent=2) + "\n")


if __name__ == "__main__":
    main()
