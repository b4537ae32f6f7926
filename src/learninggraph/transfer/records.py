"""The export format: its header, the kinds of record in the order they are written, and their columns.

An export is JSON Lines (UTF-8, one JSON object a line, ``\\n`` after each). The first line is the header::

    {"format":"learninggraph-export","version":1,"schemaVersion":3,"tenant":null,"secrets":false,
     "counts":{"tenant":1,...}}

Every other line is one record: ``{"kind":"<kind>", <column>: <value>, ...}`` with the table's columns as
stored (text, integers, null; booleans as 0/1; date-times as the stored UTC text; lists as their JSON text),
kinds in the order of ``KINDS`` (parents before children), and records of one kind in primary-key order
(byte-wise), so two exports of the same records are byte-identical whatever the database.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from learninggraph.storage.migrations import MIGRATIONS

FORMAT = "learninggraph-export"
# The version of the file layout (header and record framing); the columns follow the schema version.
VERSION = 1
SCHEMA_VERSION = max(migration.version for migration in MIGRATIONS)
# Rows read, encoded, decoded or inserted at a time.
BATCH_ROWS = 5_000


class TransferError(ValueError):
    """An export or import that cannot go ahead; the message says why, for the operator."""


class Header(msgspec.Struct, forbid_unknown_fields=False):
    format: str
    version: int
    schemaVersion: int  # noqa: N815 (the file's own spelling)
    tenant: str | None = None
    secrets: bool = False
    counts: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of record: the table it comes from, its columns, and how one tenant's rows are chosen."""

    name: str
    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    # A SQL condition with one ``?`` for the tenant id.
    tenant_filter: str
    # Columns written only with secrets (password hashes); a kind that is all secret has ``secret=True``.
    secret_columns: tuple[str, ...] = ()
    secret: bool = False
    # Server-wide rows (signing keys) belong to no tenant: only in exports of every tenant.
    server_wide: bool = False

    def exported_columns(self, *, secrets: bool) -> tuple[str, ...]:
        return tuple(c for c in self.columns if secrets or c not in self.secret_columns)


_BY_TENANT = "tenant_id = ?"
_DATES = ("created_at",)

KINDS: tuple[Kind, ...] = (
    Kind("tenant", "tenants", ("id",), ("id", "name", "has_learning_plan", *_DATES), "id = ?"),
    Kind(
        "application",
        "applications",
        ("client_id",),
        (
            "client_id",
            "tenant_id",
            "name",
            "permissions",
            "delegated_permissions",
            "public_client",
            "account_enabled",
            "tokens_valid_after",
            *_DATES,
        ),
        _BY_TENANT,
    ),
    Kind(
        "clientSecret",
        "client_secrets",
        ("id",),
        ("id", "client_id", "salt", "digest", "hint", *_DATES),
        "client_id IN (SELECT client_id FROM applications WHERE tenant_id = ?)",
        secret=True,
    ),
    Kind(
        "user",
        "users",
        ("tenant_id", "id"),
        (
            "tenant_id",
            "id",
            "display_name",
            "user_principal_name",
            "has_learning_license",
            "directory_roles",
            "account_enabled",
            "password_hash",
            *_DATES,
        ),
        _BY_TENANT,
        secret_columns=("password_hash",),
    ),
    Kind(
        "signingKey",
        "signing_keys",
        ("kid",),
        ("kid", "private_key", "state", *_DATES),
        "",
        secret=True,
        server_wide=True,
    ),
    Kind(
        "learningProvider",
        "learning_providers",
        ("tenant_id", "id"),
        (
            "tenant_id",
            "id",
            "display_name",
            "is_course_activity_sync_enabled",
            "login_web_url",
            "long_logo_web_url_for_dark_theme",
            "long_logo_web_url_for_light_theme",
            "square_logo_web_url_for_dark_theme",
            "square_logo_web_url_for_light_theme",
            *_DATES,
        ),
        _BY_TENANT,
    ),
    Kind(
        "learningContent",
        "learning_contents",
        ("tenant_id", "id"),
        (
            "tenant_id",
            "id",
            "provider_id",
            "external_id",
            "title",
            "content_web_url",
            "language_tag",
            "additional_tags",
            "contributors",
            "created_date_time",
            "description",
            "duration",
            "format",
            "is_active",
            "is_premium",
            "is_searchable",
            "last_modified_date_time",
            "level",
            "number_of_pages",
            "skill_tags",
            "source_name",
            "thumbnail_web_url",
        ),
        _BY_TENANT,
    ),
    Kind(
        "courseActivity",
        "learning_course_activities",
        ("tenant_id", "id"),
        (
            "tenant_id",
            "id",
            "odata_type",
            "provider_id",
            "learner_user_id",
            "learning_content_id",
            "external_id",
            "status",
            "completion_percentage",
            "completed_date_time",
            "assigned_date_time",
            "assigner_user_id",
            "assignment_type",
            "due_date_time",
            "notes",
            "started_date_time",
        ),
        _BY_TENANT,
    ),
)
KIND_BY_NAME = {kind.name: kind for kind in KINDS}


Value = str | int | None


@functools.cache
def export_type(kind: Kind, *, secrets: bool) -> type[msgspec.Struct]:
    """The record as written: ``kind`` first (the tag), then the exported columns in order."""
    fields = [(column, Any) for column in kind.exported_columns(secrets=secrets)]
    return msgspec.defstruct(f"{kind.name}Out", fields, tag_field="kind", tag=kind.name)


@functools.cache
def import_type(kind: Kind) -> type[msgspec.Struct]:
    """The record as read: the key columns required, any other column optional (absent: the default)."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [
        (column, Value) if column in kind.key else (column, Value | UnsetType, UNSET)
        for column in kind.columns
    ]
    # Not tracked by the cyclic garbage collector: its values are text, integers or null, never a cycle.
    return msgspec.defstruct(
        f"{kind.name}In",
        fields,
        tag_field="kind",
        tag=kind.name,
        kw_only=True,
        forbid_unknown_fields=True,
        gc=False,
    )


def record_decoder() -> msgspec.json.Decoder[Any]:
    """Decodes a record line of any kind, checking its columns and that each value is text, integer or null."""
    union: Any = functools.reduce(operator.or_, [import_type(kind) for kind in KINDS])
    return msgspec.json.Decoder(union)


def exported_kinds(*, tenant: str | None, secrets: bool) -> list[Kind]:
    return [k for k in KINDS if (secrets or not k.secret) and (tenant is None or not k.server_wide)]


def select_sql(kind: Kind, *, tenant: str | None, secrets: bool) -> str:
    where = f" WHERE {kind.tenant_filter}" if tenant is not None else ""
    columns = ", ".join(kind.exported_columns(secrets=secrets))
    return f"SELECT {columns} FROM {kind.table}{where} ORDER BY {', '.join(kind.key)}"


def count_sql(kind: Kind, *, tenant: str | None) -> str:
    where = f" WHERE {kind.tenant_filter}" if tenant is not None else ""
    return f"SELECT COUNT(*) FROM {kind.table}{where}"


def check_header(header: Header) -> None:
    if header.format != FORMAT:
        raise TransferError(f"not a learninggraph export (format {header.format!r}, expected {FORMAT!r})")
    if header.version != VERSION:
        raise TransferError(
            f"export format version {header.version} is not supported: this learninggraph reads version {VERSION}"
        )
    if header.schemaVersion > SCHEMA_VERSION:
        raise TransferError(
            f"the export is of schema version {header.schemaVersion}, newer than this learninggraph's "
            f"{SCHEMA_VERSION}: import it with the release that wrote it or a later one"
        )
    if header.schemaVersion < 1:
        raise TransferError(f"schema version {header.schemaVersion} is not valid")
