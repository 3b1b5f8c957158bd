"""Write the ``data.extra`` file of the Fashion-MNIST ingredient study: training images the study never uses.

The study (recipes/fmnist_leaderboard_ingredients.yaml) trains on ``data.limit`` images of a seeded
permutation of the 60000 training images, after the validation split; this script takes the next
``--n`` images of that same permutation (so none is a training or validation image of the study) and
saves them with their true labels as ``images`` (N, 1, 28, 28) uint8 + ``labels`` in a safetensors
file in the data root, where the recipe's ``data.extra.path`` finds it. True labels make it an upper
bound for the pseudo-labelled or generated images of Gowal et al. 2020 / Rebuffi et al. 2021.

    python bench/make_fmnist_extra.py [--n 20000] [--seed 0] [--val-split 0.05] [--limit 3000]
"""

from __future__ import annotations

import argparse

import torch
from safetensors.torch import save_file

from robustx.config.data_source import resolve_data_root
from robustx.host.manager import registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--val-split", type=float, default=0.05)
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--out", default=None, help="default: DATA_ROOT/fmnist_extra.safetensors")
    args = parser.parse_args()
    bundle = registry("dataset").create("fashion_mnist", root=str(resolve_data_root(None)), download=False)
    # the permutation robustx.datasets.splits.split draws for the run (same seed, same length)
    order = torch.randperm(len(bundle.train), generator=torch.Generator().manual_seed(args.seed))
    start = int(round(len(order) * args.val_split)) + args.limit
    index = order[start:start + args.n]
    out = args.out or str(resolve_data_root(None) / "fmnist_extra.safetensors")
    resolve_data_root(None).mkdir(parents=True, exist_ok=True)
    save_file({"images": bundle.train.x[index].contiguous(), "labels": bundle.train.y[index].contiguous()}, out)
    print(f"{len(index)} images (permutation positions {start}..{start + len(index) - 1}) -> {out}")


if __name__ == "__main__":
    main()
