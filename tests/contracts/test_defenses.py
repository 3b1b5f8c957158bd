"""Tests of the defenses plugin (training methods) and the inference_noise transform.

Attacks come from a small PGD written here, so these tests do not depend on the attack
plugins; one test uses the registry's ``pgd`` when it is there.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from conftest import TinyNet
from helpers import heavy_modules_after
from robustx_defenses.adversarial import most_damaging
from robustx_defenses.gradient_reg import jacobian_penalty, margin_input_gradient, per_example_norm
from robustx_defenses.perturb import fgsm_rs_examples

from robustx.base.functional import logit_margin
from robustx.config.params import validate_params
from robustx.datasets.bundle import DatasetInfo
from robustx.host.manager import PluginHost
from robustx.train.defense import Defense, TrainContext

HOST = PluginHost()
DEFENSES = HOST.registry("defense")
INFO = DatasetInfo("digits", 10, 1, 8, (0.5,), (0.5,))

SMALL_PGD = {"name": "pgd", "eps": 0.1, "alpha": 0.05, "steps": 2}
SMALL_PGD_L2 = {"name": "pgd_l2", "eps": 0.5, "alpha": 0.25, "steps": 2}
#: each defense's cheap parameters, declared next to its factory (``@component(..., smoke={...})``);
#: a defense declared without them (a third-party one, say) runs with its defaults
SMOKE = {entry.name: dict(entry.smoke) for entry in DEFENSES if entry.smoke is not None}


class LocalPGD:
    """A minimal Linf / L2 PGD that follows the attack contract (eval mode, then restore)."""

    def __init__(self, model, eps: float, alpha: float, steps: int, norm: str = "Linf") -> None:
        self.model, self.eps, self.alpha, self.steps, self.norm = model, eps, alpha, steps, norm

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        was_training = self.model.training
        self.model.eval()
        x_adv = x.detach().clone()
        for _ in range(self.steps):
            x_adv.requires_grad_(True)
            (grad,) = torch.autograd.grad(F.cross_entropy(self.model(x_adv), y), x_adv)
            if self.norm == "Linf":
                delta = (x_adv.detach() + self.alpha * grad.sign() - x).clamp(-self.eps, self.eps)
            else:
                unit = grad / grad.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
                delta = x_adv.detach() + self.alpha * unit - x
                scale = (self.eps / delta.flatten(1).norm(dim=1).clamp_min(1e-12)).clamp(max=1.0)
                delta = delta * scale.view(-1, 1, 1, 1)
            x_adv = (x + delta).clamp(0, 1).detach()
        self.model.train(was_training)
        return x_adv


def local_create_attack(spec: dict, model) -> LocalPGD:
    norm = "L2" if spec["name"].endswith("l2") else "Linf"
    return LocalPGD(model, float(spec["eps"]), float(spec["alpha"]), int(spec["steps"]), norm)


def make_ctx(model, create_attack=local_create_attack, seed: int = 0) -> TrainContext:
    return TrainContext(model, torch.device("cpu"), INFO, 1, torch.Generator().manual_seed(seed), create_attack)


def build(name: str, **params) -> Defense:
    """Validate like the core does, then call the factory with the coerced values."""
    entry = DEFENSES.get(name)
    return entry.factory(**validate_params(entry.factory, params, f"train.defense[{name}]"))


def fresh_model(seed: int = 0):
    torch.manual_seed(seed)
    return TinyNet.build()


# -- every registered defense --------------------------------------------------------------


@pytest.mark.parametrize("name", DEFENSES.names())
def test_defense_runs_and_gradients_reach_every_parameter(name, digits_tensors):
    x, y, _, _ = digits_tensors
    model = fresh_model()
    defense = build(name, **SMOKE.get(name, {}))
    assert isinstance(defense, Defense)
    defense.setup(make_ctx(model))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    model.train()
    for step in range(3):
        batch = slice(64 * step, 64 * (step + 1))
        optimizer.zero_grad()
        loss = defense.loss(model, x[batch], y[batch])
        assert loss.dim() == 0 and math.isfinite(loss.item()), f"{name}: loss {loss}"
        loss.backward()
        for pname, param in model.named_parameters():
            assert param.grad is not None and torch.isfinite(param.grad).all(), f"{name}: no gradient for {pname}"
            assert param.grad.abs().sum() > 0, f"{name}: zero gradient for {pname}"
        optimizer.step()
        assert model.training, f"{name} left the model in eval mode"
    defense.on_epoch_end(0, {"val_accuracy": 0.9, "val_robust_accuracy": 0.4})


def test_standard_training_reduces_the_loss(digits_tensors):
    x, y, _, _ = digits_tensors
    model = fresh_model()
    defense = build("standard")
    defense.setup(make_ctx(model))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for step in range(40):
        batch = slice(128 * (step % 10), 128 * (step % 10 + 1))
        optimizer.zero_grad()
        loss = defense.loss(model, x[batch], y[batch])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5


def test_pgd_at_trains_with_the_registry_pgd(digits_tensors):
    attacks = HOST.registry("attack")
    x, y, _, _ = digits_tensors
    model = fresh_model()

    def create_attack(spec, model):
        params = {k: v for k, v in spec.items() if k != "name"}
        return attacks.create(spec["name"], model, **params)

    defense = build("pgd_at", attack=SMALL_PGD)
    defense.setup(make_ctx(model, create_attack))
    model.train()
    loss = defense.loss(model, x[:64], y[:64])
    loss.backward()
    assert math.isfinite(loss.item()) and model.training


# -- jacobian_reg and ce_grad_reg ------------------------------------------------------------


def test_margin_is_true_logit_minus_best_other():
    logits = torch.tensor([[1.0, 3.0, 2.0], [5.0, 1.0, 4.5]])
    assert torch.allclose(logit_margin(logits, torch.tensor([1, 2])), torch.tensor([1.0, -0.5]))


def test_margin_gradient_and_penalty_match_finite_differences(digits_tensors):
    x, y, _, _ = digits_tensors
    model = fresh_model().double()
    x, y = x[:3].double(), y[:3]
    grad, _ = margin_input_gradient(model, x, y, create_graph=False)

    h = 1e-6
    dims = x[0].numel()
    basis = torch.eye(dims, dtype=torch.float64).view(dims, *x.shape[1:])
    numeric = torch.empty_like(x)
    with torch.no_grad():
        for i in range(len(x)):
            labels = y[i].repeat(dims)
            plus = logit_margin(model(x[i] + h * basis), labels)
            minus = logit_margin(model(x[i] - h * basis), labels)
            numeric[i] = ((plus - minus) / (2 * h)).view(x.shape[1:])
    assert numeric.abs().max() > 1e-3  # a real, non-zero gradient
    assert torch.allclose(grad, numeric, rtol=1e-4, atol=1e-7)

    flat = numeric.flatten(1)
    expected = {"l1": flat.abs().sum(1), "l2": flat.norm(dim=1), "l2_squared": flat.pow(2).sum(1)}
    for norm, values in expected.items():
        assert torch.allclose(jacobian_penalty(model, x, y, norm), values.mean(), rtol=1e-4), norm


def _train(defense: Defense, x, y, steps: int = 30):
    model = fresh_model()
    defense.setup(make_ctx(model))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(0)
    for _ in range(steps):
        index = torch.randint(0, len(y), (128,), generator=generator)
        optimizer.zero_grad()
        defense.loss(model, x[index], y[index]).backward()
        optimizer.step()
    return model.eval()


def _mean_margin_gradient_norm(model, x, y) -> float:
    grad, _ = margin_input_gradient(model, x, y, create_graph=False)
    return per_example_norm(grad, "l2").mean().item()


def test_jacobian_regularization_flattens_the_decision_surface(digits_tensors):
    x, y, xt, yt = digits_tensors
    plain = _train(build("standard"), x, y)
    regularized = _train(build("jacobian_reg", c=0.1, norm="l2", reduction="sum"), x, y)
    assert _mean_margin_gradient_norm(regularized, xt, yt) < 0.5 * _mean_margin_gradient_norm(plain, xt, yt)
    assert (regularized(xt).argmax(1) == yt).float().mean() > 0.7  # still a classifier


def test_ce_grad_reg_adds_the_squared_input_gradient(digits_tensors):
    x, y, _, _ = digits_tensors
    model = fresh_model()
    x, y = x[:16], y[:16]
    defense = build("ce_grad_reg", c=2.0)
    ctx = make_ctx(model)
    defense.setup(ctx)
    loss = defense.loss(model, x, y)
    xg = x.clone().requires_grad_(True)
    per_example = F.cross_entropy(model(xg), y, reduction="none")
    (grad,) = torch.autograd.grad(per_example.sum(), xg)
    expected = per_example.mean() + 2.0 * grad.flatten(1).pow(2).sum(1).mean()
    assert torch.allclose(loss, expected, rtol=1e-5)
    assert ctx.stats["ce_grad_sq_norm"] > 0


# -- mixed adversarial training ----------------------------------------------------------------


class RecordingAttack:
    """Returns its input and remembers it was called (cheap stand-in for many batches)."""

    norm, eps = "Linf", 0.0

    def __init__(self, label: str, calls: list[str]) -> None:
        self.label, self.calls = label, calls

    def __call__(self, x, y):
        self.calls.append(self.label)
        return x


def _mat_rand_choices(seed: int, batches: int = 60) -> tuple[list[str], dict[str, float]]:
    calls: list[str] = []
    model = fresh_model()
    defense = build("mat_rand", attacks=[{"name": "a"}, {"name": "b"}])
    ctx = make_ctx(model, lambda spec, m: RecordingAttack(spec["name"], calls), seed=seed)
    defense.setup(ctx)
    x, y = torch.rand(4, 1, 8, 8), torch.tensor([0, 1, 2, 3])
    for _ in range(batches):
        defense.loss(model, x, y)
    return calls, ctx.stats


def test_mat_rand_draws_every_attack_reproducibly():
    calls, stats = _mat_rand_choices(seed=7)
    assert len(calls) == 60
    assert 15 <= calls.count("a") <= 45 and calls.count("a") + calls.count("b") == 60
    assert stats["chosen_a"] == calls.count("a") and stats["chosen_b"] == calls.count("b")
    assert _mat_rand_choices(seed=7)[0] == calls
    assert _mat_rand_choices(seed=8)[0] != calls


def test_mat_max_trains_on_the_per_example_worst_attack(tiny_model, sample_batch):
    x, y = sample_batch
    noise = torch.randn((2, *x.shape), generator=torch.Generator().manual_seed(0))
    shifted = [(x + 0.4 * noise[k]).clamp(0, 1) for k in range(2)]

    def create_attack(spec, model):
        return lambda xx, yy: shifted[int(spec["name"][-1])]

    defense = build("mat_max", attacks=[{"name": "shift0"}, {"name": "shift1"}])
    ctx = make_ctx(tiny_model, create_attack)
    defense.setup(ctx)
    loss = defense.loss(tiny_model, x, y)

    with torch.no_grad():
        per_attack = torch.stack([F.cross_entropy(tiny_model(s), y, reduction="none") for s in shifted])
    first_wins = (per_attack[0] >= per_attack[1]).float().mean().item()
    assert 0 < first_wins < 1  # both attacks win somewhere, so the choice is per example
    assert torch.allclose(loss, per_attack.max(dim=0).values.mean(), rtol=1e-5)
    assert ctx.stats["chosen_shift0"] == pytest.approx(first_wins)
    chosen, winner = most_damaging(tiny_model, shifted, y)
    assert torch.equal(chosen[winner == 1], shifted[1][winner == 1])


def test_natural_fraction_trains_that_share_of_batches_on_clean_inputs():
    calls: list[str] = []
    model = fresh_model()
    defense = build("pgd_at", attack={"name": "pgd"}, natural_fraction=0.3)
    ctx = make_ctx(model, lambda spec, m: RecordingAttack("pgd", calls), seed=3)
    defense.setup(ctx)
    x, y = torch.rand(4, 1, 8, 8), torch.tensor([0, 1, 2, 3])
    batches = 300
    for _ in range(batches):
        defense.loss(model, x, y)
    natural = ctx.stats["natural_fraction"]
    assert abs(natural / batches - 0.3) < 0.08
    assert len(calls) == batches - natural  # natural batches never call the attack


# -- TRADES, FGSM-RS, C&W ------------------------------------------------------------------


def test_trades_is_cross_entropy_when_beta_is_zero(digits_tensors):
    x, y, _, _ = digits_tensors
    x, y = x[:32], y[:32]
    model = fresh_model().train()
    clean = F.cross_entropy(model(x), y)
    plain = build("trades", beta=0.0, eps=0.1, alpha=0.05, steps=3)
    ctx = make_ctx(model)
    plain.setup(ctx)
    assert torch.allclose(plain.loss(model, x, y), clean)
    assert ctx.stats["trades_kl"] > 0  # the KL was computed, just weighted by 0
    weighted = build("trades", beta=6.0, eps=0.1, alpha=0.05, steps=3)
    weighted.setup(make_ctx(model))
    assert torch.allclose(weighted.loss(model, x, y), clean + 6.0 * ctx.stats["trades_kl"], rtol=1e-4)


def test_fgsm_rs_examples_stay_in_the_eps_ball(tiny_model, sample_batch):
    x, y = sample_batch
    eps = 0.1
    x_adv = fgsm_rs_examples(tiny_model, x, y, eps, 1.25 * eps, torch.Generator().manual_seed(0))
    assert x_adv.shape == x.shape and not x_adv.requires_grad
    assert (x_adv - x).abs().max() <= eps + 1e-6
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    assert ((x_adv - x).abs() > 0.99 * eps).float().mean() > 0.3  # alpha > eps: many steps hit the border
    assert F.cross_entropy(tiny_model(x_adv), y) > F.cross_entropy(tiny_model(x), y)
    again = fgsm_rs_examples(tiny_model, x, y, eps, 1.25 * eps, torch.Generator().manual_seed(0))
    assert torch.equal(x_adv, again)


def test_fgsm_rs_default_step_is_one_and_a_quarter_eps():
    defense = build("fgsm_rs", eps="8/255")
    assert defense.alpha == pytest.approx(1.25 * 8 / 255)


def _run_epochs(robust: list[float], clean: list[float]) -> list[dict]:
    defense = build("fgsm_rs")
    history = []
    for epoch, (r, c) in enumerate(zip(robust, clean)):
        metrics = {"val_robust_accuracy": r, "val_accuracy": c}
        defense.on_epoch_end(epoch, metrics)
        history.append(metrics)
    return history


def test_catastrophic_overfitting_warns_once(capsys):
    history = _run_epochs([0.30, 0.38, 0.41, 0.05, 0.02], [0.80, 0.82, 0.83, 0.88, 0.90])
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "catastrophic overfitting at epoch 3" in lines[0]
    assert "0.050" in lines[0] and "0.410" in lines[0]
    assert [m.get("catastrophic_overfitting", False) for m in history] == [False, False, False, True, True]


@pytest.mark.parametrize(
    "robust, clean",
    [
        ([0.30, 0.34, 0.31, 0.36, 0.35], [0.80, 0.82, 0.83, 0.84, 0.84]),  # healthy
        ([0.30, 0.38, 0.10, 0.12, 0.11], [0.80, 0.82, 0.30, 0.31, 0.30]),  # everything collapses: divergence
    ],
)
def test_catastrophic_overfitting_stays_quiet_otherwise(capsys, robust, clean):
    history = _run_epochs(robust, clean)
    assert capsys.readouterr().err == ""
    assert not any(m.get("catastrophic_overfitting") for m in history)


# -- inference_noise ---------------------------------------------------------------------------


def test_inference_noise_is_random_in_eval_mode(tiny_model, sample_batch):
    x, _ = sample_batch
    transforms = HOST.registry("transform")
    noisy = transforms.create("inference_noise", tiny_model, sigma=0.1).eval()
    assert not torch.equal(noisy(x), noisy(x))
    quiet = transforms.create("inference_noise", tiny_model, sigma=0.0).eval()
    assert torch.equal(quiet(x), quiet(x)) and torch.equal(quiet(x), tiny_model(x))


def test_inference_noise_in_training_only_when_asked(tiny_model, sample_batch):
    x, _ = sample_batch
    transforms = HOST.registry("transform")
    eval_only = transforms.create("inference_noise", tiny_model, sigma=0.1).train()
    assert torch.equal(eval_only(x), tiny_model(x))
    always = transforms.create("inference_noise", tiny_model, sigma=0.1, train=True).train()
    assert not torch.equal(always(x), always(x))
    tiny_model.eval()


# -- plugin hygiene ----------------------------------------------------------------------------


def test_bad_parameters_fail_before_any_work():
    from robustx.base.errors import ParamError

    for name, params in [
        ("pgd_at", {"natural_fraction": 1.0}),
        ("jacobian_reg", {"norm": "l3"}),
        ("trades", {"stepz": 3}),
        ("fgsm_rs", {"eps": -0.1}),
    ]:
        with pytest.raises(ParamError):
            build(name, **params)
    with pytest.raises(ParamError, match="at least one"):
        build("mat_rand", attacks=[])


def test_plugin_import_does_not_load_torch():
    code = "import robustx_defenses, robustx_defenses.factories, robustx_defenses.transforms"
    assert heavy_modules_after(code, ("torch",)) == []
