"""Every command in README.md's ```bash blocks runs as shown (issue 25).

The commands run in order, in one scratch folder, through click's CliRunner (the same code as the
``robustx`` script). Where a command would train for minutes, FAST appends overrides that shrink
it (later ``key=value`` overrides win, so the README's own values are still parsed and validated);
placeholders such as ``runs/quickstart-...`` become the run directory an earlier command created.
Lines that install packages, download data or run the whole test suite are skipped, each with its
reason in SKIP. A README command that is in neither table runs exactly as written.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from robustx.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"

#: README command (or, ending in a space, its start) -> why it is not run here
SKIP = {
    "python3 -m venv .venv": "creates a virtual environment (this test runs inside one)",
    ". .venv/bin/activate": "activates the virtual environment this test already runs in",
    "pip install ": "installs packages from the network (whatever the extras)",
    "python -m pytest ": "the whole test suite (or one layer of it), which contains this test",
    "robustx recipe run mat_rand_wrn": "downloads CIFAR-10 (170.5 MB) and trains a wide ResNet-18 for 50 epochs",
}
_TINY_EVAL = ["evaluate.limit=16", "train.val_limit=16", "--quiet"]
#: README command -> arguments appended to make it fast (the README's own arguments stay)
FAST = {
    "robustx recipe run quickstart": ["train.epochs=1", "data.limit=128", "train.defense.attack.steps=2",
                                      *_TINY_EVAL],
    "robustx recipe run quickstart --logger tensorboard --logger mlflow": ["train.epochs=1", "data.limit=128",
                                                                           "train.defense.attack.steps=2", *_TINY_EVAL],
    "robustx recipe run mnist_pgd_at train.epochs=1 data.limit=500 evaluate.limit=100 --out runs --device auto":
        ["data.limit=64", "train.defense.attack.steps=2", "train.val_attack.steps=2",
         "evaluate.attacks=[clean, {name: fgsm, eps: 0.3}]", *_TINY_EVAL],
    'robustx eval runs/quickstart-... --attack "pgd eps=0.2 steps=50"': ["--limit", "16", "--quiet"],
    'robustx eval --model small_cnn --weights net.safetensors --dataset digits --attack "fab norm=L2"':
        ["--limit", "16", "--quiet"],
    "robustx audit runs/quickstart-...": ["--quiet"],
    "robustx report runs/quickstart-...": ["--grid", "5", "--surface-images", "2", "--steps", "2", "--curve-n", "8",
                                           "--indicator-n", "4"],
}
_PLACEHOLDER = re.compile(r"runs/([a-z0-9_]+)-(?:\.\.\.|\d{8}-\d{6})")


def readme_commands() -> list[str]:
    """Each command of README.md's ```bash blocks, in order (``a && b`` is two commands; comments dropped)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = "" if line.lstrip().startswith("#") else re.split(r"\s+#\s", line)[0].strip()
            commands += [part.strip() for part in line.split(" && ") if part.strip()]
    return commands


def _net_safetensors(folder: Path) -> None:
    """What the README says net.safetensors is: a network's state_dict saved with safetensors.

    The network is a small_cnn trained here to ~95% on digits (robustx normalizes inside the model, as
    `--normalize` will again). Not the quickstart run's network: 2 quick epochs leave it so weak that
    eval's normalization check calls it mis-normalized (a false positive noted in issue 25's report).
    """
    import torch
    from safetensors.torch import save_file
    from sklearn.datasets import load_digits

    from robustx.datasets.bundle import open_dataset
    from robustx.host.manager import get_host
    from robustx.models.build import create_model

    info = open_dataset("digits", None, get_host(), download=False).info
    digits = load_digits()
    x = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target)
    torch.manual_seed(0)
    model = create_model("small_cnn", num_classes=10, in_channels=1, image_size=8, mean=info.mean, std=info.std)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(60):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    save_file({k: v.contiguous() for k, v in model.net.state_dict().items()}, str(folder / "net.safetensors"))


def test_every_readme_command_runs(tmp_path, monkeypatch):
    if not (SHARED_DATA / "MNIST").is_dir():
        pytest.skip(f"the README's MNIST command needs MNIST in {SHARED_DATA}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROBUSTX_DATA", str(SHARED_DATA))
    runner, ran, skipped = CliRunner(), [], []
    for command in readme_commands():
        key = command
        skip = next((start for start in SKIP if command == start or start.endswith(" ") and command.startswith(start)),
                    None)
        if skip is not None:
            skipped.append(skip)
            continue
        args = shlex.split(command)
        assert args[0] == "robustx", f"README command {command!r} is neither run nor skipped here: add it to SKIP"
        args = [_PLACEHOLDER.sub(lambda m: str(_latest_run(tmp_path, m[1])), a) for a in args[1:]]
        if "net.safetensors" in args:
            _net_safetensors(tmp_path)
        result = runner.invoke(cli, args + FAST.get(key, []))
        assert result.exit_code == 0, f"README command failed: {command}\n{result.output[-2000:]}"
        ran.append(key)
    assert set(FAST) <= set(ran), f"FAST names commands the README no longer has: {set(FAST) - set(ran)}"
    assert set(SKIP) == set(skipped), f"SKIP names commands the README no longer has: {set(SKIP) - set(skipped)}"
    assert len(ran) >= 12 and any(c.startswith("robustx report ") for c in ran)  # every command family shown
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "# net.safetensors: " in readme  # says where the file that `eval --weights` reads comes from


def _latest_run(folder: Path, recipe: str) -> Path:
    found = sorted((folder / "runs").glob(f"{recipe}-*"))
    assert found, f"no runs/{recipe}-* made by an earlier README command"
    return found[-1]


def _yaml_blocks(section: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", body, flags=re.S)


def test_readme_recipe_is_the_shipped_one_and_its_fragment_validates(tmp_path, monkeypatch):
    import yaml

    monkeypatch.delenv("ROBUSTX_OFFLINE", raising=False)  # validate only: CIFAR-10 "is fetched on first use"

    recipe, fragment = _yaml_blocks("Recipe format")[:2]
    assert recipe == (ROOT / "recipes" / "mat_rand_wrn.yaml").read_text(encoding="utf-8")

    def merged(base: dict, extra: dict) -> dict:  # sections merge; a component ({name: ...}) replaces
        return {**base, **{k: merged(base[k], v) if isinstance(v, dict) and "name" not in v
                           and isinstance(base.get(k), dict) else v for k, v in extra.items()}}

    whole = merged(yaml.safe_load(recipe), yaml.safe_load(fragment))
    (tmp_path / "with_fragment.yaml").write_text(yaml.safe_dump(whole), encoding="utf-8")
    result = CliRunner().invoke(cli, ["recipe", "validate", str(tmp_path / "with_fragment.yaml")])
    assert result.exit_code == 0, result.output
