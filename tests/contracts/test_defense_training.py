"""Every registered defense trains at its defaults, and eps warm-up ramps budget and step together.

The training test is registry-driven: a defense added by a plugin is checked too, with the
registry's real attacks, on real (embedded digits) data, at its factory defaults - a recipe
that omits a parameter must still get a model that learns.
"""

from __future__ import annotations

import pytest
import torch
from conftest import TinyNet
from robustx_defenses.schedule import EpsSchedule, parse_eps_schedule, scaled_spec

from robustx.base.errors import ParamError
from robustx.config.params import validate_params
from robustx.datasets.bundle import DatasetInfo
from robustx.host.manager import PluginHost
from robustx.train.defense import TrainContext

HOST = PluginHost()
DEFENSES = HOST.registry("defense")
ATTACKS = HOST.registry("attack")
INFO = DatasetInfo("digits", 10, 1, 8, (0.5,), (0.5,))


def registry_attack(spec: dict, model):
    return ATTACKS.create(spec["name"], model, **{k: v for k, v in spec.items() if k != "name"})


def context(model, create_attack=registry_attack, steps_per_epoch: int = 0) -> TrainContext:
    return TrainContext(model, torch.device("cpu"), INFO, 1, torch.Generator().manual_seed(0), create_attack,
                        steps_per_epoch=steps_per_epoch)


#: defenses whose loss is a bound that tightens as their budget ramps up: the loss rises by design, so "the loss
#: falls in 12 steps" is the wrong test; their training is tested where the bound is (tests/unit/test_certify.py)
TIGHTENING = {"ibp": "IBP's loss is the verified bound, which grows while eps ramps (tests/unit/test_certify.py trains it)"}


def build(name: str, **params):
    entry = DEFENSES.get(name)
    return entry.factory(**validate_params(entry.factory, params, f"train.defense[{name}]"))


@pytest.mark.parametrize("name", DEFENSES.names())
def test_every_defense_lowers_its_training_loss_at_its_defaults(name, digits_tensors):
    if name in TIGHTENING:
        pytest.skip(TIGHTENING[name])
    x, y, _, _ = digits_tensors
    x, y = x[:128], y[:128]
    torch.manual_seed(0)
    model = TinyNet.build()
    defense = build(name)
    ctx = context(model)
    defense.setup(ctx)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    losses = []
    for _ in range(12):
        loss = defense.loss(model, x, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ctx.step += 1
        losses.append(loss.item())
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < 0.9 * first, f"{name} at its defaults does not train: loss {first:.3f} -> {last:.3f}"
    # a falling loss alone is not enough: a collapsing penalty can fall while accuracy stays at chance
    with torch.no_grad():
        accuracy = (model.eval()(x).argmax(1) == y).float().mean().item()
    assert accuracy > 0.5, f"{name} at its defaults stays near chance ({accuracy:.2f}) on the batch it trained on"


def test_the_old_jacobian_reading_is_what_collapses(digits_tensors):
    """The check above can fail: c=500 on the summed L2 norm stays at chance."""
    x, y, _, _ = digits_tensors
    torch.manual_seed(0)
    model = TinyNet.build()
    defense = build("jacobian_reg", norm="l2", reduction="sum")
    defense.setup(context(model))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(12):
        optimizer.zero_grad()
        defense.loss(model, x[:128], y[:128]).backward()
        optimizer.step()
    accuracy = (model.eval()(x[:512]).argmax(1) == y[:512]).float().mean().item()
    assert accuracy < 0.5


def test_linear_warmup_ramps_over_epochs_or_steps():
    per_epoch = EpsSchedule("linear", warmup_epochs=2)
    assert per_epoch.factor(0, 10) == pytest.approx(1 / 20)
    assert per_epoch.factor(9, 10) == pytest.approx(0.5)
    assert per_epoch.factor(19, 10) == 1.0 and per_epoch.factor(500, 10) == 1.0
    assert EpsSchedule("linear", warmup_steps=4).factor(1, 999) == pytest.approx(0.5)
    assert EpsSchedule().factor(0, 10) == 1.0


def test_scheduled_attack_scales_eps_and_step_together(digits_tensors):
    x, y, _, _ = digits_tensors
    seen: list[dict] = []

    def recording_attack(spec, model):
        seen.append(dict(spec))
        return lambda xb, yb: xb

    model = TinyNet.build()
    defense = build("pgd_at", attack={"name": "pgd", "eps": "3/10", "alpha": 0.04, "steps": 10},
                    eps_schedule={"name": "linear", "warmup_epochs": 1})
    ctx = context(model, recording_attack, steps_per_epoch=4)
    defense.setup(ctx)
    for step in range(6):
        ctx.step = step
        defense.loss(model, x[:8], y[:8])
    factors = [spec["eps"] / 0.3 for spec in seen]
    assert factors == pytest.approx([0.25, 0.5, 0.75, 1.0])  # rebuilt only when the factor changes
    assert all(spec["alpha"] == pytest.approx(0.04 * f) for spec, f in zip(seen, factors))
    assert all(spec["steps"] == 10 for spec in seen)


def test_fgsm_rs_warmup_shrinks_its_first_perturbation(digits_tensors):
    x, y, _, _ = digits_tensors
    torch.manual_seed(0)
    model = TinyNet.build()
    captured: list[torch.Tensor] = []
    defense = build("fgsm_rs", eps=0.3, eps_schedule={"name": "linear", "warmup_steps": 10})
    defense.setup(context(model))
    original = model.forward
    model.forward = lambda inp: (captured.append(inp.detach()), original(inp))[1]  # type: ignore[method-assign]
    defense.loss(model, x[:16], y[:16])
    assert (captured[-1] - x[:16]).abs().max().item() <= 0.03 + 1e-6


@pytest.mark.parametrize("spec, message", [
    ({"name": "lineer", "warmup_epochs": 1}, "did you mean 'linear'"),
    ({"name": "linear", "warmup_epoch": 1}, "did you mean 'warmup_epochs'"),
    ({"name": "linear"}, "exactly one of warmup_epochs or warmup_steps"),
    ({"name": "linear", "warmup_steps": 2.5}, "whole number"),
    ({"name": "linear", "warmup_epochs": -1}, ">= 0"),
])
def test_bad_schedules_are_one_line_errors(spec, message):
    with pytest.raises(ParamError, match=message):
        build("pgd_at", eps_schedule=spec)


def test_schedule_parsing_and_spec_scaling():
    assert parse_eps_schedule(None) == EpsSchedule()
    assert parse_eps_schedule("constant") == EpsSchedule()
    assert parse_eps_schedule({"warmup_epochs": 1}) == EpsSchedule("linear", 1.0, 0)
    assert scaled_spec({"name": "pgd", "eps": "8/255", "steps": 3}, 0.5) == {"name": "pgd", "eps": 4 / 255, "steps": 3}
