"""The robustness audit on textbook-broken models (each must be caught by the checks meant for it)
and on a small adversarially trained model (no check may fail)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from robustx.base.errors import DuplicateNameError, ParamError
from robustx.config.specs import attack_params
from robustx.datasets.batches import DeviceImageSet
from robustx.datasets.bundle import ImageSet
from robustx.evaluation.audit import Check, register_check, run_audit
from robustx.evaluation.audit.checklist import _EXTRA
from robustx.evaluation.audit.finding import verdict
from robustx.evaluation.evaluator import EvalConfig, evaluate_attacks

EPS = 0.1
ATTACKS = [{"name": "clean"}, {"name": "fgsm", "eps": EPS}, {"name": "pgd", "eps": EPS, "alpha": 0.025, "steps": 10}]


class Quantized(nn.Module):
    """Shattered gradients: rounding to 5 grey levels before the network (zero gradient everywhere)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(torch.round(x * 4) / 4)


class Saturated(nn.Module):
    """Vanishing gradients: logits x1000, so the float32 softmax is exactly one-hot."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) * 1000


class RandomInput(nn.Module):
    """Randomness: Gaussian noise on the input at every forward pass, eval mode included."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x + 0.2 * torch.randn_like(x))


@pytest.fixture(scope="module")
def create_attack():
    from robustx.host.manager import get_host

    registry = get_host().registry("attack")
    return lambda spec, target: registry.create(spec["name"], target, **attack_params(spec))


@pytest.fixture(scope="module")
def audit_data(digits_tensors):
    _, _, xt, yt = digits_tensors
    return DeviceImageSet(ImageSet(xt[:100], yt[:100]), torch.device("cpu"))


@pytest.fixture(scope="module")
def robust_model(digits_tensors):
    """TinyNet adversarially trained (FGSM with random start, eps 0.1: Wong et al. 2020) for ~3 s."""
    from conftest import TinyNet

    x, y, _, _ = digits_tensors
    x, y = x[:1000], y[:1000]
    torch.manual_seed(0)
    model = TinyNet.build()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(50):
        delta = ((torch.rand_like(x) * 2 - 1) * EPS).requires_grad_(True)
        (grad,) = torch.autograd.grad(nn.functional.cross_entropy(model((x + delta).clamp(0, 1)), y), delta)
        x_adv = (x + (delta + 1.25 * EPS * grad.sign()).clamp(-EPS, EPS)).clamp(0, 1).detach()
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x_adv), y).backward()
        optimizer.step()
    return model.eval()


def _audit(model, data, create_attack, eot_samples: int = 10) -> dict[str, dict]:
    torch.manual_seed(0)
    config = EvalConfig(batch_size=100, eot_samples=eot_samples, n_predictions=10, progress=False)
    results = evaluate_attacks(model, data, ATTACKS, create_attack, config)
    findings = run_audit(model, data, results, level="quick", create_attack=create_attack, batch_size=100)
    return {f["id"]: f for f in findings}


def _status(findings: dict[str, dict]) -> dict[str, str]:
    return {key: f["status"] for key, f in findings.items()}


def test_shattered_gradients_are_caught(tiny_model, audit_data, create_attack):
    found = _audit(Quantized(tiny_model), audit_data, create_attack)
    status = _status(found)
    assert status["f"] == "fail" and "BPDA" in found["f"]["advice"], found["f"]  # zero gradient, margin too
    assert status["c"] == "fail", found["c"]  # a huge budget leaves the accuracy where it was
    assert status["e"] == "fail", found["e"]  # Square / transfer beat the white-box attacks
    assert status["g"] == "skip"


def test_vanishing_gradients_are_caught(tiny_model, audit_data, create_attack):
    found = _audit(Saturated(tiny_model), audit_data, create_attack)
    status = _status(found)
    assert status["f"] == "fail" and "margin loss" in found["f"]["advice"], found["f"]
    assert "margin gradient zero for 0.0%" in found["f"]["evidence"]  # told apart from shattering
    assert status["c"] == "fail" and status["e"] == "fail", (found["c"], found["e"])


def test_randomness_without_eot_is_caught(tiny_model, audit_data, create_attack):
    found = _audit(RandomInput(tiny_model), audit_data, create_attack, eot_samples=1)
    assert found["g"]["status"] == "fail", found["g"]
    assert "no EOT" in found["g"]["evidence"] and "EOT 4 leaves" in found["g"]["evidence"]
    assert "autoattack" in found["g"]["advice"]


def test_real_robustness_raises_no_failure(robust_model, audit_data, create_attack):
    found = _audit(robust_model, audit_data, create_attack)
    assert not [f for f in found.values() if f["status"] == "fail"], found
    assert _status(found)["f"] == "pass" and _status(found)["c"] == "pass"
    assert set(found) == set("abcdefg") and all(f["reference"] for f in found.values())


def test_a_plain_model_has_healthy_gradients(tiny_model, audit_data, create_attack):
    """The gradient check discriminates: the same network without the broken wrapper passes."""
    found = _audit(tiny_model, audit_data, create_attack)
    assert found["f"]["status"] == "pass" and found["c"]["status"] == "pass", (found["f"], found["c"])


def test_plugins_can_add_checks(tiny_model, audit_data, create_attack):
    check = Check("z", "always_warns", lambda ctx: verdict("warn", f"{len(ctx.data)} examples"), "a test")
    register_check(check)
    try:
        with pytest.raises(DuplicateNameError):
            register_check(check)
        results = {"attacks": [], "stochastic": False}
        findings = run_audit(tiny_model, (audit_data.x[:20], audit_data.y[:20]), results, create_attack=create_attack)
        assert findings[-1] == {**findings[-1], "id": "z", "check": "always_warns", "status": "warn",
                                "evidence": "20 examples"}
    finally:
        _EXTRA.remove(check)


def test_unknown_level_is_one_line_with_suggestion(tiny_model, audit_data):
    with pytest.raises(ParamError, match="did you mean 'quick'"):
        run_audit(tiny_model, audit_data, {"attacks": []}, level="quik")


def test_failed_audit_shows_a_banner_in_results_md_and_terminal():
    from robustx.evaluation.results import markdown, terminal_table

    results = {"schema_version": 2, "clean_accuracy": 0.9, "threat_models": [], "attacks": [], "n": 10,
               "audit": [{"id": "f", "check": "gradient_health", "status": "fail", "evidence": "zero gradients",
                          "advice": "use BPDA"}]}
    md = markdown(results, "title")
    assert md.splitlines()[2].startswith("> **AUDIT FAILED") and "| (f) gradient_health | fail |" in md
    assert "AUDIT FAILED" in terminal_table(results)
    results["audit"][0]["status"] = "pass"
    assert "AUDIT FAILED" not in markdown(results, "title") + terminal_table(results)


def test_recipe_audit_key_and_cli_command(tmp_path):
    """`evaluate: {audit: quick}` audits after the evaluation; `robustx audit RUN_DIR` re-audits a run."""
    import json

    import yaml
    from click.testing import CliRunner
    from tiny_run import RECIPE

    import robustx
    from robustx.cli.main import cli

    recipe = {**RECIPE, "train": {**RECIPE["train"], "epochs": 1},
              "evaluate": {**RECIPE["evaluate"], "attacks": RECIPE["evaluate"]["attacks"][1:], "audit": "quick"}}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    results = robustx.run_recipe(str(tmp_path / "r.yaml"), out=str(tmp_path / "runs"), device="cpu")
    assert [f["id"] for f in results["audit"]] == list("abcdefg") and results["audit_level"] == "quick"
    (run_dir,) = (tmp_path / "runs").iterdir()
    saved = json.loads((run_dir / "results.json").read_text())
    assert saved["audit"] == results["audit"]
    assert "## Audit (quick" in (run_dir / "results.md").read_text()

    (run_dir / "results.json").write_text(json.dumps({k: v for k, v in saved.items() if not k.startswith("audit")}))
    out = CliRunner().invoke(cli, ["audit", str(run_dir), "--quiet", "--device", "cpu"])
    assert out.exit_code == 0, out.output
    assert "(c) large_budget" in out.output and "written to" in out.output
    assert json.loads((run_dir / "results.json").read_text())["audit_level"] == "quick"

    bad = CliRunner().invoke(cli, ["audit", str(tmp_path)])
    assert bad.exit_code == 1 and "not a robustx run directory" in bad.output


def test_convergence_judges_the_reported_number_not_one_attack(tiny_model, audit_data, create_attack):
    """A weak PGD does not converge (b flags it) unless a stronger attack of the same threat model
    (AutoAttack) already put the reported number below what the longer PGD reaches."""
    weak = {"name": "pgd", "eps": EPS, "alpha": 0.01, "steps": 2, "random_start": False}
    config = EvalConfig(batch_size=100, progress=False)
    for attacks, expected in (([weak], {"warn", "fail"}), ([weak, {"name": "autoattack", "eps": EPS}], {"pass"})):
        torch.manual_seed(0)
        results = evaluate_attacks(tiny_model, audit_data, attacks, create_attack, config)
        findings = {f["id"]: f for f in run_audit(tiny_model, audit_data, results, level="quick",
                                                   create_attack=create_attack, batch_size=100)}
        assert findings["b"]["status"] in expected, findings["b"]["evidence"]


def test_convergence_flags_an_evaluation_whose_only_autoattack_is_reduced(tiny_model, audit_data, create_attack):
    """A reduced-budget AutoAttack (autoattack_fast, or a row from the old 10-iteration port) is flagged, even when
    the PGD converged; the published autoattack beside it clears the flag."""
    strong = {"name": "pgd", "eps": EPS, "alpha": EPS / 4, "steps": 20}
    fast = {"name": "autoattack_fast", "eps": EPS, "steps": 3, "n_queries": 20}
    config = EvalConfig(batch_size=100, progress=False)
    torch.manual_seed(0)
    results = evaluate_attacks(tiny_model, audit_data, [strong, fast], create_attack, config)
    findings = {f["id"]: f for f in run_audit(tiny_model, audit_data, results, level="quick",
                                               create_attack=create_attack, batch_size=100)}
    assert findings["b"]["status"] in {"warn", "fail"}
    assert "autoattack_fast (3 iterations)" in findings["b"]["evidence"]
    assert "{name: autoattack, norm: Linf" in findings["b"]["advice"]

    from robustx.evaluation.audit.budget import reduced_only

    legacy = {"name": "autoattack", "norm": "Linf", "eps": EPS, "params": {"eps": EPS, "norm": "Linf"}}
    published = {**legacy, "budget": "published"}
    assert reduced_only([legacy]) == [legacy] and reduced_only([legacy, published]) == []
    assert reduced_only([{"name": "pgd", "norm": "Linf", "eps": EPS}]) == []


def test_audit_evidence_writes_budgets_like_the_tables() -> None:
    from robustx.evaluation.audit.attacks import label

    assert label({"name": "pgd", "steps": 20, "eps": 8 / 255}) == "pgd-20 eps=8/255"
    assert label({"name": "fgsm", "eps": 0.1}) == "fgsm eps=0.1"
