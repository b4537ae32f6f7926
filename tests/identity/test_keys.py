"""Signing keys: persisted, shared between processes, rotated without breaking issued tokens."""

from __future__ import annotations

import threading
from pathlib import Path

import jwt

from learninggraph.identity.keys import PUBLISHED, SigningKeys, thumbprint
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _open(db_path: Path) -> Database:
    database = Database(f"sqlite:///{db_path}")
    upgrade(database)
    return database


def _sign(keys: SigningKeys) -> str:
    kid, key = keys.signing_key()
    return jwt.encode({"sub": "x"}, key, algorithm="RS256", headers={"kid": kid})


def _verifies(keys: SigningKeys, token: str) -> bool:
    key = keys.public_key(jwt.get_unverified_header(token)["kid"])
    if key is None:
        return False
    jwt.decode(token, key, algorithms=["RS256"])
    return True


def test_the_first_start_creates_a_2048_bit_rsa_key(keys: SigningKeys) -> None:
    kid, key = keys.signing_key()

    assert key.key_size == 2048
    assert kid == thumbprint(key.public_key())


def test_the_signing_key_is_persisted_across_reloads(db: Database, keys: SigningKeys) -> None:
    reloaded = SigningKeys.load_or_create(db)

    assert reloaded.signing_key()[0] == keys.signing_key()[0]


def test_two_loaders_starting_at_once_on_one_database_agree(db_path: Path) -> None:
    databases = [_open(db_path), _open(db_path)]
    kids: list[str] = []
    start = threading.Barrier(2)

    def load(database: Database) -> None:
        start.wait()
        kids.append(SigningKeys.load_or_create(database).signing_key()[0])

    threads = [threading.Thread(target=load, args=(d,)) for d in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for database in databases:
        database.close()

    assert len(kids) == 2 and kids[0] == kids[1]


def test_rotation_makes_a_new_active_key_and_keeps_the_old_one_verifying(keys: SigningKeys) -> None:
    old_kid = keys.signing_key()[0]
    token = _sign(keys)

    new_kid = keys.rotate()

    assert keys.signing_key()[0] == new_kid != old_kid
    assert _verifies(keys, token)


def test_the_previous_active_key_is_marked_published(db: Database, keys: SigningKeys) -> None:
    old_kid = keys.signing_key()[0]

    keys.rotate()

    with db.snapshot() as conn:
        assert conn.fetch_one("SELECT state FROM signing_keys WHERE kid = ?", (old_kid,)) == (PUBLISHED,)


def test_another_process_rotation_is_seen_when_an_unknown_kid_arrives(db: Database, db_path: Path) -> None:
    clock = FakeClock()
    here = SigningKeys(db, clock=clock)
    here.jwks()
    other_database = _open(db_path)
    new_kid = SigningKeys.load_or_create(other_database).rotate()
    other_database.close()
    clock.now += 5

    assert here.public_key(new_kid) is not None


def test_an_unknown_kid_rereads_the_table_at_most_once_per_few_seconds(db: Database, db_path: Path) -> None:
    clock = FakeClock()
    here = SigningKeys(db, clock=clock)
    here.jwks()
    other_database = _open(db_path)
    new_kid = SigningKeys.load_or_create(other_database).rotate()
    other_database.close()
    clock.now += 1

    assert here.public_key(new_kid) is None


def test_the_jwks_publishes_active_and_published_keys_as_rs256_signature_keys(keys: SigningKeys) -> None:
    old_kid = keys.signing_key()[0]
    new_kid = keys.rotate()

    published = keys.jwks()["keys"]

    assert isinstance(published, list)
    assert {k["kid"] for k in published} == {old_kid, new_kid}
    assert all(k["kty"] == "RSA" and k["use"] == "sig" and k["alg"] == "RS256" for k in published)
    assert all(set(k) >= {"n", "e"} and "d" not in k for k in published)


def test_a_published_jwk_verifies_a_token_signed_by_its_key(keys: SigningKeys) -> None:
    token = _sign(keys)
    published = keys.jwks()["keys"]
    assert isinstance(published, list)

    key = jwt.PyJWK(published[0]).key

    assert jwt.decode(token, key, algorithms=["RS256"]) == {"sub": "x"}


def _stored_kids(database: Database) -> list[str]:
    with database.snapshot() as conn:
        return [str(row[0]) for row in conn.fetch_all("SELECT kid FROM signing_keys")]


def test_a_key_generated_in_the_background_is_stored_when_first_needed_and_signs(db: Database) -> None:
    keys = SigningKeys.load_or_create(db, generate_in_background=True)
    stored_before = _stored_kids(db)

    token = _sign(keys)

    assert stored_before == []
    assert _stored_kids(db) == [keys.signing_key()[0]]
    assert _verifies(keys, token)


def test_a_key_another_process_stored_meanwhile_wins_over_one_generated_in_the_background(
    db: Database, db_path: Path
) -> None:
    keys = SigningKeys.load_or_create(db, generate_in_background=True)
    other_database = _open(db_path)
    theirs = SigningKeys.load_or_create(other_database).signing_key()[0]
    other_database.close()

    assert keys.signing_key()[0] == theirs
    assert _stored_kids(db) == [theirs]
