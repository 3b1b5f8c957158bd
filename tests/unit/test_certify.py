"""Certification (issue 28): IBP and randomized smoothing, and the invariants that make them worth having.

- IBP's bounds contain every output the model can reach in the ball (sampled and PGD-searched);
- no IBP-certified example is broken by any attack robustx has, on an IBP-trained digits net;
- certified accuracy never rises with eps / radius;
- smoothing's radius is the closed form sigma * Phi^-1(p_A) on models whose p_A is known;
- the same command gives the same certificates; a recipe, ``robustx eval --certify`` and
  ``robustx.evaluate(certify=...)`` all give the bracket, saved per example.
The ``robustx_register_certifiers`` hook is exercised by every test that resolves ``ibp`` or ``smoothing``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
import yaml
from click.testing import CliRunner
from torch import nn

import robustx
from robustx.base.errors import ParamError, UnknownNameError

EPS = 0.05  # the budget the invariant test attacks at (8x8 digits, an IBP-trained small_cnn)
RECIPE = {
    "name": "ibp_digits", "description": "IBP training on digits for the certification tests", "seed": 0,
    "data": {"name": "digits", "batch_size": 64, "val_split": 0.1, "test_limit": 120},
    "model": {"name": "small_cnn"},
    "train": {"epochs": 8, "optimizer": {"name": "adam", "lr": 0.003}, "val_limit": 32,
              "defense": {"name": "ibp", "eps": 0.1, "kappa": 0.5, "warmup_epochs": 1, "ramp_epochs": 4}},
    "evaluate": {"attacks": ["clean", {"name": "fgsm", "eps": EPS}, {"name": "pgd", "eps": EPS, "steps": 10}],
                 "certify": [{"name": "ibp", "eps": [0.02, EPS, 0.1]},
                             {"name": "smoothing", "sigma": 0.25, "n0": 10, "n": 64, "radii": [0.1, 0.2]}]},
}


@pytest.fixture(scope="module")
def ibp_run(tmp_path_factory) -> Path:
    """A run of RECIPE: the ibp defense, then attacks and both certifiers (about 6 s on one thread)."""
    root = tmp_path_factory.mktemp("certify")
    (root / "ibp.yaml").write_text(yaml.safe_dump(RECIPE, sort_keys=False), encoding="utf-8")
    robustx.run_recipe(str(root / "ibp.yaml"), out=str(root / "runs"), device="cpu")
    (run,) = (root / "runs").iterdir()
    return run


def _digits_test(n: int = 120) -> tuple[torch.Tensor, torch.Tensor]:
    from robustx.datasets.bundle import open_dataset
    from robustx.host.manager import get_host

    test = open_dataset("digits", None, get_host()).test
    return test.as_float()[:n], test.y[:n]


def test_ibp_bounds_contain_every_reachable_output():
    from robustx_certify import ibp

    torch.manual_seed(0)
    for name, size in [("small_cnn", 8), ("fast_mnist_net", 28), ("resnet20", 8)]:  # resnet20: BN, residuals, slicing
        model = robustx.create_model(name, num_classes=10, in_channels=1, image_size=size, mean=[0.3], std=[0.4])
        x, y, eps = torch.rand(6, 1, size, size), torch.randint(0, 10, (6,)), 0.03 if name != "resnet20" else 1e-4
        logits, _, _ = ibp.propagate(model.eval(), *ibp.input_box(x, eps))
        bound = ibp.margin_lower_bound(model, x, y, eps).detach()
        points = [(x + eps * (2 * torch.rand_like(x) - 1)).clamp(0, 1) for _ in range(30)]
        delta = torch.zeros_like(x, requires_grad=True)  # and a PGD search for the smallest margin
        for _ in range(10):
            z = model((x + delta).clamp(0, 1))
            margin = z.gather(1, y[:, None]) - z
            margin.masked_fill(torch.nn.functional.one_hot(y, 10).bool(), 1e9).amin(1).sum().backward()
            delta.data = (delta - eps / 4 * delta.grad.sign()).clamp(-eps, eps)
            delta.grad = None
            points.append((x + delta.detach()).clamp(0, 1))
        with torch.no_grad():
            for point in points:
                z = model(point)
                slack = 1e-5 * (1 + logits.upper.abs().amax())  # float rounding of very wide bounds
                assert (z >= logits.lower - slack).all() and (z <= logits.upper + slack).all()
                margin = z.gather(1, y[:, None]) - z
                assert ((margin >= bound - slack) | torch.isinf(bound)).all()


def test_ibp_refuses_the_first_unsupported_layer_by_name():
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.GELU(), nn.Linear(16, 10))
    x, y = _digits_test(8)
    with pytest.raises(robustx.RobustxError, match=r"ibp: unsupported layer '2' \(GELU\)") as caught:
        robustx.evaluate(model, (x, y), ["clean"], certify=[{"name": "ibp", "eps": 0.1}])
    assert "\n" not in str(caught.value)


def test_certifier_specs_are_validated_with_did_you_mean():
    x, y = _digits_test(8)
    model = robustx.create_model("small_cnn", num_classes=10, in_channels=1, image_size=8)
    with pytest.raises(UnknownNameError, match="did you mean 'ibp'"):
        robustx.evaluate(model, (x, y), ["clean"], certify=[{"name": "ibpp", "eps": 0.1}])
    with pytest.raises(ParamError, match=r"certify\[0\]\.sigma"):
        robustx.evaluate(model, (x, y), ["clean"], certify=[{"name": "smoothing", "sigma": -1}])
    with pytest.raises(ParamError, match=r"evaluate\.certify\[0\]\.eps: must be <= 1, got 8"):
        from robustx.config.recipe import validate

        validate({**RECIPE, "evaluate": {**RECIPE["evaluate"], "certify": [{"name": "ibp", "eps": 8}]}})


#: full AutoAttack runs (~10 s each here): their parts run below (apgd, fab, square, autoattack_fast's APGD-T);
#: bench/bench_certify.py --invariant runs every attack, these included, at full strength
FULL_ENSEMBLES = ("autoattack", "autoattack_rand", "autoattack_reference")


def _linf_attacks(eps: float) -> list[dict]:
    """Every registered attack that can attack in Linf, at ``eps`` (minimum-norm ones count within eps),
    with their iteration counts cut where the factory has one (a certified example resists any count)."""
    import inspect

    from robustx.config.threat import declared_threat
    from robustx.host.manager import get_host

    cheap = {"steps": 10, "max_iter": 5, "n_queries": 200, "max_eval": 200, "init_eval": 10, "n_restarts": 1,
             "nb_restarts": 1, "binary_search_steps": 2, "num_random_init": 1, "initial_const": 1.0}
    specs = []
    for entry in get_host().registry("attack").entries():
        threat = declared_threat(entry.factory)
        if threat is None or (threat.norm not in (None, "Linf")) or entry.name in FULL_ENSEMBLES:
            continue
        params = inspect.signature(entry.factory).parameters
        spec = {"name": entry.name, **{k: v for k, v in cheap.items() if k in params}}
        if threat.norm_param:
            spec[threat.norm_param] = "Linf"
        if threat.eps_param:
            spec[threat.eps_param] = eps
        specs.append(spec)
    return specs


def test_no_certified_example_is_broken_by_any_attack(ibp_run):
    """certified <= true <= attacked, per example: every Linf attack robustx has, on the IBP-certified examples."""
    model = robustx.load_model(ibp_run)
    x, y = _digits_test()
    from robustx_certify import ibp

    proved = ibp.certified(model, x, y, EPS)
    assert 8 <= int(proved.sum()) < len(y)  # some certify, some do not: the test can fail
    attacks = _linf_attacks(EPS)
    assert {"pgd", "fgsm", "apgd", "autoattack_fast", "square", "fab", "cw_linf", "art:pgd"} <= {a["name"] for a in attacks}
    res = robustx.evaluate(model, (x[proved][:12], y[proved][:12]), ["clean", *attacks], batch_size=64)
    broken = {a["label"]: a["robust_accuracy"] for a in res["attacks"] if a.get("robust_accuracy", 1) < 1
              and not a.get("minimum_norm")}
    assert not broken, f"attacks broke IBP-certified examples: {broken}"
    (group,) = [g for g in res["threat_models"] if g["norm"] == "Linf"]
    assert group["robust_accuracy"] == 1.0  # minimum-norm attacks' perturbations within eps included


def test_certified_accuracy_never_rises_with_the_budget(ibp_run):
    model = robustx.load_model(ibp_run)
    x, y = _digits_test()
    from robustx_certify import ibp

    budgets = [0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.2]
    proved = [ibp.certified(model, x, y, eps) if eps else model(x).argmax(1) == y for eps in budgets]
    for smaller, larger in zip(proved, proved[1:]):
        assert not (larger & ~smaller).any()  # per example: proved at a larger eps => proved at every smaller one
    results = json.loads((ibp_run / "results.json").read_text())
    for row in results["certified"]:
        values = [row["certified_accuracy"][k] for k in sorted(row["certified_accuracy"], key=float)]
        assert values == sorted(values, reverse=True) and row["clean_accuracy"] >= values[0]


class _Linear(nn.Module):
    """Two classes split by the hyperplane w.x = b: under N(0, sigma^2 I), P(class 1) = Phi((w.x - b) / (sigma |w|))."""

    def __init__(self, w: torch.Tensor, b: float) -> None:
        super().__init__()
        self.w, self.b = w, b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score = x.flatten(1) @ self.w.flatten() - self.b
        return torch.stack([-score, score], 1)


def test_smoothing_radius_is_the_closed_form():
    from robustx_certify.smoothing import Smoothed, lower_confidence_bound
    from scipy.stats import beta, norm

    sigma, alpha, n = 0.5, 0.001, 20000
    # a constant classifier: p_A = 1 exactly, so p_A lower = alpha ** (1 / n) and the radius is exact
    constant = Smoothed(lambda z: torch.tensor([[0.0, 1.0]]).expand(len(z), 2), 2, sigma, batch_size=5000)
    top, radius, p_lower = constant.certify(torch.zeros(1, 2, 2), 0, 100, n, alpha)
    assert top == 1 and p_lower == pytest.approx(alpha ** (1 / n), rel=1e-9)
    assert radius == pytest.approx(sigma * norm.ppf(alpha ** (1 / n)), rel=1e-9)
    # a linear classifier: the smoothed classifier's exact robust radius is the distance to the hyperplane,
    # sigma * Phi^-1(p_A); CERTIFY's must be below it and close with n = 20000 draws
    w = torch.tensor([[[1.0, 2.0], [0.0, -2.0]]])
    for distance in (0.1, 0.4, 0.9):
        x = torch.zeros(1, 2, 2) + (distance * w / w.norm())  # at `distance` from the hyperplane w.x = 0
        smooth = Smoothed(_Linear(w, 0.0), 2, sigma, batch_size=5000, seed=3)
        top, radius, p_lower = smooth.certify(x, 0, 100, n, alpha)
        p_a = norm.cdf(distance / sigma)
        assert top == 1 and radius <= distance + 1e-9 and radius >= distance - 0.06
        counts = smooth.sample_counts(x, n, smooth.generator(0, 1, x.device))
        assert p_lower == lower_confidence_bound(int(counts[1]), n, alpha) == pytest.approx(
            beta.ppf(alpha, int(counts[1]), n - int(counts[1]) + 1))
        assert abs(int(counts[1]) / n - p_a) < 0.02
        assert radius == pytest.approx(sigma * norm.ppf(p_lower))


def test_smoothing_is_seeded_per_example():
    model = robustx.create_model("small_cnn", num_classes=10, in_channels=1, image_size=8)
    x, y = _digits_test(12)
    spec = {"name": "smoothing", "sigma": 0.25, "n0": 8, "n": 40, "radii": [0.1]}
    runs = [robustx.evaluate(model, (x, y), ["clean"], certify=[spec], batch_size=b) for b in (4, 12, 12)]
    rows = [r["certified"][0] for r in runs]
    assert rows[0]["certified_accuracy"] == rows[1]["certified_accuracy"] == rows[2]["certified_accuracy"]
    from robustx.datasets.batches import DeviceImageSet
    from robustx.datasets.bundle import ImageSet
    from robustx.evaluation.certification import run_certifiers
    from robustx.host.manager import get_host

    full = run_certifiers(model, DeviceImageSet(ImageSet(x, y), torch.device("cpu")), [spec], get_host(), batch_size=5)
    head = run_certifiers(model, DeviceImageSet(ImageSet(x[:5], y[:5]), torch.device("cpu")), [spec], get_host())
    assert torch.equal(full[0].tensors["p_lower"][:5], head[0].tensors["p_lower"])  # a --limit changes nothing


def test_recipe_writes_the_bracket_and_per_example_certificates(ibp_run):
    results = json.loads((ibp_run / "results.json").read_text())
    (group,) = results["threat_models"]
    assert group["eps"] == EPS and group["certified_by"] == ["ibp"] and group["certified_but_broken"] == 0
    assert 0 < group["certified_accuracy"] <= group["robust_accuracy"] <= results["clean_accuracy"]
    assert group["bracket_width"] == pytest.approx(group["robust_accuracy"] - group["certified_accuracy"])
    smooth = next(r for r in results["certified"] if r["smoothed"])
    assert smooth["classifier"] == "smoothed (sigma=0.25)" and "abstain_rate" in smooth
    markdown = (ibp_run / "results.md").read_text()
    assert "## Certified accuracy" in markdown and f"certified {100 * group['certified_accuracy']:.1f}% <= true" in markdown
    from robustx.evaluation import certificates

    labels, saved = certificates.load(ibp_run / "eval")
    assert len(labels) == 120 and [c.spec["name"] for c in saved] == ["ibp", "smoothing"]
    assert float((saved[0].radius >= EPS).float().mean()) == pytest.approx(group["certified_accuracy"])
    recipe = yaml.safe_load((ibp_run / "recipe.yaml").read_text())
    assert recipe["evaluate"]["certify"][1]["alpha"] == 0.001  # defaults written out: the certificate's terms


def test_eval_cli_adds_a_certifier_to_a_finished_run(ibp_run):
    from robustx.cli import cli

    result = CliRunner().invoke(cli, ["eval", str(ibp_run), "--quiet", "--attack", f"pgd eps={EPS} steps=10",
                                      "--certify", f"ibp eps={EPS}", "--certify", "{name: ibp, eps: [0.02, 0.05, 0.1]}"])
    assert result.exit_code == 0, result.output
    assert f"Linf {EPS}: certified" in result.output and "<= true <=" in result.output
    written = json.loads(Path(result.output.strip().splitlines()[-1].split("written: ")[1]).read_text())
    rows = written["certified"]
    assert rows[1].get("reused") and not rows[0].get("reused")  # the recipe's IBP spec was not run again
    bad = CliRunner().invoke(cli, ["eval", str(ibp_run), "--certify", "ibp epz=0.1"])
    assert bad.exit_code != 0 and "epz" in bad.output and len(bad.output.strip().splitlines()) == 1


def test_gaussian_aug_trains_on_noisy_inputs():
    from robustx.host.manager import get_host
    from robustx.train.defense import TrainContext

    defense = get_host().registry("defense").create("gaussian_aug", sigma=0.5)
    model = robustx.create_model("small_cnn", num_classes=10, in_channels=1, image_size=8)
    x, y = _digits_test(16)
    gen = torch.Generator().manual_seed(0)
    defense.setup(TrainContext(model, torch.device("cpu"), None, 1, gen, lambda s, m: None))
    noisy, clean = defense.loss(model, x, y), torch.nn.functional.cross_entropy(model(x), y)
    noisy, clean = float(noisy.detach()), float(clean.detach())
    assert math.isfinite(noisy) and noisy != pytest.approx(clean)


def test_the_bracket_reads_the_same_in_every_table():
    """Terminal and results.md (robustx.evaluation.results), studies' table.md (threat_summary) and the HTML report's rows."""
    from robustx_analyses.results_view import threat_rows

    from robustx.evaluation.results import markdown, terminal_table, threat_summary

    results = {"schema_version": 2, "clean_accuracy": 0.9, "n": 10, "worst_case_accuracy": 0.8,
               "worst_case_threat_model": {"norm": "Linf", "eps": 0.1}, "unspecified": [],
               "attacks": [{"name": "clean", "label": "clean", "params": {}, "robust_accuracy": 0.9, "n": 10, "seconds": 0},
                           {"name": "pgd", "label": "pgd", "params": {"eps": 0.1}, "norm": "Linf", "eps": 0.1,
                            "robust_accuracy": 0.8, "n": 10, "seconds": 1.0}],
               "threat_models": [{"norm": "Linf", "eps": 0.1, "robust_accuracy": 0.8, "attacks": ["pgd"],
                                  "certified_accuracy": 0.6, "certified_by": ["ibp"], "bracket_width": 0.2,
                                  "certified_but_broken": 0}],
               "certified": [{"name": "smoothing", "label": "smoothing", "params": {}, "norm": "L2", "smoothed": True,
                              "classifier": "smoothed (sigma=0.25)", "certified_accuracy": {"0.5": 0.4},
                              "clean_accuracy": 0.85, "abstain_rate": 0.05, "n": 10, "seconds": 2.0}]}
    line = "Linf 0.1: certified 60.0% <= true <= 80.0% attacked (width 20.0 points"
    assert line in terminal_table(results) and line in markdown(results, "t") and line in threat_summary(results)
    assert "smoothed (sigma=0.25) classifier" in threat_summary(results)
    assert "| smoothing | smoothed (sigma=0.25) | L2 | 0.5 | 40.00 | - | - |" in markdown(results, "t")
    rows = threat_rows(results)
    assert rows[0]["text"].startswith("certified 60.0% \u2264 true \u2264 80.0% attacked (width 20.0 points")
    assert rows[1]["label"].startswith("smoothed (sigma=0.25)") and rows[1]["value"] is None
    results["threat_models"][0]["certified_but_broken"] = 2
    assert "WARNING: 2 certified examples were broken" in terminal_table(results)


def test_ibp_training_schedule_ramps_eps_and_kappa_as_gowal():
    """Clean warm-up, then eps 0 -> eps and kappa 1 -> kappa linearly over the ramp, then constant."""
    from robustx.host.manager import get_host
    from robustx.train.defense import TrainContext

    defense = get_host().registry("defense").create("ibp", eps=0.4, kappa=0.5, warmup_epochs=1, ramp_epochs=2)
    model = robustx.create_model("small_cnn", num_classes=10, in_channels=1, image_size=8)
    ctx = TrainContext(model, torch.device("cpu"), None, 5, torch.Generator(), lambda s, m: None, steps_per_epoch=10)
    defense.setup(ctx)
    x, y = _digits_test(8)
    seen = []
    for step in (0, 9, 14, 19, 29, 45):
        ctx.step, ctx.stats = step, {}
        defense.loss(model, x, y)
        seen.append((round(ctx.stats["ibp_eps"], 6), round(ctx.stats["ibp_kappa"], 6)))
    assert seen == [(0.0, 1.0), (0.0, 1.0), (0.1, 0.875), (0.2, 0.75), (0.4, 0.5), (0.4, 0.5)]


def test_a_certificate_an_attack_breaks_is_counted():
    """The runtime invariant check can fail: a (wrong) certificate on an example an attack broke is counted."""
    from robustx.evaluation.certificates import CertOutcome
    from robustx.evaluation.certification import attach
    from robustx.evaluation.worstcase import AttackOutcome, Outcomes, summarize

    clean = torch.ones(4)
    pgd = AttackOutcome({"name": "pgd", "label": "pgd", "norm": "Linf", "eps": 0.1}, {"name": "pgd"},
                        torch.tensor([1.0, 0.0, 1.0, 0.0]))
    outcomes = Outcomes(torch.zeros(4, dtype=torch.long), clean, [pgd])
    results = {"threat_models": summarize(outcomes)["threat_models"]}
    claims = CertOutcome({"label": "liar", "norm": "Linf", "smoothed": False}, {"name": "liar"},
                         {"radius": torch.tensor([0.1, 0.1, 0.0, -1.0])})
    (group,) = attach(results, [claims], outcomes)["threat_models"]
    assert group["certified_accuracy"] == 0.5 and group["robust_accuracy"] == 0.5
    assert group["certified_but_broken"] == 1  # example 1: "certified" at 0.1, broken by pgd


def test_a_graph_traced_while_training_never_bounds_the_eval_model():
    """inference_noise is off while training and on in eval: IBP may train through it but must refuse to certify it."""
    from robustx_certify import ibp

    from robustx.evaluation.stochastic import training_phase

    model = robustx.create_model("small_cnn", num_classes=10, in_channels=1, image_size=8,
                                 transforms=[{"name": "inference_noise", "sigma": 0.1}])
    x, y = _digits_test(4)
    with training_phase():
        assert ibp.worst_case_logits(model.train(), x, y, 0.1).shape == (4, 10)
    with pytest.raises(ibp.UnsupportedModelError, match="randn_like"):
        ibp.certified(model.eval(), x, y, 0.1)
