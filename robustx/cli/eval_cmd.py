"""``robustx eval RUN_DIR``: re-evaluate a finished run's model with its own or other attacks."""

from __future__ import annotations

import click

from ..errors import RecipeError


def parse_attack_option(text: str) -> dict:
    """'pgd eps=8/255 steps=20' or a YAML mapping '{name: pgd, eps: 8/255}' -> an attack spec."""
    import yaml

    text = text.strip()
    if text.startswith("{"):
        spec = yaml.safe_load(text)
        if not isinstance(spec, dict):
            raise RecipeError(f"--attack {text!r}: expected a mapping like {{name: pgd, eps: 8/255}}")
        return spec
    name, *pairs = text.split()
    spec = {"name": name}
    for pair in pairs:
        if "=" not in pair:
            raise RecipeError(f"--attack {text!r}: '{pair}' should be key=value")
        key, value = pair.split("=", 1)
        spec[key] = yaml.safe_load(value)
    return spec


@click.command("eval")
@click.argument("run_dir", type=click.Path())
@click.option("--attack", "attacks", multiple=True,
              help="Attack to run, e.g. --attack clean --attack \"pgd eps=8/255 steps=20\" (repeatable). "
                   "Default: the run's own evaluate.attacks.")
@click.option("--limit", type=int, default=None, help="Evaluate on the first N test images.")
@click.option("--device", default="auto", show_default=True)
@click.option("--quiet", is_flag=True)
def eval_run(run_dir: str, attacks: tuple[str, ...], limit: int | None, device: str, quiet: bool) -> None:
    """Re-evaluate the model of RUN_DIR; writes RUN_DIR/eval/results-<time>.json."""
    from ..evaluation import evaluate_run
    from ..results import terminal_table

    results, path = evaluate_run(run_dir, [parse_attack_option(a) for a in attacks], limit=limit, device=device,
                                 progress=not quiet)
    click.echo(terminal_table(results))
    click.echo(f"written: {path}")
