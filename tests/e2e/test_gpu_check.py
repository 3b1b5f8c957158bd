"""bench/gpu_check.py --smoke: the GPU check's code runs end to end (tiny, on CPU) and writes its JSON."""

from __future__ import annotations

import importlib.util
import json
import sys

from helpers import ROOT


def test_gpu_check_smoke_writes_every_section(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "bench" / "gpu_check.py")
    gpu_check = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "gpu_check", gpu_check)  # its dataclasses look their module up there
    spec.loader.exec_module(gpu_check)
    out = tmp_path / "smoke.json"
    report = gpu_check.main(["--smoke", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    training = report["pgd_training"]
    for config in ("fp32", "bf16"):
        for impl in ("robustx", "hand_written"):
            assert training[f"{config}/{impl}"]["images_per_s"] > 0
        assert training[f"{config}/robustx_over_hand"] > 0
    assert training["bf16+channels_last+compile/robustx"] == {"skipped": "compile is off in --smoke"}
    assert report["autoattack"]["images"] == 16 and report["autoattack"]["images_per_s"] > 0
    assert report["ddp_1_gpu"]["ok"] and report["ddp_1_gpu"]["max_abs_weight_difference"] == 0.0
