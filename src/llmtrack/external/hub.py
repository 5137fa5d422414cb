"""A model's ``config.json`` from the Hugging Face Hub, with ``huggingface_hub`` (the hub
extra): downloaded once into its own cache, read from there when offline. Every way it can
fail ends in one line that says what to do."""

from __future__ import annotations

from pathlib import Path

from llmtrack.errors import NotFoundError, UsageError


def fetch_config(repo_id: str) -> tuple[dict, str]:
    """(the config, its URL). Raises UsageError or NotFoundError with the reason."""
    try:
        from huggingface_hub import constants, hf_hub_download
        from huggingface_hub import errors as hub_errors
    except ImportError:
        raise UsageError(
            f"{repo_id!r} is not in the catalog; reading it from the Hugging Face Hub needs "
            "huggingface_hub: pip install 'llmtrack[hub]'"
        ) from None
    url = f"{constants.ENDPOINT}/{repo_id}/blob/main/config.json"
    try:
        path = hf_hub_download(repo_id, "config.json")
    except hub_errors.GatedRepoError:
        raise UsageError(
            f"{repo_id} is gated: accept its terms on huggingface.co/{repo_id}, then log in "
            "with `hf auth login` (or set HF_TOKEN)"
        ) from None
    except hub_errors.RepositoryNotFoundError:
        raise NotFoundError(
            f"{repo_id!r} is neither in the catalog nor a model on the Hugging Face Hub "
            "(a private one needs `hf auth login`)"
        ) from None
    # before EntryNotFoundError: "not cached and offline" is a kind of it
    except (hub_errors.LocalEntryNotFoundError, hub_errors.OfflineModeIsEnabled):
        raise UsageError(
            f"{repo_id!r} is not in the catalog and the Hugging Face Hub cannot be reached "
            "(offline?), nor is its config.json cached"
        ) from None
    except hub_errors.EntryNotFoundError:
        raise NotFoundError(f"{repo_id} has no config.json on the Hugging Face Hub") from None
    except hub_errors.HfHubHTTPError as error:
        status = getattr(getattr(error, "response", None), "status_code", "?")
        raise UsageError(f"the Hugging Face Hub refused {repo_id} (HTTP {status})") from None
    except OSError as error:  # a connection that failed below the hub's own errors
        raise UsageError(
            f"could not reach the Hugging Face Hub: {error.strerror or error}"
        ) from None
    from llmtrack.external import read_config

    return read_config(Path(path)), url
