"""``robustx eval``: re-evaluate a finished run, or evaluate any model (--model/--weights/--dataset)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from robustx.base.errors import RecipeError, short


def parse_attack_option(text: str, where: str = "--attack") -> dict:
    """'pgd eps=8/255 steps=20' or a YAML mapping '{name: pgd, eps: 8/255}' -> a checked attack spec.

    Checked by robustx.config.components.check_spec, the same path a recipe's attacks take, so a bad value
    fails here, before a run or a dataset is loaded, with the recipe's message.
    """
    from robustx.config.components import check_spec  # lazy: loads pydantic

    return check_spec("attack", read_attack_option(text), where)


def read_attack_option(text: str) -> dict:
    """The unchecked spec of an ``--attack`` value (see :func:`parse_attack_option`)."""
    import yaml  # lazy: PyYAML costs --help ~30 ms

    from robustx.base import safe_yaml  # lazy: PyYAML costs --help ~30 ms

    text = text.strip()
    if text.startswith("{"):
        try:
            spec = safe_yaml.load(text, "--attack")
        except yaml.YAMLError:
            spec = None
        if not isinstance(spec, dict):
            raise RecipeError(f"--attack {short(text)}: expected a mapping like {{name: pgd, eps: 8/255}}")
        return spec
    if not text:
        raise RecipeError("--attack '': expected an attack like \"pgd eps=8/255 steps=20\"")
    name, *pairs = text.split()
    spec = {"name": name}
    for pair in pairs:
        if "=" not in pair:
            raise RecipeError(f"--attack {short(text)}: {short(pair, 40)} should be key=value")
        key, value = pair.split("=", 1)
        try:
            spec[key] = safe_yaml.load(value, f"--attack {short(name)} {short(key, 40)}")
        except yaml.YAMLError:
            raise RecipeError(f"--attack {short(text)}: cannot read the value of {short(key, 40)}") from None
    return spec


def _certify_option(text: str) -> dict:
    """'ibp eps=0.1' or '{name: ibp, eps: [0.1, 0.3]}', read like --attack (errors name --certify)."""
    try:
        return read_attack_option(text)
    except RecipeError as exc:
        raise RecipeError(str(exc).replace("--attack", "--certify", 1)) from None


def _any_model(model: str, weights: str | None, dataset: str | None, data_root: str | None, normalize: bool,
               specs: list[dict], limit: int | None, device: str, quiet: bool, audit: str | None,
               certify: list[dict] | None = None) -> dict:
    from robustx.datasets.bundle import open_dataset  # lazy: a command's code loads when it runs, not at --help
    from robustx.evaluation.anymodel import evaluate, load_any_model  # lazy: loads pydantic
    from robustx.host.manager import get_host  # lazy: a command's code loads when it runs, not at --help

    host = get_host()
    own = getattr(host.registry("architecture").resolve(model).entry.factory, "loads_weights", False)
    if not dataset or (not weights and not own):  # a zoo architecture (robustbench:...) brings its weights
        raise RecipeError(f"--model {model}: also give --weights FILE.safetensors and --dataset NAME")
    bundle = open_dataset(dataset, data_root, host)
    net = load_any_model(model, weights, bundle.info, normalize=normalize, host=host)
    test = bundle.test
    return evaluate(net, (test.as_float(), test.y), specs or ["clean"], device=device, limit=limit,
                    progress=not quiet, audit=audit, host=host, dataset_info=bundle.info, certify=certify or ())


@click.command("eval")
@click.argument("run_dir", type=click.Path(), required=False)
@click.option("--attack", "attacks", multiple=True,
              help="Attack to run, e.g. --attack clean --attack \"pgd eps=8/255 steps=20\" (repeatable). "
                   "Default: the run's own evaluate.attacks.")
@click.option("--certify", "certify", multiple=True,
              help="Certifier to run, e.g. --certify \"ibp eps=0.1\" --certify \"smoothing sigma=0.25 n=1000\" "
                   "(repeatable): certified accuracy beside robust accuracy. Default: the run's evaluate.certify "
                   "when no --attack is given.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Evaluate on the first N test images.")
@click.option("--device", default="auto", show_default=True)
@click.option("--fresh", is_flag=True, help="Re-run every attack instead of reusing the run's saved outcomes.")
@click.option("--mode", type=click.Choice(["each", "cascade"]), default=None,
              help="With RUN_DIR: each = every attack on every example; cascade = per threat model, only the "
                   "examples still correct (same worst case, less work). Default: the run's evaluate.mode.")
@click.option("--model", "model", default=None, help="Evaluate any model: a registered architecture name.")
@click.option("--weights", default=None, type=click.Path(), help="With --model: its .safetensors weights, or hf://ORG/REPO/FILE.safetensors "
                   "(a robustbench:<Name> model brings its own).")
@click.option("--dataset", default=None, help="With --model: a registered dataset (its test split is used).")
@click.option("--data-root", default=None, help="With --model: where the dataset's files are.")
@click.option("--normalize/--no-normalize", default=True, show_default=True,
              help="With --model: put the dataset's mean/std inside the model (weights trained on standardized inputs).")
@click.option("--audit", type=click.Choice(["quick", "full"]), default=None, help="With --model: also run the audit.")
@click.option("--out", "out_file", default=None, type=click.Path(), help="With --model: also write results.json here.")
@click.option("--seed", type=int, default=None,
              help="With RUN_DIR: seed of the attacks' randomness (default: the run's recipe seed); "
                   "recorded in the results.")
@click.option("--quiet", is_flag=True)
@click.option("--nproc", type=int, default=None,
              help="With RUN_DIR: split the test images over N processes (torchrun; one per GPU on CUDA).")
def eval_run(run_dir: str | None, attacks: tuple[str, ...], limit: int | None, device: str, fresh: bool,
             model: str | None, weights: str | None, dataset: str | None, data_root: str | None, normalize: bool,
             audit: str | None, out_file: str | None, quiet: bool, seed: int | None, nproc: int | None,
             certify: tuple[str, ...] = (), mode: str | None = None) -> None:
    """Re-evaluate the model of RUN_DIR (new attacks join its saved per-example outcomes; writes
    RUN_DIR/eval/results-<time>.json), or evaluate any model with --model/--weights/--dataset.

    \b
    Examples:
      robustx eval runs/mnist_pgd_anchor-20261122-060000 --attack "pgd eps=0.3 steps=50 restarts=10"
      robustx eval runs/cifar10_pgd_at-20261122-060000 --attack autoattack --nproc 4
      robustx eval --model preact_resnet18 --weights model.safetensors --dataset cifar10 --attack "pgd eps=8/255"
    """
    from robustx.evaluation.results import terminal_table  # lazy: a command's code loads when it runs, not at --help

    specs = [parse_attack_option(a, f"--attack[{i}]") for i, a in enumerate(attacks)]
    from robustx.config.certifiers import validate_certifiers  # lazy: loads pydantic

    certifiers = validate_certifiers([_certify_option(c) for c in certify], "--certify", None) if certify else None
    if model is not None:
        if run_dir:
            raise RecipeError("give either RUN_DIR or --model/--weights/--dataset, not both")
        if nproc is not None:
            raise RecipeError("--nproc splits the evaluation of a RUN_DIR; --model evaluates in one process")
        if out_file:
            from robustx.base.files import check_writable  # lazy: a command's code loads when it runs, not at --help

            check_writable(Path(out_file).expanduser().parent, f"--out {out_file}")
        results = _any_model(model, weights, dataset, data_root, normalize, specs, limit, device, quiet, audit,
                             certifiers)
        click.echo(terminal_table(results))
        if out_file:
            from robustx.base.checkpoint import write_text_atomic  # lazy: loads torch

            write_text_atomic(Path(out_file), json.dumps(results, indent=2))
            click.echo(f"written: {out_file}")
        return
    if not run_dir:
        raise RecipeError("robustx eval: give a RUN_DIR, or --model NAME --weights FILE --dataset NAME")
    if nproc is not None:
        from robustx.base.distributed import relaunch  # lazy: a command's code loads when it runs, not at --help

        args = ["eval", run_dir, *[f"--attack={a}" for a in attacks], "--device", device]
        args += (["--limit", str(limit)] if limit else []) + (["--fresh"] if fresh else [])
        args += ["--seed", str(seed)] if seed is not None else []
        args += [f"--certify={c}" for c in certify] + (["--mode", mode] if mode else [])
        raise SystemExit(relaunch(nproc, args + (["--quiet"] if quiet else [])))
    from robustx.base.distributed import is_main  # lazy: a command's code loads when it runs, not at --help
    from robustx.runs.reevaluate import evaluate_run  # lazy: loads pydantic

    results, path = evaluate_run(run_dir, specs, limit=limit, device=device, progress=not quiet, fresh=fresh,
                                 seed=seed, certify=certifiers, mode=mode)
    if not is_main():  # under torchrun, rank 0 prints for the job
        return
    click.echo(terminal_table(results))
    click.echo(f"written: {path}")
