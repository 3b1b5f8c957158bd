"""The real download path, end to end, against a local HTTP server on 127.0.0.1.

The server serves genuine-format archives that the tests write (tests/data_writers.py);
$ROBUSTX_CHECKSUM_OVERRIDE tells robustx their checksums, since they are not the published
files (the published table in robustx_datasets.sources is untouched). Every byte goes
through urllib, the part file, the checksum and the rename, exactly as for a user.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from data_writers import write_cifar10, write_mnist_idx
from robustx_datasets.sources import SOURCES

from robustx.base.errors import DataError
from robustx.cli import cli
from robustx.host.manager import PluginHost

MNIST_GZ = [r.filename for r in SOURCES["mnist"].files]
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Server:
    """What the local server serves, and what it was asked for."""

    url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    truncate: set[str] = field(default_factory=set)  # announce the full length, send half, hang up
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def server():
    served = Server()

    class Handler(BaseHTTPRequestHandler):
        timeout = 5  # a stuck client cannot hold the test

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            name = self.path.lstrip("/")
            served.requests.append(name)
            body = served.files.get(name)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if name in served.truncate:
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    served.url = f"http://127.0.0.1:{httpd.server_port}/"
    try:
        yield served
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def serve(server: Server, folder: Path, monkeypatch, names: list[str]) -> dict[str, bytes]:
    """Serve ``names`` from ``folder`` as the mirror, with their true checksums as the override."""
    files = {name: (folder / name).read_bytes() for name in names}
    server.files.update(files)
    monkeypatch.delenv("ROBUSTX_OFFLINE", raising=False)
    monkeypatch.setenv("ROBUSTX_MIRROR", server.url)
    monkeypatch.setenv("ROBUSTX_CHECKSUM_OVERRIDE", ",".join(f"{n}=md5:{md5(b)}" for n, b in files.items()))
    return files


@pytest.fixture
def mnist_served(server, tmp_path, monkeypatch) -> dict[str, bytes]:
    write_mnist_idx(tmp_path / "src", n_train=40, n_test=12, gz=True, layout="flat")
    return serve(server, tmp_path / "src", monkeypatch, MNIST_GZ)


TINY = """\
name: tiny_download
data: {{name: mnist, root: {root}, limit: 32, test_limit: 12, batch_size: 16, val_split: 0}}
model: {{name: small_cnn}}
train: {{epochs: 1, optimizer: {{name: adam, lr: 0.001}}}}
evaluate: {{attacks: [clean]}}
"""


def run_tiny(tmp_path: Path, root: Path, *extra: str):
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(TINY.format(root=root))
    return CliRunner().invoke(cli, ["recipe", "run", str(recipe), "--out", str(tmp_path / "runs"), "--quiet", *extra])


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert result.exit_code == 1 and len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


# -- the scenarios of a first-time user -------------------------------------------------------------


def test_first_run_downloads_verifies_and_trains_then_the_second_does_not_download(server, mnist_served, tmp_path):
    root = tmp_path / "fresh" / "data"  # does not exist yet: created on demand
    first = run_tiny(tmp_path, root)
    assert first.exit_code == 0, first.output
    for name in MNIST_GZ:
        assert f"robustx: downloading {server.url}{name} (" in first.output
        assert f"robustx: {name}: md5 verified" in first.output
        assert (root / "MNIST" / "raw" / name).read_bytes() == mnist_served[name]
    assert "run directory:" in first.output and "clean " in first.output
    assert leftovers(root) == sorted(MNIST_GZ)  # no part files
    assert sorted(server.requests) == sorted(MNIST_GZ)

    second = run_tiny(tmp_path, root)
    assert second.exit_code == 0, second.output
    assert "downloading" not in second.output
    assert len(server.requests) == len(MNIST_GZ)  # nothing fetched again


def test_a_checksum_mismatch_errors_and_leaves_nothing(server, mnist_served, tmp_path, monkeypatch):
    wrong = "0" * 32
    monkeypatch.setenv("ROBUSTX_CHECKSUM_OVERRIDE", f"{MNIST_GZ[0]}=md5:{wrong}")
    root = tmp_path / "data"
    line = error_line(run_tiny(tmp_path, root))
    folder = root / "MNIST" / "raw"
    assert line.startswith(f"Error: mnist: could not download {MNIST_GZ[0]} ({server.url}{MNIST_GZ[0]}: md5 mismatch: "
                           f"got {md5(mnist_served[MNIST_GZ[0]])}, expected {wrong}); ")
    assert f"put {MNIST_GZ[0]} (md5 {wrong}) in {folder}/ by hand" in line
    assert leftovers(root) == []


def test_a_server_dying_mid_transfer_errors_leaves_nothing_and_a_retry_succeeds(server, mnist_served, tmp_path):
    broken = MNIST_GZ[2]
    server.truncate.add(broken)
    root = tmp_path / "data"
    line = error_line(run_tiny(tmp_path, root))
    assert f"could not download {broken} ({server.url}{broken}: connection closed after" in line
    assert f"in {root / 'MNIST' / 'raw'}/ by hand" in line
    assert broken not in leftovers(root) and not [n for n in leftovers(root) if n.endswith(".part")]
    assert leftovers(root) == sorted(MNIST_GZ[:2])  # the files before it were complete and verified: kept

    server.truncate.clear()
    retry = run_tiny(tmp_path, root)
    assert retry.exit_code == 0, retry.output
    assert leftovers(root) == sorted(MNIST_GZ)
    assert server.requests.count(MNIST_GZ[0]) == 1 and server.requests.count(broken) == 2


def test_offline_is_one_clear_line_and_touches_no_server(server, mnist_served, tmp_path, monkeypatch):
    monkeypatch.setenv("ROBUSTX_OFFLINE", "1")
    root = tmp_path / "data"
    line = error_line(run_tiny(tmp_path, root))
    assert line.startswith(f"Error: mnist: data.root {root} does not exist and downloading is off "
                           f"(ROBUSTX_OFFLINE=1 is set); put {MNIST_GZ[0]} (md5 f68b3c2dcbeaaa9fbdd348bbdeb94873)")
    assert line.endswith(f"in {root}/MNIST/raw/")
    assert server.requests == [] and not root.exists()


def test_download_false_is_caught_by_validate_naming_root_and_files(tmp_path, monkeypatch):
    monkeypatch.delenv("ROBUSTX_OFFLINE", raising=False)
    (tmp_path / "data").mkdir()
    result = CliRunner().invoke(cli, ["recipe", "validate", "mat_rand_wrn", f"data.root={tmp_path / 'data'}",
                                      "data.download=false"])
    line = error_line(result)
    assert f"cifar10: no data in data.root {tmp_path / 'data'}/ (looked for" in line
    assert "downloading is off (data.download=false); put cifar-10-python.tar.gz " \
           "(md5 c58f30108f718f92721af3b95e74349a) in" in line and line.endswith(", or set data.download=true")
    ok = CliRunner().invoke(cli, ["recipe", "validate", "mat_rand_wrn", f"data.root={tmp_path / 'data'}"])
    assert ok.exit_code == 0 and not (tmp_path / "data" / "cifar-10-python.tar.gz").exists()  # validate fetches nothing


def test_an_unreachable_host_is_one_line_naming_file_checksum_and_folder(tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on: connection refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.delenv("ROBUSTX_OFFLINE", raising=False)
    monkeypatch.setenv("ROBUSTX_MIRROR", f"http://127.0.0.1:{port}")
    with pytest.raises(DataError) as info:
        PluginHost().registry("dataset").create("cifar10", root=str(tmp_path), download=True)
    message = str(info.value)
    assert "\n" not in message
    assert re.match(rf"cifar10: could not download cifar-10-python.tar.gz \(http://127.0.0.1:{port}/"
                    rf"cifar-10-python.tar.gz: .*refused.*\); put cifar-10-python.tar.gz "
                    rf"\(md5 c58f30108f718f92721af3b95e74349a\) in {tmp_path}/ by hand", message), message
    assert leftovers(tmp_path) == []


# -- mirrors --------------------------------------------------------------------------------------


def test_data_url_names_the_cifar_archive_and_is_checksum_checked(server, tmp_path, monkeypatch):
    written = write_cifar10(tmp_path / "src", n_train=10, n_test=4, as_tar=True)
    serve(server, tmp_path / "src", monkeypatch, ["cifar-10-python.tar.gz"])
    monkeypatch.setenv("ROBUSTX_MIRROR", "http://127.0.0.1:9/never-used/")  # data.url wins over the mirror
    datasets = PluginHost().registry("dataset")
    url = f"{server.url}cifar-10-python.tar.gz"
    bundle = datasets.create("cifar10", root=str(tmp_path / "data"), download=True, url=url)
    assert len(bundle.train) == 10 and bundle.test.y.tolist() == written.y_test.tolist()
    assert server.requests == ["cifar-10-python.tar.gz"]

    monkeypatch.delenv("ROBUSTX_CHECKSUM_OVERRIDE")  # the published md5: our small archive must be refused
    with pytest.raises(DataError, match=r"md5 mismatch: got [0-9a-f]{32}, expected c58f30108f718f92721af3b95e74349a"):
        datasets.create("cifar10", root=str(tmp_path / "other"), download=True, url=url)
    assert leftovers(tmp_path / "other") == []


def test_svhn_fetches_both_files_from_the_mirror(server, tmp_path, monkeypatch):
    from data_writers import write_svhn

    written = write_svhn(tmp_path / "src", n_train=6, n_test=4)
    serve(server, tmp_path / "src", monkeypatch, ["train_32x32.mat", "test_32x32.mat"])
    bundle = PluginHost().registry("dataset").create("svhn", root=str(tmp_path / "data"), download=True)
    assert bundle.test.y.tolist() == written.y_test.tolist() and len(bundle.train) == 6
    assert server.requests == ["train_32x32.mat", "test_32x32.mat"]
    assert leftovers(tmp_path / "data") == ["test_32x32.mat", "train_32x32.mat"]


def test_a_file_url_mirror_on_a_shared_disk_works_and_is_checked(tmp_path, monkeypatch):
    write_cifar10(tmp_path / "share", n_train=5, n_test=2, as_tar=True)
    archive = tmp_path / "share" / "cifar-10-python.tar.gz"
    monkeypatch.delenv("ROBUSTX_OFFLINE", raising=False)
    monkeypatch.setenv("ROBUSTX_MIRROR", (tmp_path / "share").as_uri())
    monkeypatch.setenv("ROBUSTX_CHECKSUM_OVERRIDE", f"cifar-10-python.tar.gz=sha256:{hashlib.sha256(archive.read_bytes()).hexdigest()}")
    bundle = PluginHost().registry("dataset").create("cifar10", root=str(tmp_path / "data"), download=True)
    assert len(bundle.train) == 5
    assert (tmp_path / "data" / "cifar-10-python.tar.gz").read_bytes() == archive.read_bytes()


def test_data_url_naming_one_file_of_a_many_file_dataset_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("ROBUSTX_OFFLINE", raising=False)
    with pytest.raises(DataError, match=r"^data.url: '.*/train-images-idx3-ubyte.gz' names one file, but mnist "
                                        r"needs 4 .*; give the URL of the folder that holds them$"):
        PluginHost().registry("dataset").create("mnist", root=str(tmp_path), download=True,
                                                url="http://127.0.0.1:9/mnist/train-images-idx3-ubyte.gz")


def test_a_killed_downloads_part_file_is_cleaned_up(server, mnist_served, tmp_path):
    from robustx_datasets.download import fetch_source

    folder = tmp_path / "data" / "MNIST" / "raw"
    folder.mkdir(parents=True)
    stale = folder / f".{MNIST_GZ[0]}.999999999.part"  # no such process
    stale.write_bytes(b"half a file")
    fetch_source(SOURCES["mnist"], tmp_path / "data")
    assert leftovers(tmp_path / "data") == sorted(MNIST_GZ)


# -- one table, documented ------------------------------------------------------------------------


@pytest.mark.parametrize("doc", ["docs/datasets.md", "README.md"])
def test_every_published_checksum_is_documented_with_its_folder(doc):
    rows = [line for line in (ROOT / doc).read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    for source in SOURCES.values():
        folder = f"`DATA_ROOT/{source.folder}/`" if source.folder else "`DATA_ROOT/`"
        for resource in source.files:
            wanted = [f"| {source.dataset} |", f"`{resource.filename}`", folder,
                      f"{resource.algorithm} `{resource.digest}`"]
            if doc == "docs/datasets.md":
                wanted.append(f"| {resource.size:,} |")
            assert any(all(w in row for w in wanted) for row in rows), f"{doc}: no row with {wanted}"
