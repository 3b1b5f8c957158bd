#!/usr/bin/env bash
# Wheel smoke (issue 24): what `pip install robustx` gives a user, checked end to end.
# Builds the sdist and, from it, the wheel; installs the wheel into a fresh venv (no system site
# packages, pip's cache reused, torch pinned by constraints/cpu.txt); then, from a folder outside
# the checkout, runs --help, a one-epoch quickstart, audit, report and eval --model on its weights.
# Any failing step fails CI (set -e). Usage: .ci/wheel_smoke.sh  (with a python that has `build`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/robustx-wheel.XXXXXX")"
[ -n "${KEEP_WHEEL_SMOKE:-}" ] || trap 'rm -rf "$WORK"' EXIT
step() { echo "== wheel smoke [$(date +%H:%M:%S)]: $*"; }

step "build sdist and wheel into $WORK/dist"
"$PYTHON" -m build --no-isolation --outdir "$WORK/dist" "$ROOT" >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log"; exit 1; }
ls "$WORK/dist"
WHEEL="$(ls "$WORK"/dist/robustx-*.whl)"

step "install the wheel into a fresh venv"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q -c "$ROOT/constraints/cpu.txt" "$WHEEL" >"$WORK/pip.log" 2>&1 \
  || { grep -v "is ignored" "$WORK/pip.log" | tail -40; exit 1; }

mkdir -p "$WORK/outside"
cd "$WORK/outside"  # nothing of the checkout is on the path from here
export ROBUSTX_NO_PROGRESS=1 ROBUSTX_OFFLINE=1 ROBUSTX_DATA="$WORK/data"
RX="$WORK/venv/bin/robustx"
"$WORK/venv/bin/python" -c "import robustx, robustx_recipes, sys; p = robustx.__file__; print('robustx from', p); \
sys.exit(0 if p.startswith('$WORK/venv/') else 'robustx is not the installed wheel')"

step "robustx --help"
"$RX" --help

step "robustx recipe run quickstart (one epoch)"
"$RX" recipe run quickstart train.epochs=1 evaluate.limit=100 train.val_limit=100 \
  'evaluate.attacks=[clean, {name: fgsm, eps: 0.1}, {name: pgd, eps: 0.1, alpha: 0.025, steps: 10}]' \
  --out runs --device cpu
RUN="$(ls -d runs/quickstart-* | head -1)"
test -f "$RUN/model.safetensors" && test -f "$RUN/results.json"

step "robustx audit $RUN"
"$RX" audit "$RUN" --device cpu --quiet

step "robustx report $RUN"
"$RX" report "$RUN" --grid 9 --surface-images 2 --curve-n 50 --indicator-n 8 --steps 3
test -s "$RUN/analysis/report.html" && ls -l "$RUN/analysis/report.html"

step "robustx eval --model small_cnn --weights $RUN/model.safetensors"
"$RX" eval --model small_cnn --weights "$RUN/model.safetensors" --dataset digits --limit 100 --device cpu \
  --attack clean --attack "pgd eps=0.1 alpha=0.025 steps=10" --quiet --out eval.json
"$WORK/venv/bin/python" - "$RUN/results.json" eval.json <<'PY'
import json, sys
run, again = (json.load(open(p)) for p in sys.argv[1:])
print(f"clean accuracy: run {run['clean_accuracy']:.4f}, eval --model {again['clean_accuracy']:.4f}")
sys.exit(0 if abs(run["clean_accuracy"] - again["clean_accuracy"]) < 1e-9 else "the weights did not round-trip")
PY

step "passed"
