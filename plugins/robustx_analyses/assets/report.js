/* robustx report: draws precomputed data with plotly; sliders, thumbnails, selections. No network. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("robustx-data").textContent);
  var FIGS = JSON.parse(document.getElementById("robustx-figures").textContent);
  var CONFIG = { displaylogo: false, responsive: true };
  var state = { image: 0, epoch: 0, step: 0, plane: "ce", dynRun: 0 };
  var classes = DATA.classes;
  var labels = DATA.images.labels;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }
  function fmt(v, d) { return (v === null || v === undefined) ? "\u2013" : Number(v).toFixed(d === undefined ? 3 : d); }
  function pct(v) { return (v === null || v === undefined) ? "\u2013" : (100 * v).toFixed(1) + "%"; }
  function argmax(a) { var b = 0; for (var i = 1; i < a.length; i++) { if (a[i] > a[b]) { b = i; } } return b; }
  function missing(id, text) { var n = document.getElementById(id); n.innerHTML = ""; n.appendChild(el("p", { "class": "missing", text: text })); }

  /* ---- bars of class probabilities (animated between states) ---- */
  function barColors(probs, label) {
    var top = argmax(probs);
    return probs.map(function (_, k) { return k === label ? "#2e7d32" : (k === top ? "#c62828" : "#90a4ae"); });
  }
  function drawBars(id, probs, label, title) {
    var div = document.getElementById(id);
    var trace = { type: "bar", x: classes, y: probs, marker: { color: barColors(probs, label) },
      hovertemplate: "%{x}: %{y:.3f}<extra></extra>" };
    var layout = { title: { text: title, font: { size: 13 } }, yaxis: { range: [0, 1], title: "probability" },
      xaxis: { type: "category", tickangle: classes.length > 10 ? -45 : 0 },
      margin: { l: 50, r: 10, t: 40, b: 60 }, height: 300, template: "plotly_white" };
    if (div.data && div.data.length === 1 && div.layout) {
      Plotly.relayout(div, { "title.text": title }).catch(function () {});
      Plotly.animate(div, { data: [{ y: probs, marker: { color: barColors(probs, label) } }] },
        { transition: { duration: 250, easing: "cubic-in-out" }, frame: { duration: 250, redraw: false },
          mode: "immediate" }).catch(function () {});
    } else {
      Plotly.newPlot(div, [trace], layout, CONFIG);
    }
  }

  /* ---- summary table: accuracy per threat model (schema 2) or the all-attack worst case (schema 1) ---- */
  function threatLines(s) {
    if (s.threat_models && s.threat_models.length) {
      return s.threat_models.map(function (t) {
        return t.label + ": " + t.text + (t.attacks ? " (" + (t.value === null ? "" : "worst of ") + t.attacks + ")" : "");
      });
    }
    var worst = s.schema1_worst_case;
    return worst === null || worst === undefined ? [] : [pct(worst) + " (" + s.schema1_label + ")"];
  }
  function renderSummary() {
    var head = ["run", "defense", "model", "dataset", "epochs", "clean acc.", "robust accuracy per threat model", "attacks"];
    var table = el("table", {}, [el("tr", {}, head.map(function (h) { return el("th", { text: h }); }))]);
    DATA.runs.forEach(function (run) {
      var s = run.summary;
      var attacks = (s.attacks || []).map(function (a) { return a.name + " " + pct(a.robust_accuracy); }).join(", ");
      var cells = [s.name, s.defense || "\u2013", s.model || "\u2013", s.dataset || "\u2013", String(s.epochs),
        pct(s.clean_accuracy)].map(function (c) { return el("td", { text: c }); });
      var lines = threatLines(s);
      cells.push(el("td", { "class": "threats" }, lines.length ? lines.map(function (l) { return el("div", { text: l }); })
        : [el("span", { text: "\u2013" })]));
      cells.push(el("td", { text: attacks || "\u2013" }));
      table.appendChild(el("tr", {}, cells));
    });
    document.getElementById("summary-table").appendChild(table);
  }
  function renderAudit() {
    var box = document.getElementById("audit-banner");
    DATA.runs.forEach(function (run) {
      var audit = run.summary.audit;
      if (!audit || !audit.failed.length) { return; }
      box.appendChild(el("div", { "class": "banner", role: "alert" }, [
        el("strong", { text: "Robustness audit of " + run.summary.name + ": " + audit.failed.length +
          " check(s) failed. Do not trust its robust accuracy as it stands." }),
        el("ul", {}, audit.failed.map(function (c) {
          return el("li", { text: c.check + ": " + (c.evidence || "") + (c.advice ? " \u2192 " + c.advice : "") });
        }))]));
    });
  }

  /* ---- thumbnails ---- */
  function renderThumbs() {
    var box = document.getElementById("thumbs");
    DATA.images.thumbs.forEach(function (src, i) {
      var img = el("img", { src: src, "class": "thumb", alt: "image " + i, "data-index": String(i),
        title: "image " + i + ": " + classes[labels[i]] });
      img.addEventListener("click", function () { select(i); });
      box.appendChild(el("div", { "class": "thumb-wrap" }, [img, el("span", { text: classes[labels[i]] })]));
    });
  }
  function select(i) {
    state.image = i;
    document.querySelectorAll(".thumb").forEach(function (t) {
      t.classList.toggle("selected", Number(t.getAttribute("data-index")) === i);
    });
    updateEpoch(); updateStep(); updateSurfaces(); updateSaliency();
  }

  /* ---- training dynamics ---- */
  function dynRun() { return DATA.runs[state.dynRun]; }
  function renderDynamics() {
    var pick = document.getElementById("dyn-run");
    DATA.runs.forEach(function (run, r) { pick.appendChild(el("option", { value: String(r), text: run.summary.name })); });
    if (DATA.runs.length < 2) { pick.parentNode.style.display = "none"; }
    pick.addEventListener("change", function () { state.dynRun = Number(pick.value); drawDynamics(); });
    document.getElementById("epoch-slider").addEventListener("input", function (e) {
      state.epoch = Number(e.target.value); updateEpoch();
    });
    playButton("epoch-play", "epoch-slider", function (v) { state.epoch = v; updateEpoch(); });
    drawDynamics();
  }
  function drawDynamics() {
    var fig = FIGS.dynamics[state.dynRun];
    var chart = document.getElementById("dyn-chart");
    if (fig) {
      Plotly.react(chart, fig.data, fig.layout, CONFIG).then(function () {
        if (!chart._robustxHover) {
          chart._robustxHover = true;
          chart.on("plotly_hover", function (ev) {
            var epochs = (dynRun().dynamics || {}).prob_epochs || [];
            var idx = epochs.indexOf(ev.points[0].x);
            if (idx >= 0) { state.epoch = idx; document.getElementById("epoch-slider").value = idx; updateEpoch(); }
          });
        }
      });
    } else { Plotly.purge(chart); missing("dyn-chart", "no metrics.jsonl for this run"); }
    var dyn = dynRun().dynamics || {};
    var n = (dyn.prob_epochs || []).length;
    var slider = document.getElementById("epoch-slider");
    slider.max = String(Math.max(n - 1, 0));
    state.epoch = Math.max(n - 1, 0);
    slider.value = String(state.epoch);
    slider.disabled = n === 0;
    updateEpoch();
  }
  function updateEpoch() {
    var dyn = dynRun().dynamics || {};
    var label = document.getElementById("epoch-label");
    if (!dyn.probs || !dyn.probs.length) { label.textContent = "no tracked probabilities"; Plotly.purge("dyn-bars"); return; }
    var probs = dyn.probs[state.epoch][state.image];
    if (!probs) { label.textContent = "image not tracked in this run"; return; }
    var epoch = dyn.prob_epochs[state.epoch];
    label.textContent = "epoch " + epoch + " / " + dyn.prob_epochs[dyn.prob_epochs.length - 1];
    drawBars("dyn-bars", probs, labels[state.image],
      "epoch " + epoch + ": image " + state.image + " (" + classes[labels[state.image]] + ")");
  }

  /* ---- PGD step-through ---- */
  function stepRuns() { return DATA.runs.filter(function (r) { return r.stepthrough; }); }
  function renderStepthrough() {
    var runs = stepRuns();
    if (!runs.length) { missing("pgd-panels", "no model loaded: no PGD step-through"); return; }
    document.getElementById("pgd-note").textContent = "Linf PGD, eps = " + fmt(DATA.eps, 4) + " (" +
      fmt(DATA.eps * 255, 1) + "/255), " + DATA.steps + " steps, same random start for every model. " +
      "Perturbation amplified: gray = unchanged, black/white = \u2213eps.";
    var slider = document.getElementById("step-slider");
    slider.max = String(DATA.steps);
    slider.addEventListener("input", function (e) { state.step = Number(e.target.value); updateStep(); });
    playButton("step-play", "step-slider", function (v) { state.step = v; updateStep(); });
    var box = document.getElementById("pgd-panels");
    runs.forEach(function (run, r) {
      box.appendChild(el("div", { "class": "panel" }, [
        el("h3", { text: run.summary.name }),
        el("div", { "class": "pics" }, [
          el("figure", {}, [el("img", { id: "pgd-adv-" + r, alt: "adversarial image" }), el("figcaption", { text: "adversarial image" })]),
          el("figure", {}, [el("img", { id: "pgd-delta-" + r, alt: "perturbation" }), el("figcaption", { text: "perturbation (amplified)" })])
        ]),
        el("div", { "class": "status", id: "pgd-status-" + r }),
        el("div", { id: "pgd-bars-" + r, "class": "chart" })
      ]));
    });
  }
  function updateStep() {
    var runs = stepRuns();
    document.getElementById("step-label").textContent = "step " + state.step + " / " + DATA.steps;
    runs.forEach(function (run, r) {
      var st = run.stepthrough, i = state.image, t = state.step;
      if (!st.adv[i]) { return; }
      document.getElementById("pgd-adv-" + r).src = st.adv[i][t];
      document.getElementById("pgd-delta-" + r).src = st.delta[i][t];
      var probs = st.probs[i][t], pred = argmax(probs), ok = pred === labels[i];
      var status = document.getElementById("pgd-status-" + r);
      status.innerHTML = "";
      status.appendChild(el("span", { "class": ok ? "ok" : "bad", text: (ok ? "correct: " : "fooled: ") + classes[pred] +
        " (" + fmt(probs[pred], 3) + ")" }));
      status.appendChild(document.createTextNode("  true: " + classes[labels[i]] + " \u00b7 ||\u03b4||\u221e = " + fmt(st.linf[i][t], 4)));
      drawBars("pgd-bars-" + r, probs, labels[i], "step " + t);
    });
  }

  /* ---- decision surfaces ---- */
  function surfaceRuns() { return DATA.runs.filter(function (r) { return r.surfaces; }); }
  function renderSurfaces() {
    var runs = surfaceRuns();
    if (!runs.length) { missing("surface-panels", "no model loaded: no decision surfaces"); return; }
    var box = document.getElementById("surface-panels");
    runs.forEach(function (run, r) {
      box.appendChild(el("div", { "class": "panel" }, [el("h3", { text: run.summary.name }),
        el("div", { "class": "status", id: "surface-status-" + r }), el("div", { id: "surface-" + r, "class": "chart" })]));
    });
    document.querySelectorAll("input[name=plane]").forEach(function (radio) {
      radio.addEventListener("change", function () { state.plane = radio.value; updateSurfaces(); });
    });
  }
  function updateSurfaces() {
    surfaceRuns().forEach(function (run, r) {
      var s = run.surfaces, plane = s.planes[state.plane], i = state.image;
      var div = document.getElementById("surface-" + r), status = document.getElementById("surface-status-" + r);
      if (!plane[i]) { Plotly.purge(div); status.textContent = "no surface computed for image " + i; return; }
      var z = plane[i].margin, flat = [].concat.apply([], z);
      var zmax = Math.max.apply(null, flat.map(Math.abs)) || 1;
      var traces = [{ type: "surface", x: s.a, y: s.a, z: z, colorscale: "RdBu", cmin: -zmax, cmax: zmax,
        colorbar: { title: { text: "g" }, len: 0.7 }, name: "g", opacity: 0.95,
        hovertemplate: "a %{x:.3f}<br>b %{y:.3f}<br>g %{z:.3f}<extra></extra>" },
        { type: "scatter3d", mode: "markers", x: [0], y: [0], z: [z[(z.length - 1) / 2][(z.length - 1) / 2]],
          marker: { size: 5, color: "gold", line: { color: "black", width: 1 } }, name: "input x", hoverinfo: "name" }];
      var zero = plane[i].zero || [], za = [], zb = [];
      zero.forEach(function (line) { za = za.concat(line.a, [null]); zb = zb.concat(line.b, [null]); });
      if (za.length) {
        traces.push({ type: "scatter3d", mode: "lines", x: za, y: zb, z: za.map(function (v) { return v === null ? null : 0; }),
          name: "decision boundary g = 0", line: { color: "black", width: 7 }, hoverinfo: "name" });
      }
      if (state.plane === "ce" && s.paths && s.paths[i]) {
        var p = s.paths[i];
        traces.push({ type: "scatter3d", mode: "lines+markers", x: p.a, y: p.b, z: p.margin, name: "PGD path",
          line: { color: "#d50000", width: 6 }, marker: { size: 3, color: "#d50000" },
          hovertemplate: "PGD step<br>a %{x:.3f}, b %{y:.3f}<br>g %{z:.3f}<extra></extra>" });
      }
      var axis = state.plane === "ce" ? "a: CE gradient sign" : "a: random sign";
      var layout = { height: 420, margin: { l: 0, r: 0, t: 10, b: 0 }, uirevision: "keep-" + state.plane,
        showlegend: false,
        scene: { xaxis: { title: { text: axis } }, yaxis: { title: { text: "b: random sign" } },
          zaxis: { title: { text: "g (logit margin)" } }, camera: { eye: { x: 1.6, y: -1.6, z: 1.0 } } } };
      Plotly.react(div, traces, layout, CONFIG);
      var dist = plane[i].boundary;
      status.textContent = "g(x) = " + fmt(z[(z.length - 1) / 2][(z.length - 1) / 2], 3) + " \u00b7 boundary along u at |a| = " +
        (dist === null ? "beyond " + fmt(s.radius, 3) : fmt(dist, 4)) + " (eps = " + fmt(DATA.eps, 4) + ")" +
        (plane[i].zero_gradient ? " \u00b7 the attack gradient is exactly zero here (saturated or masked): u is random" : "");
    });
  }

  /* ---- indicator ---- */
  function renderIndicator() {
    var runs = DATA.runs.filter(function (r) { return r.indicator; });
    if (!runs.length) { missing("indicator-table", "no model loaded: no indicator"); return; }
    var keys = [["jacobian_l1_mean", "mean ||J||\u2081"], ["jacobian_l2_mean", "mean ||J||\u2082"],
      ["jacobian_linf_mean", "mean ||J||\u221e"], ["jacobian_sparsity_mean", "J sparsity"],
      ["hessian_top_abs_mean", "mean max|\u03bb(H)|"], ["margin_mean", "mean g(x)"],
      ["predicted_robust_mean", "predicted robust"], ["hessian_method", "Hessian"], ["n", "n"]];
    var table = el("table", {}, [el("tr", {}, [el("th", { text: "run" })].concat(keys.map(function (k) { return el("th", { text: k[1] }); })))]);
    runs.forEach(function (run) {
      var s = run.indicator.summary;
      table.appendChild(el("tr", {}, [el("td", { text: run.summary.name })].concat(keys.map(function (k) {
        var v = s[k[0]]; return el("td", { text: typeof v === "number" ? (Number.isInteger(v) ? String(v) : fmt(v, 4)) : String(v) });
      }))));
    });
    var box = document.getElementById("indicator-table");
    box.appendChild(table);
    if (DATA.correlation) {
      box.appendChild(el("p", { "class": "note", text: "Spearman rank correlation of " + DATA.correlation.indicator +
        " with " + DATA.correlation.accuracy + " across " + DATA.correlation.n + " runs: \u03c1 = " +
        fmt(DATA.correlation.spearman_rho, 3) + " (p = " + fmt(DATA.correlation.p_value, 3) + ")" }));
    }
    var sal = document.getElementById("saliency");
    runs.forEach(function (run, r) {
      sal.appendChild(el("figure", { "class": "saliency" }, [el("img", { id: "saliency-" + r, alt: "Jacobian" }),
        el("figcaption", { id: "saliency-cap-" + r, text: run.summary.name })]));
    });
  }
  function updateSaliency() {
    DATA.runs.filter(function (r) { return r.indicator; }).forEach(function (run, r) {
      var i = state.image, ind = run.indicator;
      if (!ind.saliency[i]) { return; }
      document.getElementById("saliency-" + r).src = ind.saliency[i];
      document.getElementById("saliency-cap-" + r).textContent = run.summary.name + ": ||J||\u2081 = " +
        fmt(ind.tracked.l1[i], 3) + ", sparsity " + pct(ind.tracked.sparsity[i]);
    });
  }

  /* ---- static figures, play buttons ---- */
  function staticFigure(id, fig, text) {
    if (fig) { Plotly.newPlot(id, fig.data, fig.layout, CONFIG); } else { missing(id, text); }
  }
  function playButton(buttonId, sliderId, apply) {
    var button = document.getElementById(buttonId), slider = document.getElementById(sliderId), timer = null;
    button.addEventListener("click", function () {
      if (timer) { clearInterval(timer); timer = null; button.innerHTML = "&#9654; play"; return; }
      button.innerHTML = "&#10073;&#10073; pause";
      if (Number(slider.value) >= Number(slider.max)) { slider.value = "0"; apply(0); }
      timer = setInterval(function () {
        var v = Number(slider.value) + 1;
        if (v > Number(slider.max)) { clearInterval(timer); timer = null; button.innerHTML = "&#9654; play"; return; }
        slider.value = String(v); apply(v);
      }, 600);
    });
  }

  renderAudit();
  renderSummary();
  renderThumbs();
  renderDynamics();
  renderStepthrough();
  renderSurfaces();
  renderIndicator();
  staticFigure("curves-chart", FIGS.curves, "no robustness curve (no model, or no 'pgd' attack registered)");
  staticFigure("tradeoff-chart", FIGS.tradeoff, "no results.json with clean and robust accuracy");
  staticFigure("indicator-chart", FIGS.indicator, "no indicator");
  select(0);
  window.robustxReport = { state: state, select: select };
})();
