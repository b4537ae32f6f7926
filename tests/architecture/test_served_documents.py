"""The served ``$metadata`` (v1.0, beta) and ``/openapi.json`` are byte for byte the documents pinned beside this
test, which the server wrote before the documents were assembled from the resources' descriptors. A change to
either document changes a pinned file in the same commit, where a reviewer sees it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from learninggraph import __version__

PINNED = Path(__file__).resolve().parent / "documents"


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_the_metadata_is_byte_for_byte_the_pinned_document(base_url: str, version: str) -> None:
    served = httpx.get(f"{base_url}/{version}/$metadata").content

    assert served == (PINNED / f"metadata-{version}.xml").read_bytes()


def test_the_openapi_document_is_byte_for_byte_the_pinned_document(base_url: str) -> None:
    served = httpx.get(f"{base_url}/openapi.json").content
    release = f'"info":{{"title":"learninggraph","version":"{__version__}"}}'.encode()

    assert (
        served.replace(release, b'"info":{"title":"learninggraph","version":"VERSION"}')
        == (PINNED / "openapi.json").read_bytes()
    )
