"""``robustx export robustbench RUN_DIR``: a RobustBench leaderboard entry (model_info JSON) from a run."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("export")
def export() -> None:
    """Write a finished run's results in another project's format."""


@export.command("robustbench")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--name", "model_name", default=None, help="Leaderboard key, e.g. Ours2026Robust (default: the recipe's name).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder that gets model_info/<dataset>/<threat_model>/<name>.json (default: RUN_DIR/robustbench).")
@click.option("--threat-model", "norm", type=click.Choice(["Linf", "L2"]), default=None,
              help="Which of the run's threat models (default: its headline one).")
@click.option("--eps", type=str, default=None, help="Which budget, when the run has several of that norm (8/255 works).")
@click.option("--title", default=None, help="Paper title (ModelInfo.name).")
@click.option("--link", default=None, help="Paper link.")
@click.option("--authors", default=None)
@click.option("--venue", default=None)
@click.option("--reported", default=None, help="Robust accuracy the paper reports (%).")
@click.option("--additional-data", is_flag=True, help="Trained with data beyond the training set.")
def robustbench(run_dir: Path, model_name: str | None, out: Path | None, norm: str | None, eps: str | None,
                **paper: object) -> None:
    """RobustBench's model_info JSON for RUN_DIR: clean and robust accuracy, eps, and a footnote with the
    attacks, the number of test examples and the audit verdict."""
    import json

    from robustx.config.markers import parse_number

    from .model_info import write

    if model_name is None:
        model_name = json.loads((run_dir / "model.json").read_text(encoding="utf-8")).get("recipe") or run_dir.name
    budget = float(parse_number(eps, "--eps")) if eps is not None else None
    path = write(run_dir, out or run_dir / "robustbench", model_name, norm=norm, eps=budget, **paper)
    click.echo(f"wrote {path}")
