"""The report's static plotly figures (hover works out of the box); dynamic ones are drawn by report.js."""

from __future__ import annotations

from typing import Any

LAYOUT = dict(template="plotly_white", margin=dict(l=60, r=20, t=40, b=50), height=360,
              legend=dict(orientation="h", y=-0.25))
SERIES_NAMES = {"train_loss": "train loss", "train_accuracy": "train accuracy", "val_accuracy": "val accuracy",
                "val_robust_accuracy": "val robust accuracy"}


def _json(fig: Any) -> dict[str, Any]:
    import json

    import plotly.io as pio

    return json.loads(pio.to_json(fig, validate=False, remove_uids=True))


def dynamics_figure(run: dict[str, Any]) -> dict[str, Any] | None:
    """Loss (right axis) and accuracies (left axis) per epoch; hovering an epoch drives the bars."""
    import plotly.graph_objects as go

    data = run.get("dynamics")
    if not data or not data.get("series"):
        return None
    fig = go.Figure()
    for key, values in data["series"].items():
        fig.add_trace(go.Scatter(x=data["epoch"], y=values, mode="lines+markers", name=SERIES_NAMES.get(key, key),
                                 yaxis="y2" if "loss" in key else "y",
                                 hovertemplate="epoch %{x}<br>" + SERIES_NAMES.get(key, key) + ": %{y:.4f}<extra></extra>"))
    fig.update_layout(**LAYOUT, title=f"{run['summary']['name']}: training", hovermode="x unified",
                      xaxis=dict(title="epoch", dtick=max(1, len(data["epoch"]) // 10)),
                      yaxis=dict(title="accuracy", range=[0, 1.02]),
                      yaxis2=dict(title="loss", overlaying="y", side="right", showgrid=False))
    return _json(fig)


def curves_figure(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    import plotly.graph_objects as go

    fig = go.Figure()
    for run in runs:
        for curve in run.get("curves") or []:
            name = f"{run['summary']['name']} / {curve['attack']}"
            fig.add_trace(go.Scatter(x=curve["eps"], y=curve["cumulative"], mode="lines+markers", name=name,
                                     customdata=[round(e * 255, 2) for e in curve["eps"]],
                                     hovertemplate=name + "<br>eps %{x:.4f} (%{customdata}/255)"
                                                          "<br>robust accuracy %{y:.3f}<extra></extra>"))
    if not fig.data:
        return None
    fig.update_layout(**LAYOUT, title="robustness curves (accuracy vs eps)", xaxis=dict(title="eps"),
                      yaxis=dict(title="robust accuracy", range=[-0.02, 1.02]))
    return _json(fig)


def tradeoff_figure(points: list[dict[str, Any]]) -> dict[str, Any] | None:
    import plotly.graph_objects as go

    from .results_view import robust_axis_title

    axis = robust_axis_title(points)
    fig = go.Figure()
    for p in points:
        pairs = [(e, c, r) for e, c, r in zip(p["epochs"], p["val_accuracy"], p["val_robust_accuracy"])
                 if c is not None and r is not None]
        if pairs:
            fig.add_trace(go.Scatter(x=[c for _, c, _ in pairs], y=[r for _, _, r in pairs], mode="lines+markers",
                                     name=f"{p['name']} (epochs)", opacity=0.45, customdata=[e for e, _, _ in pairs],
                                     hovertemplate=p["name"] + " epoch %{customdata}<br>clean %{x:.3f}"
                                                               "<br>robust %{y:.3f}<extra></extra>"))
        if p["clean_accuracy"] is not None and p["robust_accuracy"] is not None:
            fig.add_trace(go.Scatter(x=[p["clean_accuracy"]], y=[p["robust_accuracy"]], mode="markers+text",
                                     text=[p["name"]], textposition="top center", name=p["name"],
                                     marker=dict(size=13, line=dict(width=1, color="black")),
                                     hovertemplate=p["name"] + "<br>clean %{x:.4f}<br>" + axis + " %{y:.4f}"
                                                               "<extra></extra>"))
    if not fig.data:
        return None
    fig.update_layout(**LAYOUT, title="accuracy-robustness trade-off", xaxis=dict(title="clean accuracy"),
                      yaxis=dict(title=axis))
    return _json(fig)


def indicator_figure(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Indicator statistics per run, each normalized to the largest run so they share one axis."""
    import plotly.graph_objects as go

    keys = [("jacobian_l1_mean", "||J||_1"), ("jacobian_l2_mean", "||J||_2"), ("hessian_top_abs_mean", "max |lambda(H)|"),
            ("jacobian_sparsity_mean", "J sparsity"), ("predicted_robust_mean", "predicted robust")]
    with_ind = [r for r in runs if "indicator" in r]
    if not with_ind:
        return None
    fig = go.Figure()
    for run in with_ind:
        s = run["indicator"]["summary"]
        values = [s.get(k) or 0.0 for k, _ in keys]
        peaks = [max((r["indicator"]["summary"].get(k) or 0.0) for r in with_ind) or 1.0 for k, _ in keys]
        fig.add_trace(go.Bar(x=[label for _, label in keys], y=[v / p for v, p in zip(values, peaks)],
                             name=run["summary"]["name"], customdata=values,
                             hovertemplate="%{x}: %{customdata:.4g}<extra>" + run["summary"]["name"] + "</extra>"))
    fig.update_layout(**LAYOUT, barmode="group", title="robustness indicator (relative to the largest run)",
                      yaxis=dict(title="relative value"))
    return _json(fig)
