"""The dataset plugin: genuine file formats round-trip exactly, errors say where we looked."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from data_writers import (
    CIFAR10_CLASSES,
    cifar_pickle,
    py2_pickle,
    write_cifar10,
    write_cifar100,
    write_fashion_mnist,
    write_idx,
    write_mnist_idx,
    write_svhn,
)
from helpers import heavy_modules_after
from robustx_datasets.sources import SOURCES

from robustx.base.errors import DataError, ParamError
from robustx.config.params import validate_params
from robustx.host.manager import PluginHost

REAL_MNIST = Path(os.environ.get("ROBUSTX_TEST_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
OUR_DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10", "cifar100", "svhn")


@pytest.fixture(scope="module")
def datasets():
    return PluginHost().registry("dataset")


def build(datasets, name: str, root: Path | str, download: bool = False, **params):
    return datasets.create(name, root=str(root), download=download, **params)


def pixel_stats(images: np.ndarray) -> tuple[float, float]:
    """Mean and std in [0, 1] units of uint8 images, from a histogram (no float copy of 47M pixels)."""
    counts = np.bincount(images.ravel(), minlength=256)
    levels = np.arange(256) / 255.0
    mean = float(counts @ levels / counts.sum())
    return mean, float(np.sqrt(counts @ (levels - mean) ** 2 / counts.sum()))


def assert_round_trip(bundle, written) -> None:
    assert str(bundle.train.x.dtype) == str(bundle.test.x.dtype) == "torch.uint8"
    assert str(bundle.train.y.dtype) == str(bundle.test.y.dtype) == "torch.int64"
    np.testing.assert_array_equal(bundle.train.x.numpy(), written.x_train)
    np.testing.assert_array_equal(bundle.test.x.numpy(), written.x_test)
    np.testing.assert_array_equal(bundle.train.y.numpy(), written.y_train)
    np.testing.assert_array_equal(bundle.test.y.numpy(), written.y_test)


# -- registration and parameters ----------------------------------------------------------------------


def test_every_dataset_is_registered_by_this_plugin(datasets):
    for name in OUR_DATASETS:
        assert datasets.get(name).plugin == "datasets"
        assert datasets.get(name).description
    assert datasets.get("fashion-mnist").name == "fashion_mnist"
    assert datasets.get("cifar-10").name == "cifar10"


@pytest.mark.parametrize("name", OUR_DATASETS)
def test_factory_parameters_validate_up_front(datasets, name):
    factory = datasets.get(name).factory
    assert validate_params(factory, {"root": "/data", "download": False}, "data") == {"root": "/data",
                                                                                      "download": False}
    with pytest.raises(ParamError, match="expected true or false"):
        validate_params(factory, {"root": "/data", "download": "yes"}, "data")
    with pytest.raises(ParamError, match="unknown parameter"):
        validate_params(factory, {"root": "/data", "labels": "fine"}, "data")


def test_cifar100_label_is_a_checked_choice(datasets):
    factory = datasets.get("cifar100").factory
    assert validate_params(factory, {"root": "/d", "label": "coarse"}, "data")["label"] == "coarse"
    with pytest.raises(ParamError, match="not one of 'fine', 'coarse'"):
        validate_params(factory, {"root": "/d", "label": "medium"}, "data")


def test_listing_datasets_imports_no_heavy_library():
    code = (
        "import robustx_datasets\n"
        "from robustx.host.manager import PluginHost\n"
        "host = PluginHost(load_entry_points=False)\n"
        "host.register_plugin(robustx_datasets, 'datasets')\n"
        "names = host.registry('dataset').names()\n"
        "assert 'cifar100' in names, names\n"
    )
    assert heavy_modules_after(code, ("torch", "torchvision", "numpy", "scipy", "sklearn")) == []


# -- digits (embedded) ---------------------------------------------------------------------------------


def test_digits_needs_no_files_and_has_a_fixed_stratified_split(datasets, tmp_path):
    from sklearn.datasets import load_digits

    bundle = build(datasets, "digits", tmp_path / "does-not-exist")
    assert (len(bundle.train), len(bundle.test)) == (1437, 360)
    assert tuple(bundle.train.x.shape[1:]) == (1, 8, 8) and str(bundle.train.x.dtype) == "torch.uint8"
    info = bundle.info
    assert (info.name, info.num_classes, info.in_channels, info.image_size) == ("digits", 10, 1, 8)
    assert info.class_names == tuple("0123456789")

    # every sklearn image appears exactly once, scaled 0..16 -> 0..255 and with its own label
    reference = load_digits()
    expected = {np.rint(img * 255 / 16).astype(np.uint8).tobytes(): int(t)
                for img, t in zip(reference.images, reference.target)}
    ours = np.concatenate([bundle.train.x.numpy(), bundle.test.x.numpy()])[:, 0]
    labels = np.concatenate([bundle.train.y.numpy(), bundle.test.y.numpy()])
    assert ours.max() == 255
    keys = [img.tobytes() for img in ours]
    assert all(expected.get(k) == y for k, y in zip(keys, labels))
    assert np.bincount(labels).tolist() == np.bincount(reference.target).tolist()

    test_share = np.bincount(bundle.test.y.numpy(), minlength=10) / np.bincount(reference.target)
    assert np.all(np.abs(test_share - 0.2) < 0.01)  # stratified
    again = build(datasets, "digits", "")
    assert np.array_equal(again.test.x.numpy(), bundle.test.x.numpy())  # fixed split

    mean, std = pixel_stats(bundle.train.x.numpy())  # the stats constants are the train split's own
    assert info.mean == pytest.approx((mean,), abs=1e-4)
    assert info.std == pytest.approx((std,), abs=1e-4)


# -- MNIST / Fashion-MNIST idx -------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["torchvision", "folder", "flat"])
@pytest.mark.parametrize("gz", [True, False])
def test_mnist_idx_round_trips_in_every_layout(datasets, tmp_path, layout, gz):
    written = write_mnist_idx(tmp_path, n_train=30, n_test=10, gz=gz, layout=layout, seed=3)
    bundle = build(datasets, "mnist", tmp_path)
    assert_round_trip(bundle, written)
    assert tuple(bundle.train.x.shape) == (30, 1, 28, 28)
    assert (bundle.info.num_classes, bundle.info.image_size, bundle.info.mean) == (10, 28, (0.1307,))


def test_fashion_mnist_reads_its_own_folders_and_class_names(datasets, tmp_path):
    written = write_fashion_mnist(tmp_path, n_train=12, n_test=6, gz=True, layout="torchvision")
    bundle = build(datasets, "fashion-mnist", tmp_path)
    assert_round_trip(bundle, written)
    assert bundle.info.name == "fashion_mnist"
    assert bundle.info.class_names[0] == "T-shirt/top" and bundle.info.class_names[9] == "Ankle boot"
    with pytest.raises(DataError, match="MNIST/raw/"):  # MNIST does not pick up Fashion-MNIST's folder
        build(datasets, "mnist", tmp_path)


def test_fashion_mnist_falls_back_to_the_debian_package_folder(datasets, tmp_path, monkeypatch):
    from robustx_datasets import idx

    system = tmp_path / "usr-share-datasets-fashion-mnist"
    written = write_fashion_mnist(system, n_train=8, n_test=4, gz=True, layout="flat")
    monkeypatch.setitem(idx.SYSTEM_DIRS, "fashion_mnist", (str(system),))
    assert_round_trip(build(datasets, "fashion_mnist", tmp_path / "no-such-root"), written)


def test_idx_with_a_wrong_magic_number_or_truncated_data_is_refused(datasets, tmp_path):
    write_mnist_idx(tmp_path, n_train=5, n_test=5, gz=False, layout="flat")
    images = tmp_path / "train-images-idx3-ubyte"
    good = images.read_bytes()
    images.write_bytes(good[:-7])
    with pytest.raises(DataError, match=r"^mnist: .*train-images-idx3-ubyte holds .* truncated"):
        build(datasets, "mnist", tmp_path)
    images.write_bytes(b"\x00\x00\x08\x01" + good[4:])  # claims 1 dimension
    with pytest.raises(DataError, match="1 dimensions, expected 3"):
        build(datasets, "mnist", tmp_path)
    images.write_bytes(b"PK\x03\x04" + good[4:])
    with pytest.raises(DataError, match="not an idx file"):
        build(datasets, "mnist", tmp_path)


def test_idx_file_counts_must_agree(datasets, tmp_path):
    write_mnist_idx(tmp_path, n_train=5, n_test=5, gz=True, layout="flat")
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(4, np.uint8), gz=True)
    with pytest.raises(DataError, match="5 images but .* 4 labels"):
        build(datasets, "mnist", tmp_path)


@pytest.mark.skipif(not (REAL_MNIST / "MNIST" / "raw").is_dir(), reason="real MNIST not present")
def test_real_mnist_loads_raw_and_gz_identically(datasets, tmp_path):
    bundle = build(datasets, "mnist", REAL_MNIST)
    assert tuple(bundle.train.x.shape) == (60000, 1, 28, 28)
    assert tuple(bundle.test.x.shape) == (10000, 1, 28, 28)
    assert bundle.train.y.min().item() == 0 and bundle.train.y.max().item() == 9
    assert bundle.train.y[:5].tolist() == [5, 0, 4, 1, 9]  # the famous first labels
    mean, std = pixel_stats(bundle.train.x.numpy())
    assert bundle.info.mean == pytest.approx((mean,), abs=1e-4)
    assert bundle.info.std == pytest.approx((std,), abs=1e-4)

    gz_only = tmp_path / "MNIST" / "raw"  # the .gz files alone must give the very same data
    gz_only.mkdir(parents=True)
    for gz in (REAL_MNIST / "MNIST" / "raw").glob("*.gz"):
        os.symlink(gz, gz_only / gz.name)
    from_gz = build(datasets, "mnist", tmp_path)
    assert np.array_equal(from_gz.test.x.numpy(), bundle.test.x.numpy())
    assert np.array_equal(from_gz.train.y.numpy(), bundle.train.y.numpy())


# -- CIFAR -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_tar", [False, True], ids=["extracted", "tar.gz"])
@pytest.mark.parametrize("pickle_style", ["py2", "py3"])
def test_cifar10_round_trips_extracted_and_from_the_archive(datasets, tmp_path, as_tar, pickle_style):
    written = write_cifar10(tmp_path, n_train=23, n_test=7, as_tar=as_tar, pickle_style=pickle_style)
    assert written.path.name == ("cifar-10-python.tar.gz" if as_tar else "cifar-10-batches-py")
    bundle = build(datasets, "cifar10", tmp_path)
    assert_round_trip(bundle, written)
    assert tuple(bundle.train.x.shape) == (23, 3, 32, 32)
    info = bundle.info
    assert (info.name, info.num_classes, info.in_channels, info.image_size) == ("cifar10", 10, 3, 32)
    assert info.class_names == CIFAR10_CLASSES and len(info.mean) == len(info.std) == 3


def test_cifar_rows_are_red_then_green_then_blue_planes(datasets, tmp_path):
    write_cifar10(tmp_path, n_train=5, n_test=1)
    row = np.zeros((1, 3072), np.uint8)
    row[0, 0], row[0, 1024 + 33], row[0, 2048 + 1023] = 10, 20, 30  # R(0,0), G(1,1), B(31,31)
    batch = {"batch_label": "testing batch 1 of 1", "labels": [3], "data": row, "filenames": ["a.png"]}
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(cifar_pickle(batch))
    image = build(datasets, "cifar10", tmp_path).test.x[0].numpy()
    assert (image[0, 0, 0], image[1, 1, 1], image[2, 31, 31], int(image.sum())) == (10, 20, 30, 60)


@pytest.mark.parametrize("as_tar", [False, True], ids=["extracted", "tar.gz"])
def test_cifar100_fine_and_coarse_labels(datasets, tmp_path, as_tar):
    written = write_cifar100(tmp_path, n_train=30, n_test=10, as_tar=as_tar)
    fine = build(datasets, "cifar100", tmp_path)
    assert_round_trip(fine, written)
    assert fine.info.num_classes == 100 and fine.info.class_names[7] == "fine_07"
    coarse = build(datasets, "cifar100", tmp_path, label="coarse")
    np.testing.assert_array_equal(coarse.train.y.numpy(), written.extra["coarse_train"])
    np.testing.assert_array_equal(coarse.test.y.numpy(), written.extra["coarse_test"])
    assert coarse.info.num_classes == 20 and coarse.info.class_names == written.extra["coarse_names"]


class _RunsShell:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_restricted_unpickler_refuses_code_execution(tmp_path):
    from robustx_datasets.cifar import unpickle

    sentinel = tmp_path / "pwned"
    evil = pickle.dumps({"data": _RunsShell(f"touch {sentinel}")}, protocol=3)
    with pytest.raises(DataError, match=r"refusing to unpickle (posix|nt)\.system"):
        unpickle(evil, "evil")
    with pytest.raises(DataError, match=r"refusing to unpickle builtins\.eval"):
        unpickle(b"cbuiltins\neval\n(S'1'\ntR.", "evil")  # protocol 0: eval('1')
    assert not sentinel.exists()
    assert unpickle(py2_pickle({"labels": [1, 2]}), "fine") == {"labels": [1, 2]}


def test_a_malicious_batch_inside_a_dataset_is_refused(datasets, tmp_path):
    write_cifar10(tmp_path, n_train=5, n_test=2)
    sentinel = tmp_path / "pwned"
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    batch.write_bytes(pickle.dumps(_RunsShell(f"touch {sentinel}"), protocol=2))
    with pytest.raises(DataError) as info:
        build(datasets, "cifar10", tmp_path)
    message = str(info.value)
    assert message.startswith("cifar10: ") and "data_batch_3: refusing to unpickle" in message
    assert not sentinel.exists()


def test_incomplete_cifar_archive_names_the_missing_member(datasets, tmp_path):
    import tarfile

    written = write_cifar10(tmp_path / "full", n_train=5, n_test=2, as_tar=True)
    with tarfile.open(written.path) as src, tarfile.open(tmp_path / "cifar-10-python.tar.gz", "w:gz") as dst:
        for member in src:
            if not member.name.endswith("test_batch"):
                dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    with pytest.raises(DataError, match="lacks cifar-10-batches-py/test_batch"):
        build(datasets, "cifar10", tmp_path)


# -- SVHN --------------------------------------------------------------------------------------------


def test_svhn_round_trips_and_maps_label_10_to_0(datasets, tmp_path):
    written = write_svhn(tmp_path, n_train=9, n_test=5)
    from scipy.io import loadmat

    assert 10 in loadmat(tmp_path / "train_32x32.mat")["y"]  # the file really uses 10 for digit 0
    bundle = build(datasets, "svhn", tmp_path)
    assert_round_trip(bundle, written)
    assert 0 in bundle.train.y.tolist() and bundle.train.y.max().item() <= 9
    assert (bundle.info.in_channels, bundle.info.image_size, bundle.info.num_classes) == (3, 32, 10)


# -- missing data ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "looked"),
    [
        ("cifar10", ["{root}/cifar-10-batches-py/", "{root}/cifar-10-python.tar.gz"]),
        ("cifar100", ["{root}/cifar-100-python/", "{root}/cifar-100-python.tar.gz"]),
        ("mnist", ["{root}/MNIST/raw/", "{root}/mnist/", "{root}/", "t10k-labels-idx1-ubyte[.gz]"]),
        ("fashion_mnist", ["{root}/FashionMNIST/raw/", "{root}/fashion-mnist/",
                           "/usr/share/datasets/fashion-mnist/"]),
        ("svhn", ["{root}/train_32x32.mat", "{root}/test_32x32.mat"]),
    ],
)
def test_missing_data_is_one_line_naming_every_place_looked(datasets, tmp_path, name, looked, monkeypatch):
    # the system copy (Debian's dataset-fashion-mnist) may be installed: look in an empty folder instead
    import robustx_datasets.idx as idx

    system = tmp_path.parent / f"{tmp_path.name}-system"
    monkeypatch.setitem(idx.SYSTEM_DIRS, "fashion_mnist", (str(system),))
    looked = [p.replace("/usr/share/datasets/fashion-mnist", str(system)) for p in looked]
    with pytest.raises(DataError) as info:
        build(datasets, name, tmp_path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{name}: no data in data.root {tmp_path}/ (looked for ")
    for place in looked:
        assert place.format(root=tmp_path) in message
    source = SOURCES[name]
    for resource in source.files:  # what to put where by hand, with the published checksum
        assert f"{resource.filename} (md5 {resource.digest})" in message
    assert message.endswith(f" in {tmp_path / source.folder}/")


def test_a_missing_root_gets_its_own_message(datasets, tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match=rf"^cifar10: data.root {missing} does not exist and downloading is off"):
        build(datasets, "cifar10", missing)
    assert not missing.exists()


def test_a_partial_idx_folder_says_which_files_are_missing(datasets, tmp_path):
    written = write_mnist_idx(tmp_path, n_train=3, n_test=3, layout="torchvision")
    (written.path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"MNIST/raw/ lacks t10k-labels-idx1-ubyte\)"):
        build(datasets, "mnist", tmp_path)


DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(), reason="apt-get install -y dataset-fashion-mnist")
def test_real_fashion_mnist_from_the_debian_package(tmp_path):
    """An empty data root falls back to Debian's copy: the genuine 60000/10000 28x28 images."""
    import hashlib

    bundle = PluginHost().registry("dataset").create("fashion_mnist", root=str(tmp_path))
    assert (len(bundle.train), len(bundle.test)) == (60000, 10000)
    assert tuple(bundle.train.x.shape[1:]) == (1, 28, 28) and bundle.info.num_classes == 10
    # the md5 of the decompressed test images given in shared/data/README.md (header + pixels)
    header = b"\x00\x00\x08\x03" + (10000).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    digest = hashlib.md5(header + bundle.test.x.numpy().tobytes()).hexdigest()
    assert digest == "8181f5470baa50b63fa0f6fddb340f0a"


def test_the_dataset_plugin_has_no_import_cycle():
    """Every relative import, even lazy or TYPE_CHECKING ones, in the plugin's modules forms a DAG."""
    import ast

    import robustx_datasets

    package = Path(robustx_datasets.__file__).parent
    graph = {}
    for path in package.glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                imported |= {node.module} if node.module else {alias.name for alias in node.names}
        graph[path.stem] = imported & {p.stem for p in package.glob("*.py")}
    assert graph["download"] == {"sources"} and "download" in graph["locate"]

    def visit(module, trail):
        assert module not in trail, f"import cycle: {' -> '.join([*trail, module])}"
        for dep in graph[module]:
            visit(dep, [*trail, module])

    for module in graph:
        visit(module, [])


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10", "cifar100", "svhn"])
def test_validation_with_downloading_off_reports_missing_files_then_accepts_them(name, tmp_path, monkeypatch):
    import robustx_datasets.idx as idx

    from robustx.config.data_source import check_data_available

    monkeypatch.setitem(idx.SYSTEM_DIRS, "fashion_mnist", ())  # Debian's copy would count as present
    spec = {"name": name, "root": str(tmp_path), "download": False}
    host = PluginHost()
    with pytest.raises(DataError) as info:
        check_data_available(spec, host)
    assert str(info.value).startswith(f"{name}: no data in data.root {tmp_path}/")
    assert all(r.filename in str(info.value) for r in SOURCES[name].files)
    writers = {"mnist": write_mnist_idx, "fashion_mnist": write_fashion_mnist, "cifar10": write_cifar10,
               "cifar100": write_cifar100, "svhn": write_svhn}
    writers[name](tmp_path, n_train=5, n_test=2)
    check_data_available(spec, host)  # the files are there now: no error


def test_the_data_root_is_data_root_else_robustx_data_else_the_cache(tmp_path, monkeypatch):
    from robustx.config.data_source import downloads_allowed, resolve_data_root

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("ROBUSTX_DATA", raising=False)
    assert resolve_data_root(None) == tmp_path / ".cache" / "robustx" / "data"
    monkeypatch.setenv("ROBUSTX_DATA", "~/elsewhere")
    assert resolve_data_root(None) == tmp_path / "elsewhere"
    assert resolve_data_root("~/mine") == tmp_path / "mine"
    assert not (tmp_path / "mine").exists()  # resolving creates nothing; downloading does
    monkeypatch.setenv("ROBUSTX_OFFLINE", "1")
    assert downloads_allowed(True) is False
    monkeypatch.setenv("ROBUSTX_OFFLINE", "0")
    assert downloads_allowed(True) is True and downloads_allowed(False) is False


def test_no_shipped_recipe_hard_codes_the_data_root():
    """A root in a recipe would hide $ROBUSTX_DATA (issue 12); the default decides."""
    import yaml

    recipes = sorted((Path(__file__).resolve().parents[2] / "recipes").glob("*.yaml"))
    assert len(recipes) > 10
    for path in recipes:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert "root" not in (raw.get("data") or {}), f"{path.name} sets data.root"
