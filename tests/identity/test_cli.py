"""The command line's output contract, which other tools parse, and its one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509

from learninggraph.cli import main
from learninggraph.domain.permissions import CONTENT_READ_ALL, PROVIDER_READ
from learninggraph.domain.principal import CallerKind
from learninggraph.identity.dev import DEV_CLIENT_ID, DEV_TENANT_ID, DEV_USER_ID, ensure_dev_identity
from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenVerifier
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, _ = _run(capsys, *argv, "--json")
    assert code == 0
    value: dict[str, Any] = json.loads(out)
    return value


def _tenant(capsys: pytest.CaptureFixture[str], url: str) -> str:
    return str(_json(capsys, "tenants", "create", "--name", "Contoso", "--database", url)["tenantId"])


def _delegated_app(capsys: pytest.CaptureFixture[str], url: str, tenant_id: str) -> str:
    """An app consented to PROVIDER_READ, as ``token`` needs one to name."""
    created = _json(
        capsys,
        *("apps", "create", "--tenant", tenant_id, "--name", "Portal"),
        *("--delegated-permission", PROVIDER_READ, "--database", url),
    )
    return str(created["clientId"])


def _create_dev_identity(url: str) -> None:
    database = Database(url)
    upgrade(database)
    ensure_dev_identity(Directory(database))
    database.close()


def _verify(url: str, token: str, public_url: str = "http://127.0.0.1:8000") -> CallerKind:
    """How a server at ``public_url`` (by default, where ``serve`` listens unless told) sees ``token``."""
    database = Database(url)
    try:
        verifier = TokenVerifier(
            keys=SigningKeys.load_or_create(database),
            directory=Directory(database),
            settings=Settings(public_url=public_url),
        )
        return verifier.authenticate(f"Bearer {token}").kind
    finally:
        database.close()


def test_tenants_create_json_prints_the_tenant_id_and_name(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    value = _json(capsys, "tenants", "create", "--name", "Fabrikam", "--database", url)

    assert set(value) == {"tenantId", "name"} and value["name"] == "Fabrikam"


def test_tenants_create_without_json_prints_one_human_line(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    code, out, _ = _run(capsys, "tenants", "create", "--database", url)

    assert code == 0 and len(out.splitlines()) == 1


def test_apps_create_json_prints_the_client_id_secret_and_permissions(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    tenant_id = _tenant(capsys, url)

    value = _json(
        capsys,
        "apps",
        "create",
        "--tenant",
        tenant_id,
        "--name",
        "LMS",
        "--permission",
        CONTENT_READ_ALL,
        "--database",
        url,
    )

    assert set(value) == {
        "tenantId",
        "clientId",
        "clientSecret",
        "permissions",
        "delegatedPermissions",
        "publicClient",
    }
    assert value["tenantId"] == tenant_id and value["permissions"] == [CONTENT_READ_ALL]


def test_users_create_json_prints_the_id_and_user_principal_name(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    tenant_id = _tenant(capsys, url)

    value = _json(
        capsys,
        "users",
        "create",
        "--tenant",
        tenant_id,
        "--name",
        "Adele Vance",
        "--licensed",
        "--database",
        url,
    )

    assert set(value) == {"tenantId", "id", "userPrincipalName"}
    assert value["userPrincipalName"] == "adele.vance@contoso.onmicrosoft.com"


def test_token_prints_a_delegated_jwt_the_verifier_accepts_as_its_last_line(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    tenant_id = _tenant(capsys, url)
    _delegated_app(capsys, url, tenant_id)
    user = _json(capsys, "users", "create", "--tenant", tenant_id, "--name", "Adele", "--database", url)

    code, out, _ = _run(
        capsys,
        "token",
        "--tenant",
        tenant_id,
        "--user",
        user["userPrincipalName"],
        "--scope",
        PROVIDER_READ,
        "--database",
        url,
    )

    assert code == 0
    assert _verify(url, out.splitlines()[-1]) is CallerKind.DELEGATED


def test_token_is_issued_for_the_server_its_public_url_names(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    tenant_id = _tenant(capsys, url)
    _delegated_app(capsys, url, tenant_id)
    user = _json(capsys, "users", "create", "--tenant", tenant_id, "--name", "Adele", "--database", url)
    argv = ["token", "--tenant", tenant_id, "--user", user["id"], "--scope", PROVIDER_READ, "--database", url]

    _, out, _ = _run(capsys, *argv, "--public-url", "https://learning.contoso.example:8443/")
    token = out.splitlines()[-1]

    assert jwt.decode(token, options={"verify_signature": False})["iss"] == (
        f"https://learning.contoso.example:8443/{tenant_id}/v2.0"
    )
    assert _verify(url, token, "https://learning.contoso.example:8443") is CallerKind.DELEGATED


def test_token_refuses_a_public_url_that_is_not_an_origin(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    tenant_id = _tenant(capsys, url)

    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "token",
                "--tenant",
                tenant_id,
                "--user",
                "x",
                "--scope",
                PROVIDER_READ,
                "--public-url",
                "https://h/v1.0",
            ]
        )

    assert exit_.value.code == 2
    assert "must be an origin only" in capsys.readouterr().err


def test_token_accepts_a_user_id_as_well(capsys: pytest.CaptureFixture[str], url: str) -> None:
    tenant_id = _tenant(capsys, url)
    _delegated_app(capsys, url, tenant_id)
    user = _json(capsys, "users", "create", "--tenant", tenant_id, "--name", "Adele", "--database", url)

    code, out, _ = _run(
        capsys,
        "token",
        "--tenant",
        tenant_id,
        "--user",
        user["id"],
        "--scope",
        PROVIDER_READ,
        "--database",
        url,
    )

    assert code == 0 and _verify(url, out.splitlines()[-1]) is CallerKind.DELEGATED


def test_token_names_the_dev_client_when_the_dev_identity_exists(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    _create_dev_identity(url)

    code, out, _ = _run(
        capsys,
        "token",
        "--tenant",
        DEV_TENANT_ID,
        "--user",
        DEV_USER_ID,
        "--scope",
        PROVIDER_READ,
        "--database",
        url,
    )

    assert (
        code == 0
        and jwt.decode(out.splitlines()[-1], options={"verify_signature": False})["appid"] == DEV_CLIENT_ID
    )


def test_a_bad_permission_name_exits_2_with_a_one_line_message(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    tenant_id = _tenant(capsys, url)

    code, out, err = _run(
        capsys,
        "apps",
        "create",
        "--tenant",
        tenant_id,
        "--name",
        "LMS",
        "--permission",
        "Everything.All",
        "--database",
        url,
    )

    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "Everything.All" in err


def test_an_unknown_tenant_exits_2(capsys: pytest.CaptureFixture[str], url: str) -> None:
    _tenant(capsys, url)

    code, _, err = _run(capsys, "users", "create", "--tenant", "nope", "--name", "Adele", "--database", url)

    assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1


def test_a_duplicate_user_principal_name_exits_2(capsys: pytest.CaptureFixture[str], url: str) -> None:
    tenant_id = _tenant(capsys, url)
    args = [
        "users",
        "create",
        "--tenant",
        tenant_id,
        "--name",
        "Adele",
        "--upn",
        "a@contoso.test",
        "--database",
        url,
    ]
    _run(capsys, *args)

    code, _, err = _run(capsys, *args)

    assert code == 2 and "already in use" in err


def test_dev_credentials_exits_1_when_the_dev_identity_is_absent(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    _tenant(capsys, url)

    code, out, err = _run(capsys, "dev-credentials", "--database", url)

    assert code == 1 and out == "" and err


def test_dev_credentials_json_prints_the_dev_identity(capsys: pytest.CaptureFixture[str], url: str) -> None:
    _create_dev_identity(url)

    value = _json(capsys, "dev-credentials", "--database", url)

    assert set(value) == {
        "tenantId",
        "clientId",
        "clientSecret",
        "userId",
        "userPrincipalName",
        "password",
        "directoryRoles",
    }


def test_keys_rotate_prints_the_new_active_kid(capsys: pytest.CaptureFixture[str], url: str) -> None:
    _tenant(capsys, url)

    code, out, _ = _run(capsys, "keys", "rotate", "--database", url)

    database = Database(url)
    active_kid = SigningKeys.load_or_create(database).signing_key()[0]
    database.close()
    assert code == 0 and out.strip() == active_kid


def test_dev_cert_writes_a_ca_and_a_certificate_for_the_loopback_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = _run(capsys, "dev-cert", "--out", str(tmp_path / "certs"))

    leaf = x509.load_pem_x509_certificate((tmp_path / "certs" / "cert.pem").read_bytes())
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert code == 0 and "REQUESTS_CA_BUNDLE" in out and "SSL_CERT_FILE" in out
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert (tmp_path / "certs" / "key.pem").stat().st_mode & 0o077 == 0


def test_the_database_defaults_to_the_environment_variable(
    capsys: pytest.CaptureFixture[str], url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEARNINGGRAPH_DATABASE_URL", url)

    _run(capsys, "tenants", "create", "--name", "From Env")

    assert (tmp_path / "cli.db").exists()


def test_serve_refuses_a_certificate_without_its_key(capsys: pytest.CaptureFixture[str], url: str) -> None:
    code, _, err = _run(capsys, "serve", "--certfile", "cert.pem", "--database", url)

    assert code == 2 and "--keyfile" in err


def test_serve_passes_the_login_failure_ceiling_to_the_settings(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    code, _, err = _run(capsys, "serve", "--login-failure-ceiling", "0", "--database", url)

    assert code == 2 and "login_failure_ceiling must be at least 1" in err
