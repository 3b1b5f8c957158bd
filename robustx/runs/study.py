"""Studies: one recipe, several rows (``variants``), a ``sweep`` over a key and/or a ``grid`` over several
keys (their cartesian product; see study_axes), one combined table and figure.

Every variant is validated before the first one trains. Each runs in its own sub-directory of
the study directory, so ``--resume STUDY_DIR`` skips finished rows and continues the interrupted
one. The combined table has the paper's layout (rows = variants, columns = evaluation attacks)
with the paper's numbers next to ours when the recipe gives them (``paper.rows``).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robustx.base import distributed
from robustx.base.errors import RecipeError, RobustxError
from robustx.base.files import read_json
from robustx.base.preemption import Preempted
from robustx.config.recipe import Recipe, apply_overrides, parse_yaml, read_text, set_key, validate
from robustx.config.study_axes import combinations
from robustx.evaluation.results import threat_summary
from robustx.host.manager import PluginHost
from robustx.runs.directory import CHECKPOINT, MARKER, create_run_dir, mark, remove_leftovers
from robustx.runs.study_figure import FIGURE, REPORT, write_figure, write_report

STUDY_KEYS = ("variants", "sweep", "grid", "paper")


@dataclass
class Study:
    name: str
    description: str
    rows: list[tuple[str, Recipe]]
    paper: dict[str, Any]


def is_study(raw: dict[str, Any]) -> bool:
    return bool(raw.get("variants") or raw.get("sweep") or raw.get("grid"))


def resolve(raw: dict[str, Any], source: str, host: PluginHost) -> "Study | Recipe":
    """A loaded (and overridden) recipe, validated whole: a Study if it has rows, else one Recipe."""
    return expand(raw, source, host) if is_study(raw) else validate(raw, source, host)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-").lower() or "row"


def expand(raw: dict[str, Any], source: str, host: PluginHost) -> Study:
    """Validate every row of a study recipe (variants x sweep values)."""
    base = {k: copy.deepcopy(v) for k, v in raw.items() if k not in STUDY_KEYS}
    variants = raw.get("variants") or [{"name": raw.get("name", "base")}]
    if not isinstance(variants, list):
        raise RecipeError("variants: expected a list of {name: ..., overrides: {key: value}}")
    combos = combinations(raw)  # the grid's product and the sweep (study_axes); [[]] when neither is given
    rows: list[tuple[str, Recipe]] = []
    seen: set[str] = set()
    for i, variant in enumerate(variants):
        if not isinstance(variant, dict) or "name" not in variant:
            raise RecipeError(f"variants[{i}]: expected {{name: ..., overrides: {{key: value}}}}")
        unknown = set(variant) - {"name", "overrides"}
        if unknown:
            raise RecipeError(f"variants[{i}].{sorted(unknown)[0]}: unknown key; accepted: name, overrides")
        recipe = copy.deepcopy(base)
        for key, value in (variant.get("overrides") or {}).items():
            set_key(recipe, key, value)
        for combo in combos:
            row_raw = copy.deepcopy(recipe)
            row_name = str(variant["name"])
            for key, value, _ in combo:
                set_key(row_raw, key, value)
            if combo:
                label = " ".join(part for _, _, part in combo)
                row_name = f"{row_name} {label}" if raw.get("variants") else label
            if row_name in seen:
                raise RecipeError(f"variants: two rows are named '{row_name}'")
            seen.add(row_name)
            row_raw["name"] = f"{base.get('name', 'study')}-{slug(row_name)}"
            try:
                rows.append((row_name, validate(row_raw, source, host)))
            except RobustxError as exc:
                raise type(exc)(f"variant '{row_name}': {exc}") from None
    paper = raw.get("paper") or {}
    if not isinstance(paper, dict):
        raise RecipeError("paper: expected {source: ..., rows: {variant: {column: number}}}")
    return Study(str(base.get("name", "study")), str(base.get("description", "")), rows, paper)


def _columns(results: list[dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for res in results:
        for row in res["attacks"]:
            if row["label"] not in columns:
                columns.append(row["label"])
    return columns


def combined_table(study: Study, results: dict[str, dict[str, Any]]) -> str:
    """Markdown: rows = variants, columns = attacks; 'ours (paper)' where the paper has a number."""

    done = [results[name] for name, _ in study.rows if name in results]
    columns = _columns(done) if done else []
    paper_rows = study.paper.get("rows") or {}
    lines = [f"# {study.name}", "", study.description, ""]
    if study.paper.get("source"):
        lines += [f"Paper: {study.paper['source']}. Cells read `robustx (paper)`, accuracy in %.", ""]
    lines += ["| model | " + " | ".join(columns) + " | per threat model |", "|---|" + "---|" * (len(columns) + 1)]
    for name, _ in study.rows:
        res = results.get(name)
        paper = paper_rows.get(name, {})
        cells = []
        for col in columns:
            ours = next((r["robust_accuracy"] for r in res["attacks"] if r["label"] == col), None) if res else None
            text = f"{100 * ours:.1f}" if ours is not None else "-"
            if col in paper and paper[col] is not None:
                text += f" ({paper[col]})"
            cells.append(text)
        worst = threat_summary(res) if res else "not run"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {worst} |")
    if study.paper.get("note"):
        lines += ["", str(study.paper["note"])]
    return "\n".join(lines) + "\n"


def _row_state(row_dir: Path, resume: bool) -> str:
    """'finished' (results.json written), 'interrupted' (a checkpoint to continue) or 'new'."""

    if resume and (row_dir / "results.json").is_file():
        return "finished"
    if resume and (row_dir / CHECKPOINT).is_file() and (row_dir / MARKER).is_file():
        return "interrupted"
    return "new"


def start_study(study: Study, raw: dict[str, Any], out: str | Path, options: Any, host: PluginHost,
                source: str | None) -> dict[str, Any]:
    """A new study directory (marked, with the study as loaded in study.yaml), then every row."""
    import yaml  # lazy: PyYAML costs --help ~30 ms

    from robustx.base.checkpoint import write_text_atomic  # lazy: loads torch


    def new_study_dir() -> Path:  # rank 0 only; every rank gets its path
        study_dir = create_run_dir(out, study.name)
        mark(study_dir, kind="study", recipe=study.name, source=source)
        write_text_atomic(study_dir / "study.yaml", yaml.safe_dump(raw, sort_keys=False))
        return study_dir

    study_dir = distributed.on_main(new_study_dir)
    return run_study(study, study_dir, resume=False, options=options, host=host)


def resume_study(study_dir: Path, overrides: list[str] | tuple[str, ...], options: Any,
                 host: PluginHost) -> dict[str, Any]:
    """Finished rows are skipped, interrupted rows continue; ``overrides`` apply to rows that start now.

    study.yaml is read, never rewritten; every row records its own recipe.yaml.
    """

    remove_leftovers(study_dir)
    saved = study_dir / "study.yaml"
    if not saved.is_file():
        raise RecipeError(f"--resume {study_dir}: its study.yaml is missing; start a new study instead")
    raw = apply_overrides(parse_yaml(read_text(saved), str(saved)), overrides)
    return run_study(expand(raw, str(saved), host), study_dir, resume=True, options=options, host=host)


def run_study(study: Study, study_dir: Path, *, resume: bool, options: Any, host: PluginHost) -> dict[str, Any]:
    """Run every row (skipping finished ones when resuming); write study.json and table.md.

    Under torchrun every rank runs every row together (each row is one DDP run); rank 0 decides
    which rows are finished, creates the row directories and writes the study's files.
    """
    from robustx.base.checkpoint import write_text_atomic  # lazy: loads torch
    from robustx.runs.launch import continue_run, start_run  # lazy: loads torch

    echo = options.echo or (lambda _msg: None)
    results: dict[str, dict[str, Any]] = {}
    for name, recipe in study.rows:
        row_dir = study_dir / slug(name)
        state = distributed.on_main(lambda: _row_state(row_dir, resume))  # one decision for every rank
        if state == "finished":
            results[name] = read_json(row_dir / "results.json",
                                      hint=f"move {row_dir} away and resume the study to run that row again")
            echo(f"[{name}] already finished, skipped")
            continue
        echo(f"[{name}] running in {row_dir}")

        try:
            if state == "interrupted":
                results[name] = continue_run(row_dir, options, host)
            else:
                distributed.on_main(lambda: row_dir.mkdir(parents=True, exist_ok=True))
                results[name] = start_run(recipe, row_dir, options, host, source=None)
        except Preempted as exc:  # the study continues as a whole: finished rows skipped, this one resumed
            head = str(exc).split(" A run can continue with ")[0].rstrip(".")
            raise Preempted(f"{head} in row '{name}'. The study can continue with "
                            f"`robustx recipe run {study.name} --resume {study_dir}`.", exc.signum) from None
        if distributed.is_main():
            summary = {"study": study.name, "rows": [{"name": n, "run_dir": str(study_dir / slug(n)),
                                                       "results": results.get(n)} for n, _ in study.rows],
                       "paper": study.paper}
            write_text_atomic(study_dir / "study.json", json.dumps(summary, indent=2))
            write_text_atomic(study_dir / "table.md", combined_table(study, results))
    if distributed.is_main():
        write_study_figure(study, results, study_dir)  # once, after the last row (matplotlib is slow to draw)
    return {"study": study.name, "study_dir": str(study_dir), "rows": results,
            "table": combined_table(study, results)}


def write_study_figure(study: Study, results: dict[str, dict[str, Any]], study_dir: Path) -> None:
    """figure.png (clean vs robust per row and threat model) and study.html, next to table.md."""

    rows = [name for name, _ in study.rows]
    figure = write_figure(rows, results, study_dir / FIGURE, study.name)
    write_report(study.name, combined_table(study, results), figure, study_dir / REPORT)
