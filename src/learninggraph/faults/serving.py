"""The fault rules ``serve`` was given (``--fault``, ``--faults-file``): stored while it serves, announced, removed after."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from learninggraph.faults.flags import install, serve_rules, uninstall
from learninggraph.identity.dev import DEV_TENANT_ID, dev_credentials
from learninggraph.identity.directory import Directory
from learninggraph.settings import Settings
from learninggraph.storage.database import Database


@contextmanager
def serve_faults(settings: Settings) -> Iterator[None]:
    """Stores the rules of ``settings`` for the block (a rule that names no tenant is the dev identity's)."""
    if not settings.faults and settings.faults_file is None:
        yield
        return
    database = Database(settings.database_url)
    try:
        directory = Directory(database)
        default_tenant = DEV_TENANT_ID if dev_credentials(directory) is not None else None
        rules = serve_rules(
            settings.faults, [settings.faults_file] if settings.faults_file else [], tenant_id=default_tenant
        )
        for tenant_id in sorted({rule.tenant_id for rule in rules}):
            if directory.tenant(tenant_id) is None:
                raise ValueError(f"fault rules name tenant {tenant_id}, which is not in this database")
        install(database, rules)
    finally:
        database.close()
    for rule in rules:
        sys.stdout.write(f"Injecting faults in tenant {rule.tenant_id}: {rule.describe()}\n")
    sys.stdout.flush()
    try:
        yield
    finally:
        database = Database(settings.database_url)
        try:
            uninstall(database, rules)
        finally:
            database.close()
