"""Analyses: decision surfaces, attack paths, parameter landscapes, indicator, curves, report."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Annotated

import pytest
from helpers import heavy_modules_after
from tiny_run import tiny_run

from robustx.config.markers import Range
from robustx.host.hookspecs import hookimpl
from robustx.host.manager import PluginHost

torch = pytest.importorskip("torch")


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    """A real run directory written by the pipeline (tests/tiny_run.py), shared by the session."""
    return tiny_run(tmp_path_factory)


@pytest.fixture(scope="session")
def attack_registry():
    return PluginHost().registry("attack")


@pytest.fixture
def run_copy(run_dir, tmp_path):
    """A private copy of the shared run, for commands that write into RUN_DIR/analysis."""
    import shutil

    return Path(shutil.copytree(run_dir, tmp_path / run_dir.name))


def _report_input(run_dir, name=None, **changes):
    from robustx_analyses.report_input import load_report_input

    inp = load_report_input(run_dir)
    return dataclasses.replace(inp, name=name or inp.name, **changes)


# -- margin ---------------------------------------------------------------------------------
def test_logit_margin_is_true_logit_minus_best_other():
    from robustx_analyses.margin import logit_margin

    logits = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 1.0], [1.0, 1.0, -4.0]])
    y = torch.tensor([0, 2, 1])
    assert logit_margin(logits, y).tolist() == [1.0, -4.0, 0.0]


def test_decision_surface_at_origin_equals_margin(tiny_model, sample_batch):
    from robustx_analyses.margin import logit_margin
    from robustx_analyses.surfaces import decision_surfaces

    x, y = sample_batch[0][:3], sample_batch[1][:3]
    with torch.no_grad():
        expected = logit_margin(tiny_model(x), y)
    for direction in ("random", "ce", "ll", "cw"):
        surfaces = decision_surfaces(tiny_model, x, y, direction=direction, radius=0.2, grid=7)
        centers = torch.stack([s.margin[3, 3] for s in surfaces])
        torch.testing.assert_close(centers, expected, rtol=1e-5, atol=1e-5)
        assert all(s.a[3] == 0 and s.b[3] == 0 for s in surfaces)


def _linear_model(weight, bias):
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(weight.shape[1], weight.shape[0]))
    with torch.no_grad():
        net[1].weight.copy_(weight)
        net[1].bias.copy_(bias)
    return net.eval()


def test_linear_two_class_surface_is_the_closed_form_plane():
    """For z = Wx + c with two classes, g(x + a u + b v) = g0 + a (w_y - w_o).u + b (w_y - w_o).v exactly."""
    from robustx_analyses.surfaces import boundary_distance_along_u, decision_surfaces

    gen = torch.Generator().manual_seed(1)
    weight, bias = torch.randn(2, 16, generator=gen), torch.tensor([0.3, -0.2])
    model = _linear_model(weight, bias)
    x = torch.rand(1, 1, 4, 4, generator=gen)
    y = model(x).argmax(1).detach()  # correctly classified: g(x) > 0
    w = weight[int(y)] - weight[1 - int(y)]
    g0 = float(w @ x.flatten() + bias[int(y)] - bias[1 - int(y)])
    crossing = g0 / w.abs().sum().item()  # where g = 0 along the CE sign direction
    (surface,) = decision_surfaces(model, x, y, direction="ce", radius=1.5 * crossing, grid=21)
    gu, gv = float(w @ surface.u.flatten()), float(w @ surface.v.flatten())
    expected = g0 + surface.a[None, :] * gu + surface.b[:, None] * gv
    torch.testing.assert_close(surface.margin, expected, rtol=1e-5, atol=1e-5)
    # the CE ascent direction is the sign of the gradient: it lowers g at exactly ||w||_1 per unit a
    assert gu == pytest.approx(-w.abs().sum().item(), rel=1e-5)
    # the boundary g = 0 crosses the b = 0 line at a = g0 / ||w||_1 (linear interpolation is exact here)
    assert g0 > 0 and boundary_distance_along_u(surface) == pytest.approx(crossing, rel=1e-4)
    # the g = 0 contour runs through the plane: both signs, split along the closed-form line
    assert bool((surface.margin > 0).any()) and bool((surface.margin < 0).any())
    assert torch.equal(surface.margin[expected.abs() > 1e-4] > 0, expected[expected.abs() > 1e-4] > 0)


def test_linear_multiclass_surface_matches_closed_form():
    """With K classes the margin is piecewise linear: z_y - max_j z_j of exact linear logits."""
    from robustx_analyses.surfaces import decision_surfaces

    gen = torch.Generator().manual_seed(3)
    weight, bias = torch.randn(5, 9, generator=gen), torch.randn(5, generator=gen)
    model = _linear_model(weight, bias)
    x, y = torch.rand(2, 1, 3, 3, generator=gen), torch.tensor([1, 4])
    surfaces = decision_surfaces(model, x, y, direction="random", random_kind="gaussian", radius=2.0, grid=15)
    for i, s in enumerate(surfaces):
        z0 = weight @ x[i].flatten() + bias
        zu, zv = weight @ s.u.flatten(), weight @ s.v.flatten()
        z = z0[None, None, :] + s.a[None, :, None] * zu + s.b[:, None, None] * zv  # (G, G, K)
        others = z.clone()
        others[..., int(y[i])] = float("-inf")
        expected = z[..., int(y[i])] - others.amax(-1)
        torch.testing.assert_close(s.margin, expected, rtol=1e-4, atol=1e-4)
        assert s.u.flatten().norm().item() == pytest.approx(1.0, rel=1e-5)  # gaussian = unit L2


def test_random_sign_directions_are_unit_linf():
    from robustx_analyses.directions import random_direction

    d = random_direction((4, 1, 8, 8), "sign", torch.Generator().manual_seed(0))
    assert set(d.unique().tolist()) == {-1.0, 1.0}


# -- trajectories ---------------------------------------------------------------------------
def test_pgd_path_projection_and_residual(tiny_model, sample_batch):
    from robustx_analyses.trajectories import pgd_path, project

    x, y = sample_batch[0][:4], sample_batch[1][:4]
    path = pgd_path(tiny_model, x, y, eps=0.1, alpha=0.025, steps=5, generator=torch.Generator().manual_seed(0))
    assert path.deltas.shape == (6, 4, 1, 8, 8)
    assert float(path.deltas.abs().max()) <= 0.1 + 1e-6
    assert float(path.margins[-1].mean()) < float(path.margins[0].mean())  # the attack lowers g
    u, v = path.deltas[-1, 0], torch.randn(1, 8, 8)
    coords = project(path.deltas[:, 0], u, v)
    assert coords["a"][-1].item() == pytest.approx(1.0, abs=1e-4)  # last iterate is u itself
    assert coords["residual_l2"][-1].item() == pytest.approx(0.0, abs=1e-4)
    mixed = 0.3 * u + 0.2 * v + torch.randn(1, 8, 8) * 1e-3
    c = project(mixed[None], u, v)
    assert (c["a"].item(), c["b"].item()) == pytest.approx((0.3, 0.2), abs=1e-2)


# -- indicator ------------------------------------------------------------------------------
def _smooth_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(9, 12), torch.nn.Tanh(),
                               torch.nn.Linear(12, 12), torch.nn.Softplus(), torch.nn.Linear(12, 4)).double().eval()


def test_hvp_power_iteration_and_lanczos_match_dense_hessian():
    from robustx_analyses.indicator import autograd_hvp, lanczos, power_iteration
    from robustx_analyses.margin import logit_margin

    model = _smooth_model()
    x, y = torch.rand(2, 1, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 2])
    hvp = autograd_hvp(model, x, y)
    power = power_iteration(hvp, x.shape, iters=300)
    top = lanczos(lambda v: hvp(v.double()), x.shape, steps=9, k=3)
    for i in range(2):
        dense = torch.autograd.functional.hessian(
            lambda z: logit_margin(model(z.view(1, 1, 3, 3)), y[i : i + 1]).sum(), x[i].flatten())
        eig = torch.linalg.eigvalsh(dense)
        by_magnitude = eig[eig.abs().argsort(descending=True)]
        assert power[i].item() == pytest.approx(by_magnitude[0].item(), rel=1e-3)
        torch.testing.assert_close(top[i].double(), by_magnitude[:3], rtol=1e-3, atol=1e-5)


def test_relu_nets_have_zero_exact_hessian_and_auto_switches_to_finite_differences(tiny_model, sample_batch):
    from robustx_analyses.indicator import autograd_hvp, robustness_indicator

    x, y = sample_batch[0][:4], sample_batch[1][:4]
    assert float(autograd_hvp(tiny_model, x, y)(torch.randn_like(x)).abs().max()) == 0.0
    result = robustness_indicator(tiny_model, x, y, eps=0.1, lanczos_steps=5)
    assert result["method"] == "finite_difference"
    assert all(v >= 0 for v in result["per_example"]["hessian_top_abs"])
    smooth = robustness_indicator(_smooth_model(), torch.rand(3, 1, 3, 3, dtype=torch.float64),
                                  torch.tensor([0, 1, 2]), lanczos_steps=5)
    assert smooth["method"] == "autograd"


def test_jacobian_norms_match_autograd(tiny_model, sample_batch):
    from robustx_analyses.indicator import jacobian_stats, margin_and_jacobian, robustness_indicator
    from robustx_analyses.margin import logit_margin

    x, y = sample_batch[0][:3], sample_batch[1][:3]
    _, jac, _ = margin_and_jacobian(tiny_model, x, y)
    result = robustness_indicator(tiny_model, x, y, lanczos_steps=2)
    for i in range(3):
        single = torch.autograd.functional.jacobian(lambda z: logit_margin(tiny_model(z[None]), y[i : i + 1])[0], x[i])
        torch.testing.assert_close(jac[i], single)
        flat = single.flatten()
        assert result["per_example"]["jacobian_l1"][i] == pytest.approx(flat.abs().sum().item(), rel=1e-5)
        assert result["per_example"]["jacobian_l2"][i] == pytest.approx(flat.norm().item(), rel=1e-5)
        assert result["per_example"]["jacobian_linf"][i] == pytest.approx(flat.abs().max().item(), rel=1e-5)
    stats = jacobian_stats(torch.tensor([[1.0, -0.5, 0.001, 0.0, -0.009]]), sparsity_tol=1e-2)
    assert stats["sparsity"].item() == pytest.approx(3 / 5)  # |J_i| <= 1% of max |J|


def test_rank_correlation():
    from robustx_analyses.errors import AnalysisError
    from robustx_analyses.indicator import rank_correlation

    result = rank_correlation([5.0, 3.0, 1.0, 0.5], [0.0, 0.1, 0.3, 0.5])
    assert result["spearman_rho"] == pytest.approx(-1.0)
    with pytest.raises(AnalysisError):
        rank_correlation([1.0, 2.0], [0.1, 0.2])


# -- parameter space ------------------------------------------------------------------------
def test_filter_normalized_directions(tiny_model, sample_batch):
    from robustx_analyses.landscape import filter_normalized_direction, param_loss_surface

    direction = filter_normalized_direction(tiny_model, torch.Generator().manual_seed(0))
    for name, weight in tiny_model.named_parameters():
        d = direction[name]
        if weight.dim() <= 1:
            assert float(d.abs().max()) == 0.0, name  # biases are not moved
        else:
            torch.testing.assert_close(d.flatten(1).norm(dim=1), weight.flatten(1).norm(dim=1))
            assert not torch.allclose(d, weight)
    before = [p.clone() for p in tiny_model.parameters()]
    x, y = sample_batch
    result = param_loss_surface(tiny_model, x, y, grid=3, radius=0.5)
    with torch.no_grad():
        loss = torch.nn.functional.cross_entropy(tiny_model(x), y).item()
    assert result["loss"][1, 1].item() == pytest.approx(loss, rel=1e-5)
    assert result["loss"].max() > result["loss"][1, 1]
    assert all(torch.equal(a, b) for a, b in zip(before, tiny_model.parameters()))


# -- curves ---------------------------------------------------------------------------------
def test_robustness_curve_pgd_is_monotone_and_reaches_zero(tiny_model, digits_tensors, attack_registry):
    from robustx_analyses.curves import robustness_curve

    _, _, xt, yt = digits_tensors
    curve = robustness_curve(tiny_model, xt[:64], yt[:64], attack="pgd", params={"steps": 5},
                             eps_values=[0.0, 0.02, 0.05], registry=attack_registry)
    with torch.no_grad():
        clean = (tiny_model(xt[:64]).argmax(1) == yt[:64]).float().mean().item()
    assert curve["eps"][0] == 0.0 and curve["accuracy"][0] == pytest.approx(clean)
    assert curve["eps"][:3] == pytest.approx([0.0, 0.02, 0.05])
    assert len(curve["eps"]) > 3  # extended past the given list until accuracy hit 0
    assert curve["reached_zero"] and curve["cumulative"][-1] == 0.0
    for key in ("accuracy", "cumulative"):
        values = curve[key]
        assert all(b <= a for a, b in zip(values, values[1:])), (key, values)
    assert all(c <= a for a, c in zip(curve["accuracy"], curve["cumulative"]))


def test_robustness_curve_rejects_bad_attack_params(tiny_model, sample_batch, attack_registry):
    from robustx_analyses.curves import robustness_curve

    from robustx.base.errors import ParamError, UnknownNameError

    x, y = sample_batch
    with pytest.raises(ParamError):
        robustness_curve(tiny_model, x, y, attack="pgd", params={"steps": 0}, registry=attack_registry)
    with pytest.raises(UnknownNameError):
        robustness_curve(tiny_model, x, y, attack="no_such_attack", registry=attack_registry)


# -- run directories, registry, report ------------------------------------------------------
def test_report_input_reads_the_real_run_through_rundir(run_dir):
    from robustx_analyses.report_input import ReportInput

    from robustx.runs.rundir import load_run

    run = load_run(run_dir)
    inp = ReportInput.from_run(run)
    assert inp.host is run.host and inp.path == run_dir and inp.name == run_dir.name
    assert [m["epoch"] for m in inp.metrics] == [1, 2, 3] and [p["epoch"] for p in inp.tracked_probs] == [0, 1, 2, 3]
    assert inp.tracked_x.shape == (10, 1, 8, 8) and inp.tracked_y.dtype == torch.long
    assert inp.default_eps() == pytest.approx(0.1) and inp.recipe["model"]["name"] == "small_cnn"
    assert inp.class_names == [str(k) for k in range(10)]
    # the loaded model is the saved best epoch: its probabilities are the ones tracked after that epoch
    best = inp.results["best_epoch"]
    with torch.no_grad():
        probs = inp.model(inp.tracked_x).softmax(1)
    torch.testing.assert_close(probs, torch.tensor(inp.tracked_probs[best]["probs"]), atol=1e-4, rtol=0)
    x, y = inp.sample(5, "test")
    assert x.shape == (5, 1, 8, 8) and torch.equal(x[:5], inp.tracked_x[:5]) and torch.equal(y, inp.tracked_y[:5])


def test_test_helpers_are_not_installed():
    import importlib.util

    assert importlib.util.find_spec("robustx_analyses.testing") is None
    assert importlib.util.find_spec("robustx_analyses.rundir") is None  # runs are read by robustx.runs.rundir only


#: each analysis's cheap parameters, declared next to its factory (``@component(..., smoke={...})``)
SMOKE = {entry.name: entry.smoke for entry in PluginHost().registry("analysis") if entry.smoke is not None}
ANALYSIS_NAMES = PluginHost().registry("analysis").names()


def test_every_analysis_is_registered():
    assert set(ANALYSIS_NAMES) >= {"decision_surface", "trajectories", "param_landscape", "indicator",
                                   "robustness_curve", "tradeoff", "training_dynamics", "pgd_stepthrough",
                                   "html_report"}


@pytest.mark.parametrize("name", ANALYSIS_NAMES)
def test_analysis_runs_through_the_registry(name, run_dir, tmp_path):
    """Every registered analysis: recipe-style params validate, it runs on the core's context, writes what it says."""
    from robustx.config.components import check_spec
    from robustx.runs.rundir import AnalysisContext, load_run

    entry = PluginHost().registry("analysis").get(name)
    params = check_spec("analysis", {"name": name, **SMOKE.get(name, {})}, f"report.analyses.{name}")
    analysis = entry.factory(**{k: v for k, v in params.items() if k != "name"})
    summary = analysis(AnalysisContext(run_dir, run=load_run(run_dir), out_dir=tmp_path))
    assert isinstance(summary, dict) and summary
    json.dumps(summary, default=str)
    written = summary["files"]
    for rel in written:
        assert (tmp_path / rel).stat().st_size > 0, rel
    pngs = [tmp_path / rel for rel in written if rel.endswith(".png")]
    if pngs:
        from PIL import Image

        with Image.open(pngs[0]) as image:
            assert image.info.get("dpi", (0,))[0] == pytest.approx(300, abs=1)


def _test_pgd(model, *, eps: Annotated[float, Range(ge=0)] = 0.1, steps: Annotated[int, Range(ge=1)] = 10):
    import torchattacks

    return torchattacks.PGD(model, eps=eps, alpha=2.5 * eps / steps, steps=steps, random_start=True)


class _HostOnlyAttack:
    @hookimpl
    def robustx_register_attacks(self, register):
        register("pgd_only_here", _test_pgd)


def test_analyses_use_the_runs_plugin_host(run_dir, tmp_path, plugin_host):
    """Attacks come from the host the run was loaded with, not from the process-wide one."""
    from robustx_analyses.analyses import robustness_curve

    from robustx.base.errors import UnknownNameError
    from robustx.runs.rundir import AnalysisContext, load_run

    host = plugin_host({"host_only": _HostOnlyAttack()}, process_wide=False)
    analysis = robustness_curve(attacks=[{"name": "pgd_only_here", "steps": 2}], n=8, eps=[0.0, 0.1], max_eps=0.1)
    summary = analysis(AnalysisContext(run_dir, run=load_run(run_dir, host=host), out_dir=tmp_path))
    assert summary["curves"]["pgd_only_here"]["eps"] == [0.0, 0.1]
    with pytest.raises(UnknownNameError):
        analysis(AnalysisContext(run_dir, run=load_run(run_dir), out_dir=tmp_path / "global"))


def test_report_html_is_self_contained(run_dir, tmp_path):
    from plotly.offline import get_plotlyjs_version
    from robustx_analyses.report import ReportOptions, build_report

    inputs = [_report_input(run_dir), _report_input(run_dir, name="again")]
    options = ReportOptions(grid=7, surface_images=2, steps=2, curve_n=16, indicator_n=4,
                            curve_attacks=[{"name": "pgd", "steps": 2}])
    summary = build_report(inputs, tmp_path / "report.html", options)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert summary["bytes"] == len(page.encode("utf-8"))
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)  # nothing loaded from anywhere
    assert not re.search(r"""<(link|img|iframe)[^>]*\b(href|src)\s*=\s*["']?https?:""", page, re.I)
    assert f"v{get_plotlyjs_version()}" in page[:20000] or get_plotlyjs_version() in page  # plotly.js inline
    data = json.loads(re.search(r'id="robustx-data">(.*?)</script>', page, re.S).group(1))
    assert [r["summary"]["name"] for r in data["runs"]] == [run_dir.name, "again"]
    run = data["runs"][0]
    assert len(run["stepthrough"]["adv"]) == 10 and len(run["stepthrough"]["adv"][0]) == 3  # steps 0..2
    assert len(run["surfaces"]["planes"]["ce"]) == 2 and len(run["surfaces"]["a"]) == 7
    assert run["curves"][0]["attack"] == "pgd" and len(data["images"]["thumbs"]) == 10
    assert all(t.startswith("data:image/png;base64,") for t in data["images"]["thumbs"])


# -- results per threat model (schema 2), schema 1, the audit banner ---------------------------
SCHEMA2 = {
    "schema_version": 2, "clean_accuracy": 0.9,
    "threat_models": [
        {"norm": "Linf", "eps": 8 / 255, "robust_accuracy": 0.5, "attacks": ["fgsm", "pgd"]},
        {"norm": "L2", "eps": 0.5, "robust_accuracy": 0.7, "attacks": ["pgd_l2"]},
        {"norm": "L2", "minimum_norm": True, "median_norm": 0.61, "success_rate": 0.9, "attacks": ["cw"]},
    ],
    "attacks": [{"name": "fgsm", "params": {"eps": 8 / 255}, "robust_accuracy": 0.6, "n": 10}],
    "audit": [{"check": "convergence", "status": "fail", "evidence": "PGD-40 is 3.0 points below PGD-20",
               "advice": "report 47.0%"},
              {"check": "single_step", "status": "pass", "evidence": {"fgsm": 0.6, "pgd": 0.5}, "advice": None}],
}
SCHEMA1 = {"clean_accuracy": 0.95, "worst_case_accuracy": 0.3,
           "attacks": [{"name": "pgd", "params": {"eps": 0.1}, "robust_accuracy": 0.3, "n": 10}]}


def test_threat_model_rows_and_headline():
    from robustx_analyses.results_view import SCHEMA1_LABEL, audit_summary, headline, threat_rows

    rows = threat_rows(SCHEMA2)
    assert [(r["label"], r["text"], r["attacks"]) for r in rows] == [
        ("Linf 8/255", "50.0%", "fgsm, pgd"), ("L2 0.5", "70.0%", "pgd_l2"),
        ("L2 minimum norm", "median 0.61, success 90.0%", "cw")]
    assert headline(SCHEMA2) == (0.5, "Linf 8/255")
    assert headline(SCHEMA2, ["L2", 0.5]) == (0.7, "L2 0.5")
    assert headline(SCHEMA1) == (0.3, SCHEMA1_LABEL) and threat_rows(SCHEMA1) == []
    assert headline(SCHEMA1, ["Linf", 8 / 255]) == (None, None)  # never mixed with a threat model
    audit = audit_summary(SCHEMA2)
    assert [c["check"] for c in audit["failed"]] == ["convergence"] and audit_summary(SCHEMA1) is None
    assert json.loads(audit["checks"][1]["evidence"]) == {"fgsm": 0.6, "pgd": 0.5}


def test_minimum_norm_summaries_are_read_from_the_attack_rows_robustx_writes():
    """The evaluator keeps median_norm / success_rate on the minimum-norm attack's row, not in threat_models."""
    from robustx_analyses.results_view import threat_rows

    results = {"schema_version": 2, "threat_models": [SCHEMA2["threat_models"][0]], "attacks": [
        {"name": "fab", "label": "fab", "norm": "L2", "minimum_norm": True, "median_norm": 0.68, "success_rate": 1.0,
         "robust_accuracy": 0.0, "n": 10},
        {"name": "pgd", "norm": "Linf", "eps": 8 / 255, "robust_accuracy": 0.5, "n": 10}]}
    rows = threat_rows(results)
    assert [(r["label"], r["text"], r["attacks"]) for r in rows] == [
        ("Linf 8/255", "50.0%", "fgsm, pgd"), ("L2 minimum norm", "median 0.68, success 100.0%", "fab")]


def test_tradeoff_compares_one_threat_model_across_runs():
    from robustx_analyses.curves import tradeoff_points

    other = {**SCHEMA2, "threat_models": [{"norm": "L2", "eps": 0.5, "robust_accuracy": 0.2, "attacks": ["x"]},
                                          {"norm": "Linf", "eps": 8 / 255, "robust_accuracy": 0.4, "attacks": ["y"]}]}
    points = tradeoff_points([("a", SCHEMA2, []), ("b", other, []), ("old", SCHEMA1, [])])
    assert [(p["robust_accuracy"], p["threat_model"]) for p in points] == [
        (0.5, "Linf 8/255"), (0.4, "Linf 8/255"), (None, None)]
    assert tradeoff_points([("old", SCHEMA1, [])])[0]["robust_accuracy"] == 0.3  # schema 1 still loads


def test_report_payload_has_threat_models_and_audit(run_dir):
    from robustx_analyses.report_data import ReportOptions, collect

    inputs = [_report_input(run_dir, name="v2", model=None, results=SCHEMA2),
              _report_input(run_dir, name="v1", model=None, results=SCHEMA1)]
    payload = collect(inputs, ReportOptions())
    v2, v1 = (r["summary"] for r in payload["runs"])
    assert [t["label"] for t in v2["threat_models"]] == ["Linf 8/255", "L2 0.5", "L2 minimum norm"]
    assert v2["audit"]["failed"][0]["check"] == "convergence" and v1["audit"] is None
    assert (v2["robust_accuracy"], v1["robust_accuracy"]) == (0.5, None)  # v1 has no Linf 8/255 result
    assert [p["threat_model"] for p in payload["tradeoff"]] == ["Linf 8/255", None]


# -- the command line -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli():
    import click

    group = click.Group("robustx")
    PluginHost().call_hook("robustx_register_commands", cli=group)
    assert {"report", "analyze"} <= set(group.commands)
    return group


def test_report_command_writes_html(cli, run_copy, tmp_path):
    from click.testing import CliRunner

    out = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["report", str(run_copy), "--out", str(out), "--grid", "5", "--steps", "2",
                                      "--surface-images", "2", "--curve-n", "8", "--indicator-n", "4",
                                      "--eps", "8/255", "--curve-attack", "fgsm"])
    assert result.exit_code == 0, result.output
    assert out.exists() and "wrote" in result.output
    data = json.loads(re.search(r'id="robustx-data">(.*?)</script>', out.read_text(), re.S).group(1))
    assert data["eps"] == 8 / 255 and [c["attack"] for c in data["runs"][0]["curves"]] == ["fgsm"]
    bad = CliRunner().invoke(cli, ["report", str(run_copy), "--eps", "8/0"])
    assert bad.exit_code == 2 and "divides by zero" in bad.output


def test_analyze_options_come_from_the_factories(cli):
    import inspect

    from click.testing import CliRunner
    from robustx_analyses.analyses import FACTORIES
    from robustx_analyses.commands import ANALYZE, SINGULAR

    for command, analysis in ANALYZE.items():
        flags = {o for p in cli.commands["analyze"].commands[command].params for o in p.opts}
        for name in inspect.signature(FACTORIES[analysis]).parameters:
            assert "--" + SINGULAR.get(name, name).replace("_", "-") in flags, (command, name)
    shown = CliRunner().invoke(cli, ["analyze", "surface", "--help"]).output
    assert "[random|ce|ll|cw]" in shown and "INTEGER 3..401" in shown and "--clip / --no-clip" in shown


def test_analyze_command_checks_values_like_a_recipe(cli, run_copy):
    from click.testing import CliRunner

    typo = CliRunner().invoke(cli, ["analyze", "surface", str(run_copy), "--direction", "cee"])
    assert typo.exit_code == 2 and "--direction: 'cee' is not one of" in typo.output and "'ce'" in typo.output
    small = CliRunner().invoke(cli, ["analyze", "surface", str(run_copy), "--grid", "2"])
    assert small.exit_code == 2 and "must be >= 3" in small.output
    ok = CliRunner().invoke(cli, ["analyze", "curve", str(run_copy), "--attack", "pgd steps=2", "--n", "8",
                                  "--eps", "0", "--eps", "8/255", "--max-eps", "8/255"])
    assert ok.exit_code == 0, ok.output
    curve = json.loads((run_copy / "analysis" / "robustness_curve.json").read_text())
    assert curve[0]["attack"] == "pgd" and curve[0]["params"] == {"steps": 2} and curve[0]["eps"] == [0.0, 8 / 255]


def test_missing_run_dir_is_a_clean_error(tmp_path):
    from robustx_analyses.report_input import ReportInput, load_report_input

    from robustx.base.errors import RobustxError

    with pytest.raises(RobustxError, match="does not exist"):
        load_report_input(tmp_path / "nope")
    with pytest.raises(RobustxError, match="needs the model"):
        ReportInput("x").require_model("decision_surface")


def test_plugin_and_command_modules_are_import_light():
    code = ("import robustx_analyses, robustx_analyses.analyses, robustx_analyses.commands, "
            "robustx_analyses.context, robustx_analyses.report_input, robustx_analyses.results_view")
    heavy = ("torch", "numpy", "matplotlib", "plotly", "torchattacks", "art", "timm", "sklearn")
    assert heavy_modules_after(code, heavy) == []
