"""Signing in to the dashboard with a tenant user's password, with the token endpoint's checks and lockout."""

from __future__ import annotations

import math

from learninggraph.identity.directory import Directory, TokenError, User
from learninggraph.identity.endpoints import CREDENTIAL_FAILURES, LoginGuard

# The client id the lockout counts the dashboard's sign-ins under (the token endpoint counts per app).
DASHBOARD_CLIENT_ID = "learninggraph-dashboard"


class SignInRefused(Exception):
    """What the sign-in page tells the user; ``retry_after`` is set when sign-in is locked."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class SignIn:
    def __init__(self, directory: Directory, guard: LoginGuard | None) -> None:
        self._directory = directory
        self._guard = guard

    def with_password(self, tenant_id: str, user_name: str, password: str, address: str) -> User:
        """The user, if the password is theirs; counts failures like the token endpoint's password grant."""
        tenant_id, user_name = tenant_id.strip(), user_name.strip()
        if not tenant_id or not user_name or not password:
            raise SignInRefused("Enter the tenant ID, the user name and the password.")
        user_key = f"{tenant_id}\x00{user_name.lower()}"
        guard = self._guard
        if guard is None:
            try:
                return self._directory.authenticate_user(tenant_id, user_name, password)
            except TokenError:
                raise _wrong_credentials() from None
        # Counted as being checked until a failure is recorded (``LoginGuard.checking``): concurrent guesses
        # count each other as failures spent, so they are checked no more often than the limit.
        with guard.checking(DASHBOARD_CLIENT_ID, address, user_key) as pending:
            wait = guard.blocked_for(DASHBOARD_CLIENT_ID, address, user_key, pending)
            if wait > 0.0:
                seconds = max(1, math.ceil(wait))
                raise SignInRefused(
                    f"Sign-in is locked after too many failed attempts. Retry after {seconds} seconds.",
                    retry_after=seconds,
                )
            try:
                return self._directory.authenticate_user(tenant_id, user_name, password)
            except TokenError as error:
                if error.code in CREDENTIAL_FAILURES:
                    guard.failed(DASHBOARD_CLIENT_ID, address, user_key)
                raise _wrong_credentials() from None

    def user(self, tenant_id: str, user_id: str) -> User | None:
        """The session's user as the directory holds it now (a disabled account is signed out)."""
        user = self._directory.user(tenant_id, user_id)
        if user is None or not user.account_enabled:
            return None
        return user


def _wrong_credentials() -> SignInRefused:
    return SignInRefused("The tenant ID, user name or password is not correct.")
