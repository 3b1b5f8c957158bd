"""Hugging Face Hub weights: ``hf://ORG/REPO/FILE.safetensors`` (optionally ``hf://ORG/REPO@REV/FILE``).

Downloads go through ``huggingface_hub`` into its cache (``HF_HUB_CACHE``, else ``HF_HOME/hub``, else
~/.cache/huggingface/hub), so a file is fetched once. With ``HF_HUB_OFFLINE=1`` (or robustx's
``ROBUSTX_OFFLINE=1``) only the cache is read, and a file missing from it is one line naming it.
The environment is read at call time: huggingface_hub reads it once, when first imported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from robustx.base.errors import CheckpointError
from robustx.base.network import offline as robustx_offline

SCHEME = "hf://"
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class HubFile:
    repo_id: str
    filename: str
    revision: str | None = None

    @property
    def uri(self) -> str:
        rev = f"@{self.revision}" if self.revision else ""
        return f"{SCHEME}{self.repo_id}{rev}/{self.filename}"


def is_hub(uri: object) -> bool:
    return isinstance(uri, str) and uri.startswith(SCHEME)


def parse(uri: str, *, need_file: bool = True) -> HubFile:
    """``hf://ORG/REPO[@REV]/path/FILE`` -> its parts; one line naming the expected shape otherwise."""
    parts = uri[len(SCHEME):].split("/") if is_hub(uri) else []
    if len(parts) < (3 if need_file else 2) or not all(parts) or (not need_file and len(parts) != 2):
        shape = "hf://ORG/REPO/FILE.safetensors" if need_file else "hf://ORG/REPO"
        raise CheckpointError(f"'{uri}' is not a Hugging Face Hub address; expected {shape}")
    repo, _, revision = parts[1].partition("@")
    return HubFile(f"{parts[0]}/{repo}", "/".join(parts[2:]), revision or None)


def offline() -> bool:
    """HF_HUB_OFFLINE as huggingface_hub reads it (1/true/yes/on), or robustx's ROBUSTX_OFFLINE (robustx.datasets.bundle)."""

    return robustx_offline() or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def cache_dir() -> Path | None:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return None  # huggingface_hub's default


def download(uri: str) -> Path:
    """The local (cached) path of a hub file, downloaded first unless offline."""
    from huggingface_hub import hf_hub_download  # lazy: it reads HF_* at first import
    from huggingface_hub.errors import (  # lazy: it reads HF_* at first import
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    ref = parse(uri)
    cache = cache_dir()
    where = cache or Path("~/.cache/huggingface/hub")
    try:
        return Path(hf_hub_download(ref.repo_id, ref.filename, revision=ref.revision, cache_dir=cache,
                                    local_files_only=offline(), library_name="robustx"))
    except LocalEntryNotFoundError:
        how = "HF_HUB_OFFLINE/ROBUSTX_OFFLINE is set" if offline() else "the Hub could not be reached"
        raise CheckpointError(f"{uri}: not in the Hugging Face cache {where} and {how}; download it once online "
                              f"(hf download {ref.repo_id} {ref.filename}) or unset offline mode") from None
    except RepositoryNotFoundError:
        raise CheckpointError(f"{uri}: no repository {ref.repo_id} on the Hugging Face Hub (or it is private: "
                              "log in with `hf auth login`)") from None
    except RevisionNotFoundError:
        raise CheckpointError(f"{uri}: repository {ref.repo_id} has no revision {ref.revision}") from None
    except EntryNotFoundError:
        raise CheckpointError(f"{uri}: repository {ref.repo_id} has no file {ref.filename}") from None
    except HfHubHTTPError as exc:
        raise CheckpointError(f"{uri}: {str(exc).splitlines()[0]}") from None
