"""``robustx push RUN_DIR hf://ORG/REPO``: publish a run's weights, model.json and model card."""

from __future__ import annotations

from pathlib import Path

import click

from robustx.base.errors import RobustxError


@click.command("push")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("target")
@click.option("--dry-run", is_flag=True, help="Write the exact files (and card) to RUN_DIR/push/ and send nothing.")
@click.option("--private", is_flag=True, help="Create the repository as private (when it does not exist).")
@click.option("--message", default=None, help="Commit message (default: 'robustx: <run name>').")
def push(run_dir: Path, target: str, dry_run: bool, private: bool, message: str | None) -> None:
    """Upload RUN_DIR's model.safetensors, model.json and a model card (README.md) to TARGET, hf://ORG/REPO.

    The card's table is the run's per-threat-model results and its audit. The files are staged in
    RUN_DIR/push/ first; --dry-run stops there, so you can read exactly what would be sent.
    Log in first with `hf auth login` (or set HF_TOKEN).
    """
    from robustx.base.hub import offline, parse  # lazy: a command's code loads when it runs, not at --help
    from robustx.runs.hub_card import stage  # lazy: a command's code loads when it runs, not at --help

    if not (run_dir / "results.json").is_file():
        raise RobustxError(f"{run_dir}: no results.json; push needs a finished run directory")
    ref = parse(target, need_file=False)
    files = stage(run_dir, ref.repo_id, run_dir / "push")
    if dry_run:
        click.echo(f"dry run: would upload to {target} ({ref.repo_id}):")
        for path in files:
            click.echo(f"  {path.name}  {path.stat().st_size} bytes  ({path})")
        return
    if offline():
        raise RobustxError(f"push {target}: HF_HUB_OFFLINE/ROBUSTX_OFFLINE is set; unset it, or use --dry-run")
    from huggingface_hub import HfApi  # lazy: a command's code loads when it runs, not at --help
    from huggingface_hub.errors import HfHubHTTPError  # lazy: a command's code loads when it runs, not at --help

    api = HfApi()
    try:
        api.create_repo(ref.repo_id, private=private, exist_ok=True)
        commit = api.upload_folder(repo_id=ref.repo_id, folder_path=str(run_dir / "push"),
                                   revision=ref.revision, commit_message=message or f"robustx: {run_dir.name}")
    except HfHubHTTPError as exc:
        raise RobustxError(f"push {target}: {str(exc).splitlines()[0]}") from None
    click.echo(f"uploaded {', '.join(p.name for p in files)} to {getattr(commit, 'commit_url', target)}")
