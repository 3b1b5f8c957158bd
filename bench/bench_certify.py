"""Certification against ART's implementations, and the certified-vs-attacked invariant at full strength.

1. IBP: robustx_certify.ibp against ART's ``PyTorchIBPClassifier.predict_intervals`` on a model ART can take
   (top-level Conv2d / ReLU / Linear children, no normalization, no pooling, no Flatten module): the largest
   difference of the logit bounds, and the time of each on the same images.
2. Randomized smoothing: robustx_certify.smoothing against ART's ``PyTorchRandomizedSmoothing.certify`` on
   the same base model and examples (different noise draws: radii agree in distribution, not exactly);
   ART's Clopper-Pearson bound needs statsmodels, so when it is missing ART's bound is replaced by the
   identical scipy formula (beta.ppf(alpha, k, n - k + 1)) and the table says so.
3. ``--invariant RUN_DIR``: every registered Linf attack at its default strength (full AutoAttack included)
   on the examples IBP certifies at ``--eps`` for the run's model: the count of certified-but-broken
   examples must be 0.

    OMP_NUM_THREADS=1 python bench/bench_certify.py [--data-root ../shared/data] [--n 256]
    OMP_NUM_THREADS=1 python bench/bench_certify.py --invariant runs/ibp_digits-... --eps 0.05 --n 32
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

import robustx


class ArtFriendly(nn.Module):
    """fast_mnist_net's layers as top-level children (what ART's interval converter can read)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.relu1 = nn.Conv2d(1, 16, 4, stride=2, padding=1), nn.ReLU()
        self.conv2, self.relu2 = nn.Conv2d(16, 32, 4, stride=2, padding=1), nn.ReLU()
        self.fc1, self.relu3, self.fc2 = nn.Linear(32 * 7 * 7, 100), nn.ReLU(), nn.Linear(100, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu2(self.conv2(self.relu1(self.conv1(x))))
        return self.fc2(self.relu3(self.fc1(x.reshape(x.shape[0], -1))))


def mnist(data_root: str | None, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    from robustx.datasets.bundle import open_dataset
    from robustx.host.manager import get_host

    test = open_dataset("mnist", data_root, get_host()).test
    return test.as_float()[:n], test.y[:n]


def trained(x: torch.Tensor, y: torch.Tensor, sigma: float = 0.0) -> ArtFriendly:
    """A quickly trained ArtFriendly net (200 Adam steps on x + sigma noise), so bounds and radii are not trivial."""
    torch.manual_seed(0)
    model = ArtFriendly()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for step in range(200):
        idx = torch.randint(0, len(x), (100,))
        batch = x[idx] + sigma * torch.randn_like(x[idx])
        opt.zero_grad()
        nn.functional.cross_entropy(model(batch), y[idx]).backward()
        opt.step()
    return model.eval()


def bench_ibp(x: torch.Tensor, y: torch.Tensor, eps: float) -> None:
    import contextlib
    import io

    from art.estimators.certification.interval import PyTorchIBPClassifier
    from robustx_certify import ibp

    model = trained(x, y)
    start = time.perf_counter()
    with torch.no_grad():
        ours, _, _ = ibp.propagate(model, *ibp.input_box(x, eps))
    t_ours = time.perf_counter() - start
    with contextlib.redirect_stdout(io.StringIO()):  # ART prints "Inferred reshape on op num ..."
        art = PyTorchIBPClassifier(model=model, loss=nn.CrossEntropyLoss(), input_shape=(1, 28, 28), nb_classes=10,
                                   clip_values=(0.0, 1.0), device_type="cpu")
        start = time.perf_counter()
        bounds = art.predict_intervals(x.numpy(), is_interval=False, bounds=eps, limits=[0.0, 1.0], batch_size=256)
    t_art = time.perf_counter() - start
    lower, upper = torch.tensor(bounds[:, 0]), torch.tensor(bounds[:, 1])
    gap = max(float((lower - ours.lower).abs().max()), float((upper - ours.upper).abs().max()))
    width = float((ours.upper - ours.lower).mean())
    cert_ours = int(ibp.certified(model, x, y, eps).sum())
    cert_art = int(((lower.gather(1, y[:, None]) > upper.masked_fill(nn.functional.one_hot(y, 10).bool(), -1e9))
                    .all(1)).sum())
    print(f"IBP, {len(x)} MNIST images, eps {eps}: max |bound difference| {gap:.2e} (mean bound width {width:.3f}); "
          f"robustx {t_ours:.3f} s, ART {t_art:.3f} s ({t_art / t_ours:.0f}x); certified (no elision) "
          f"ART {cert_art}, robustx with the last layer folded in {cert_ours}")


def bench_smoothing(x: torch.Tensor, y: torch.Tensor, sigma: float, n: int, n0: int, alpha: float) -> None:
    from art.estimators.certification.randomized_smoothing import PyTorchRandomizedSmoothing
    from robustx_certify.smoothing import Smoothed
    from scipy.stats import beta

    model = trained(x, y, sigma)
    smooth = Smoothed(model, 10, sigma, batch_size=1000, seed=0)
    start = time.perf_counter()
    ours = [smooth.certify(x[i], i, n0, n, alpha) for i in range(len(x))]
    t_ours = time.perf_counter() - start
    art = PyTorchRandomizedSmoothing(model=model, loss=nn.CrossEntropyLoss(), input_shape=(1, 28, 28), nb_classes=10,
                                     clip_values=(0.0, 1.0), sample_size=n0, scale=sigma, alpha=alpha,
                                     device_type="cpu")
    note = ""
    try:
        import statsmodels  # noqa: F401
    except ImportError:
        art._lower_confidence_bound = lambda k, total: 0.0 if k == 0 else float(beta.ppf(alpha, k, total - k + 1))
        note = " (statsmodels missing: ART's bound replaced by the same scipy formula)"
    np.random.seed(0)
    start = time.perf_counter()
    pred, radius = art.certify(x.numpy(), n=n, batch_size=1000)
    t_art = time.perf_counter() - start
    r_ours = np.array([r if c == int(t) else -1 for (c, r, _), t in zip(ours, y)])
    r_art = np.where(pred == y.numpy(), radius, -1)
    for r in (0.0, 0.25, 0.5, 0.75):
        print(f"  radius {r}: certified accuracy robustx {np.mean(r_ours >= r):.3f}, ART {np.mean(r_art >= r):.3f}")
    print(f"smoothing, {len(x)} MNIST images, sigma {sigma}, n0 {n0}, n {n}: mean radius of certified-correct "
          f"robustx {r_ours[r_ours >= 0].mean():.3f}, ART {r_art[r_art >= 0].mean():.3f}; robustx {t_ours:.1f} s, "
          f"ART {t_art:.1f} s{note}")


def bench_invariant(run_dir: str, eps: float, n: int) -> None:
    from robustx_certify import ibp

    from robustx.config.threat import declared_threat
    from robustx.host.manager import get_host
    from robustx.runs.rundir import load_run

    run = load_run(run_dir)
    model = run.model(device="cpu")
    test = run.dataset().test
    x, y = test.as_float()[:1000], test.y[:1000]
    proved = ibp.certified(model, x, y, eps)
    xs, ys = x[proved][:n], y[proved][:n]
    attacks = []
    for entry in get_host().registry("attack").entries():
        threat = declared_threat(entry.factory)
        if threat is None or threat.norm not in (None, "Linf"):
            continue
        spec = {"name": entry.name}
        if threat.norm_param:
            spec[threat.norm_param] = "Linf"
        if threat.eps_param:
            spec[threat.eps_param] = eps
        attacks.append(spec)
    start = time.perf_counter()
    res = robustx.evaluate(model, (xs, ys), ["clean", *attacks], certify=[{"name": "ibp", "eps": eps}])
    (group,) = [g for g in res["threat_models"] if g["norm"] == "Linf"]
    print(f"invariant: {len(ys)} examples IBP-certified at Linf {eps} (of {int(proved.numel())}), "
          f"{len(attacks)} attacks at default strength: robust accuracy {group['robust_accuracy']:.3f}, "
          f"certified {group['certified_accuracy']:.3f}, certified_but_broken {group['certified_but_broken']} "
          f"({time.perf_counter() - start:.0f} s)")
    for row in res["attacks"][1:]:
        print(f"  {row['label']:24s} {row.get('robust_accuracy', float('nan')):.3f}  {row['seconds']:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--eps", type=float, default=0.05)
    parser.add_argument("--smoothing-n", type=int, default=1000)
    parser.add_argument("--invariant", default=None, metavar="RUN_DIR")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.invariant:
        bench_invariant(args.invariant, args.eps, args.n)
        return
    x, y = mnist(args.data_root, args.n)
    bench_ibp(x, y, args.eps)
    bench_smoothing(x[:32], y[:32], 0.25, args.smoothing_n, 100, 0.001)


if __name__ == "__main__":
    main()
