"""Start-up time of `robustx --help` and listing, with and without a plugin that imports torch at top level.

    python bench/bench_startup.py [--reps 7]
    python bench/bench_startup.py --baseline /tmp/before --reps 11   # paired: this checkout vs another

With ``--baseline CHECKOUT`` each light command runs alternately from this checkout and from the other one
(``PYTHONPATH`` = its root and its ``plugins/``; the same interpreter and installed libraries), and the ratio
this/baseline is the median of the pair-by-pair ratios, so load changes affect both sides alike.

The torch-importing plugin is examples/robustx-torch-plugin, pip-installed into a temporary folder
that is put on PYTHONPATH for the "+ torch plugin" rows only (the environment is left untouched).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROBUSTX = [sys.executable, "-m", "robustx"]
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "robustx --help": [*ROBUSTX, "--help"],
    "robustx recipe list": [*ROBUSTX, "recipe", "list"],
    "robustx list attacks": [*ROBUSTX, "list", "attacks"],
    "python -c 'import torch'": [sys.executable, "-c", "import torch"],
}
WITH_PLUGIN = ("robustx --help", "robustx list attacks")


def install_torch_plugin(target: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(ROOT / "examples" / "robustx-torch-plugin")], check=True)


def checkout_env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "plugins")])}


def paired(baseline: Path, reps: int) -> None:
    """Each light command from this checkout (A) and from ``baseline`` (B), A B A B ...; the median of A/B."""
    light = {"import robustx": [sys.executable, "-c", "import robustx"],
             **{name: cmd for name, cmd in COMMANDS.items() if name.startswith("robustx")}}
    sides = {"this": checkout_env(ROOT), "baseline": checkout_env(baseline.resolve())}
    for name, cmd in light.items():
        times: dict[str, list[float]] = {side: [] for side in sides}
        for rep in range(reps + 1):  # the first pair warms the file cache and is not counted
            for side, env in sides.items():
                start = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=tempfile.gettempdir())
                if rep:
                    times[side].append(time.perf_counter() - start)
        ratio = statistics.median(a / b for a, b in zip(times["this"], times["baseline"]))
        print(f"{name:24s} this {statistics.median(times['this']) * 1000:6.0f} ms   baseline "
              f"{statistics.median(times['baseline']) * 1000:6.0f} ms   this/baseline {ratio:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout (e.g. a git worktree of HEAD~1)")
    args = parser.parse_args()
    if args.baseline is not None:
        paired(args.baseline, args.reps)
        return
    with tempfile.TemporaryDirectory() as site:
        install_torch_plugin(Path(site))
        plugin_env = {**os.environ, "PYTHONPATH": site}
        runs = [(name, cmd, None) for name, cmd in COMMANDS.items()]
        runs += [(f"{name} + torch plugin", COMMANDS[name], plugin_env) for name in WITH_PLUGIN]
        times: dict[str, list[float]] = {name: [] for name, _, _ in runs}
        for _ in range(args.reps):  # interleaved, so load changes affect every command alike
            for name, cmd, env in runs:
                start = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True, env=env)
                times[name].append(time.perf_counter() - start)
    for name, values in times.items():
        print(f"{name:40s} median {statistics.median(values) * 1000:7.0f} ms   min {min(values) * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
