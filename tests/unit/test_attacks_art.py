"""The ART plugin: parameter validation, faithfulness to ART, the lazy classifier, targets and seeding."""

from __future__ import annotations

import subprocess
import sys

import pytest

from robustx.base.errors import ParamError
from robustx.config.params import validate_params
from robustx.host.manager import PluginHost

REGISTRY = PluginHost().registry("attack")




def check(name: str, params: dict) -> dict:
    return validate_params(REGISTRY.get(name).factory, params, "x", positional=1)


def test_registers_the_art_names() -> None:
    expected = {"art:pgd", "art:fgsm", "art:cw", "art:square", "art:hopskipjump", "art:boundary", "art:deepfool",
                "cw"}
    assert {e.name for e in REGISTRY if e.plugin == "art"} == expected


@pytest.mark.parametrize("name, params, message", [
    ("art:pgd", {"eps": -1}, r"x\.eps: must be >= 0"),
    ("art:pgd", {"max_iter": 0}, r"x\.max_iter: must be >= 1"),
    ("art:pgd", {"eps_stepp": 0.1}, r"unknown parameter \(did you mean 'eps_step'\?\)"),
    ("art:pgd", {"norm": "Linf2"}, r"did you mean 'Linf'"),
    ("art:cw", {"norm": "L1"}, r"is not one of 'L2', 'Linf'"),
    ("art:hopskipjump", {"max_eval": 0}, r"x\.max_eval: must be >= 1"),
    ("art:boundary", {"step_adapt": 1.5}, r"x\.step_adapt: must be < 1"),
    ("art:square", {"targeted": "random"}, r"unknown parameter"),
])
def test_rejects_bad_params(name: str, params: dict, message: str) -> None:
    with pytest.raises(ParamError, match=message):
        check(name, params)


def test_pgd_matches_art_exactly(tiny_model, sample_batch) -> None:
    import numpy as np
    import torch
    from art.attacks.evasion import ProjectedGradientDescent
    from art.estimators.classification import PyTorchClassifier

    x, y = sample_batch
    np.random.seed(3)
    torch.manual_seed(3)
    ours = REGISTRY.create("art:pgd", tiny_model, eps=0.1, eps_step=0.02, max_iter=5, num_random_init=1)(x, y)
    classifier = PyTorchClassifier(tiny_model, loss=torch.nn.CrossEntropyLoss(), input_shape=(1, 8, 8),
                                   nb_classes=10, clip_values=(0.0, 1.0), device_type="cpu")
    attack = ProjectedGradientDescent(classifier, eps=0.1, eps_step=0.02, max_iter=5, num_random_init=1,
                                      batch_size=32, verbose=False)
    np.random.seed(3)
    torch.manual_seed(3)
    theirs = attack.generate(x.numpy(), y=y.numpy())
    assert np.array_equal(ours.numpy(), theirs)
    assert not torch.equal(ours, x)


def test_classifier_is_built_on_the_first_call_from_the_model(tiny_model, sample_batch) -> None:
    x, y = sample_batch
    attack = REGISTRY.create("art:fgsm", tiny_model, eps=0.1)
    assert attack.classifier is None
    attack(x, y)
    assert attack.classifier.nb_classes == 10
    assert tuple(attack.classifier.input_shape) == (1, 8, 8)
    assert not tiny_model.training
    assert (attack.norm, attack.eps) == ("Linf", 0.1)


def test_decision_attacks_survive_float64_queries_and_declare_no_budget(tiny_model, sample_batch) -> None:
    """HopSkipJump queries the model with float64 arrays; the wrapper casts them for a float32 model."""
    x, y = sample_batch[0][:4], sample_batch[1][:4]
    attack = REGISTRY.create("art:hopskipjump", tiny_model, max_iter=1, max_eval=20, init_eval=5, init_size=20,
                             seed=0)
    x_adv = attack(x, y)
    assert x_adv.dtype == x.dtype and x_adv.shape == x.shape
    assert (attack.norm, attack.eps) == (None, None)


def test_seed_param_repeats_and_leaves_global_rngs_alone(tiny_model, sample_batch) -> None:
    import numpy as np
    import torch

    x, y = sample_batch
    attack = REGISTRY.create("art:boundary", tiny_model, max_iter=2, num_trial=3, sample_size=3, init_size=10,
                             seed=11)
    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state()
    first, second = attack(x[:4], y[:4]), attack(x[:4], y[:4])
    assert torch.equal(first, second)
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_private_random_states_follow_the_global_seed() -> None:
    import numpy as np
    from robustx_art.seeding import random_states_from_global_seed

    original = np.random.RandomState
    draws = []
    for _ in range(2):
        np.random.seed(5)
        with random_states_from_global_seed():
            draws.append(np.random.RandomState().uniform(size=3))
            explicit = np.random.RandomState(9).uniform(size=3)
    assert np.array_equal(draws[0], draws[1])
    assert np.array_equal(explicit, original(9).uniform(size=3))
    assert np.random.RandomState is original


def test_pick_targets(tiny_model, sample_batch) -> None:
    import torch
    from robustx_art.targets import pick_targets

    x, y = sample_batch
    logits = tiny_model(x)
    least = pick_targets(tiny_model, x, y, "least_likely")
    assert (least != y).all()
    assert torch.equal(logits.gather(1, least.view(-1, 1)).squeeze(1),
                       logits.scatter(1, y.view(-1, 1), float("inf")).min(1).values)
    torch.manual_seed(0)
    random = pick_targets(tiny_model, x, y, "random")
    assert (random != y).all() and random.min() >= 0 and random.max() <= 9
    assert len(set(random.tolist())) > 3


def test_boundary_is_untargeted_by_default_unlike_art(tiny_model, sample_batch) -> None:
    """ART's BoundaryAttack defaults to targeted=True, which would steer towards the true label."""
    x, y = sample_batch[0][:8], sample_batch[1][:8]
    attack = REGISTRY.create("art:boundary", tiny_model, max_iter=2, num_trial=3, sample_size=3, init_size=20,
                             seed=0)
    assert (tiny_model(attack(x, y)).argmax(1) != y).float().mean() >= 0.5


def test_plugin_import_does_not_load_heavy_libraries() -> None:
    code = ("import sys, robustx_art; heavy = {'torch', 'art', 'numpy'} & set(sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cw_binary_search_shrinks_the_perturbations(tiny_model, sample_batch) -> None:
    """``cw`` is C&W-L2 with ART's binary search over c: more search rounds keep, per example, the smallest
    successful perturbation, so norms only shrink (and successes stay) compared to one large constant."""
    import torch

    x, y = sample_batch
    one = REGISTRY.create("cw", tiny_model, c=10.0, steps=10, binary_search_steps=1)(x, y)
    searched = REGISTRY.create("cw", tiny_model, c=10.0, steps=10, binary_search_steps=4)(x, y)
    with torch.no_grad():
        fooled_one = tiny_model(one).argmax(1) != y
        fooled = tiny_model(searched).argmax(1) != y
    assert fooled_one.float().mean() > 0.5 and bool((fooled >= fooled_one).all())
    norm_one = (one - x).flatten(1).norm(dim=1)[fooled_one]
    norm_searched = (searched - x).flatten(1).norm(dim=1)[fooled_one]
    assert bool((norm_searched <= norm_one + 1e-5).all()) and int((norm_searched < norm_one - 1e-2).sum()) >= 5
