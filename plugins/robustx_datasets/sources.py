"""Where each built-in dataset's files come from, and their published checksums: the one table.

The download, the offline error messages, docs/datasets.md and the README's offline section
all read (or are tested against) this table. The md5 sums are the ones the dataset authors
publish and torchvision checks; sizes are the published byte counts, shown before a download.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    """One file to fetch: its name, checksum ("md5:..." or "sha256:..."), size and official URLs."""

    filename: str
    checksum: str
    size: int
    urls: tuple[str, ...]

    @property
    def algorithm(self) -> str:
        return self.checksum.split(":", 1)[0]

    @property
    def digest(self) -> str:
        return self.checksum.split(":", 1)[1]


@dataclass(frozen=True)
class Source:
    """A dataset's files and the folder under the data root they go into ("" = the root itself)."""

    dataset: str
    folder: str
    files: tuple[Resource, ...]


def _from(bases: tuple[str, ...], filename: str, md5: str, size: int) -> Resource:
    return Resource(filename, f"md5:{md5}", size, tuple(base + filename for base in bases))


_MNIST = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_FASHION = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
_TORONTO = ("https://www.cs.toronto.edu/~kriz/",)
_SVHN = ("http://ufldl.stanford.edu/housenumbers/",)

SOURCES: dict[str, Source] = {
    "mnist": Source("mnist", "MNIST/raw", (
        _from(_MNIST, "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422),
        _from(_MNIST, "train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28881),
        _from(_MNIST, "t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1648877),
        _from(_MNIST, "t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4542),
    )),
    "fashion_mnist": Source("fashion_mnist", "FashionMNIST/raw", (
        _from(_FASHION, "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26421880),
        _from(_FASHION, "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", 29515),
        _from(_FASHION, "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4422102),
        _from(_FASHION, "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", 5148),
    )),
    "cifar10": Source("cifar10", "", (
        _from(_TORONTO, "cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a", 170498071),
    )),
    "cifar100": Source("cifar100", "", (
        _from(_TORONTO, "cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85", 169001437),
    )),
    "svhn": Source("svhn", "", (
        _from(_SVHN, "train_32x32.mat", "e26dedcc434d2e4c54c9b2d4a06d8373", 182040794),
        _from(_SVHN, "test_32x32.mat", "eb5a983be6a315427106f1b164d9cef3", 64275384),
    )),
}
