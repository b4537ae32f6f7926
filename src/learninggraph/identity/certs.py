"""Local development TLS: a throwaway CA and a server certificate for 127.0.0.1, ::1 and localhost."""

from __future__ import annotations

import os
from pathlib import Path

import trustme


def write_dev_certificates(out_dir: Path) -> tuple[Path, Path, Path]:
    """Writes ``ca.pem``, ``cert.pem`` (leaf + chain) and ``key.pem`` (mode 0600); returns their paths.

    The CA's own private key is never written, so the CA can sign nothing else.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="learninggraph development CA")
    leaf = ca.issue_cert("127.0.0.1", "::1", "localhost", common_name="localhost")
    ca_path, cert_path, key_path = out_dir / "ca.pem", out_dir / "cert.pem", out_dir / "key.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    with cert_path.open("wb") as chain:
        for blob in leaf.cert_chain_pems:
            chain.write(blob.bytes())
    key_path.unlink(missing_ok=True)
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(leaf.private_key_pem.bytes())
    return ca_path, cert_path, key_path
