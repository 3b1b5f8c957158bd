"""Start-up time of `robustx --help` and `robustx list attacks`, next to bare Python and `import torch`.

    python bench/bench_startup.py [--reps 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "robustx --help": [sys.executable, "-m", "robustx", "--help"],
    "robustx list attacks": [sys.executable, "-m", "robustx", "list", "attacks"],
    "python -c 'import torch'": [sys.executable, "-c", "import torch"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.reps):  # interleaved, so load changes affect every command alike
        for name, cmd in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    for name, values in times.items():
        print(f"{name:28s} median {statistics.median(values) * 1000:7.0f} ms   min {min(values) * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
