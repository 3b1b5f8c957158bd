"""RobustBench: zoo models built offline by RobustBench's own loader, and model_info JSON out of a run.

The checkpoint is a random initialization written the way RobustBench stores weights
(MODEL_DIR/cifar10/Linf/<Name>.pt, a pickled {'state_dict': {'module.' + key: tensor}}): no download.
"""

from __future__ import annotations

import importlib.util
import json

import pytest
from click.testing import CliRunner
from tiny_run import tiny_run

from robustx.cli import cli

NAME = "Ding2020MMA"  # WideResNet-28-4, 5.8M parameters: among the zoo's smaller CIFAR-10 Linf models
needs_robustbench = pytest.mark.skipif(importlib.util.find_spec("robustbench") is None,
                                       reason='RobustBench not installed (pip install --no-deps robustbench==1.1.1)')


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    import torch
    from robustx_robustbench.zoo import import_zoo

    _, model_dicts, enums = import_zoo()
    torch.manual_seed(0)
    net = model_dicts[enums.BenchmarkDataset.cifar_10][enums.ThreatModel.Linf][NAME]["model"]()
    folder = tmp_path_factory.mktemp("models")
    (folder / "cifar10" / "Linf").mkdir(parents=True)
    torch.save({"state_dict": {"module." + k: v for k, v in net.state_dict().items()}},
               folder / "cifar10" / "Linf" / f"{NAME}.pt")
    return folder


@needs_robustbench
def test_zoo_model_is_robustbenchs_model_with_the_checkpoint(model_dir):
    import torch
    from robustx_robustbench.zoo import import_zoo

    import robustx

    model = robustx.create_model(f"robustbench:{NAME}", num_classes=10, in_channels=3, image_size=32,
                                 dataset="cifar10", threat_model="Linf", model_dir=str(model_dir)).eval()
    utils, _, _ = import_zoo()
    reference = utils.load_model(NAME, model_dir=str(model_dir), dataset="cifar10", threat_model="Linf").eval()
    saved = torch.load(model_dir / "cifar10" / "Linf" / f"{NAME}.pt", weights_only=True)["state_dict"]
    for key, value in reference.state_dict().items():
        assert torch.equal(value, saved["module." + key])
    x = torch.rand(4, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(model(x), reference(x), atol=1e-5)  # no robustx normalization in front
    from robustx_robustbench.adapter import ZooInput

    with torch.no_grad():  # 1-channel 8x8 data (the eval test below): channels repeated, resized to 32x32
        small = ZooInput(reference, in_channels=1, image_size=8, channels=3, size=32)
        grey = torch.rand(2, 1, 8, 8)
        upsampled = torch.nn.functional.interpolate(grey.repeat(1, 3, 1, 1), size=(32, 32), mode="bilinear")
        assert torch.allclose(small(grey), reference(upsampled), atol=1e-5)


@needs_robustbench
def test_eval_a_zoo_model_from_the_model_dir_env(model_dir, monkeypatch):
    monkeypatch.setenv("ROBUSTX_MODEL_DIR", str(model_dir))
    result = CliRunner().invoke(cli, ["eval", "--model", f"robustbench:{NAME}", "--dataset", "digits", "--limit", "4",
                                      "--attack", "clean", "--attack", "fgsm eps=8/255", "--device", "cpu", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "fgsm" in result.output and "Linf 8/255" in result.output.replace("0.03137", "8/255")


@needs_robustbench
def test_missing_weights_offline_is_one_line_naming_file_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ROBUSTX_OFFLINE", "1")
    monkeypatch.setenv("ROBUSTX_MODEL_DIR", str(tmp_path / "empty"))
    result = CliRunner().invoke(cli, ["eval", "--model", f"robustbench:{NAME}", "--dataset", "digits", "--limit", "4"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: robustbench:{NAME}: weights file {NAME}.pt is missing from {tmp_path / 'empty' / 'cifar10' / 'Linf'} "
        "and ROBUSTX_OFFLINE=1; put RobustBench's checkpoint there (or set model_dir / $ROBUSTX_MODEL_DIR)")


@needs_robustbench
def test_unknown_zoo_name_suggests(tmp_path):
    import yaml

    recipe = {"name": "z", "data": {"name": "digits"}, "model": {"name": "robustbench:Ding2020MM"}}
    (tmp_path / "z.yaml").write_text(yaml.safe_dump(recipe))
    result = CliRunner().invoke(cli, ["recipe", "validate", str(tmp_path / "z.yaml")])
    assert result.exit_code == 1
    assert "model.name" in result.output and "Ding2020MMA" in result.output


def test_export_robustbench_model_info_field_by_field(tmp_path_factory, tmp_path):
    run_dir = tiny_run(tmp_path_factory)
    result = CliRunner().invoke(cli, ["export", "robustbench", str(run_dir), "--name", "Tiny2026Digits",
                                      "--out", str(tmp_path), "--title", "A tiny model", "--venue", "nowhere"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "model_info" / "digits" / "Linf" / "Tiny2026Digits.json"
    assert result.output.strip() == f"wrote {path}"
    info = json.loads(path.read_text())
    results = json.loads((run_dir / "results.json").read_text())
    (group,) = results["threat_models"]
    n = min(a["n"] for a in results["attacks"] if a["name"] != "clean")
    assert info == {
        "link": None, "name": "A tiny model", "authors": None, "additional_data": False,
        "number_forward_passes": 1, "dataset": "digits", "venue": "nowhere", "architecture": "small_cnn",
        "eps": "0.1", "clean_acc": str(round(100 * results["clean_accuracy"], 2)), "reported": None,
        "corruptions_acc": None, "corruptions_acc_3d": None, "corruptions_mce": None, "corruptions_mce_3d": None,
        "autoattack_acc": str(round(100 * group["robust_accuracy"], 2)),
        "footnote": f"robustx evaluation: worst case of fgsm, pgd at Linf eps=0.1 on {n} test examples; "
                    "audit: not audited.",
    }
    if importlib.util.find_spec("robustbench") is not None:  # RobustBench's own dataclass takes exactly these fields
        from robustx_robustbench.zoo import import_zoo

        utils, _, _ = import_zoo()
        assert utils.ModelInfo(**info).autoattack_acc == info["autoattack_acc"]


def test_export_writes_8_over_255_and_the_audit_verdict(tmp_path):
    from robustx_robustbench.model_info import model_info

    results = {"clean_accuracy": 0.9, "n": 100, "worst_case_threat_model": {"norm": "Linf", "eps": 8 / 255},
               "threat_models": [{"norm": "Linf", "eps": 8 / 255, "robust_accuracy": 0.5, "attacks": ["apgd"]},
                                 {"norm": "L2", "eps": 0.5, "robust_accuracy": 0.6, "attacks": ["pgd_l2"]}],
               "attacks": [{"name": "apgd", "label": "apgd", "threat_model": "Linf 8/255", "norm": "Linf",
                            "eps": 8 / 255, "n": 100, "robust_accuracy": 0.5}],
               "audit": [{"check": "a", "status": "pass"}, {"check": "b", "status": "warn"}]}
    (tmp_path / "results.json").write_text(json.dumps(results))
    (tmp_path / "model.json").write_text(json.dumps({"architecture": {"name": "wrn", "params": {"depth": 28}},
                                                     "dataset": {"name": "cifar10"}}))
    info, dataset, norm = model_info(tmp_path)
    assert (dataset, norm, info["eps"], info["autoattack_acc"]) == ("cifar10", "Linf", "8/255", "50.0")
    assert info["architecture"] == "wrn(depth=28)" and info["footnote"].endswith("on 100 test examples; audit: warn.")
    info, _, norm = model_info(tmp_path, norm="L2")
    assert (norm, info["eps"], info["autoattack_acc"]) == ("L2", "0.5", "60.0")


@needs_robustbench
def test_zoo_section_defaults_from_the_data_and_the_name():
    from robustx_robustbench.zoo import default_zoo, import_zoo

    _, model_dicts, enums = import_zoo()
    l2_only = next(n for n in model_dicts[enums.BenchmarkDataset.cifar_10][enums.ThreatModel.L2]
                   if n not in model_dicts[enums.BenchmarkDataset.cifar_10][enums.ThreatModel.Linf])
    assert default_zoo(NAME, 10, None, None) == ("cifar10", "Linf")
    assert default_zoo(l2_only, 10, None, None) == ("cifar10", "L2")
    assert default_zoo("Standard", 100, None, None) == ("cifar100", "Linf")
    assert default_zoo(NAME, 10, "cifar100", "L2") == ("cifar100", "L2")  # given values are kept
