"""What the learningProvider operations, and the operations under a provider, answer when refused."""

from __future__ import annotations

from learninggraph.domain.errors import BadRequest, NotFound

# Messages fixed by the Graph documentation; kept verbatim.
PROVIDER_NOT_ENABLED = "This provider isn't enabled for the given tenant."
BAD_REGISTRATION_ID = (
    "There was an issue with your request. "
    "Make sure the registrationId you entered is valid or registered for your tenant."
)


def provider_not_found(provider_id: str) -> NotFound:
    return NotFound(f"The learning provider '{provider_id}' was not found.")


def unknown_registration_id() -> BadRequest:
    """A path or body names a provider (its registrationId) the tenant does not have."""
    return BadRequest(BAD_REGISTRATION_ID)


def sync_not_enabled() -> BadRequest:
    return BadRequest(PROVIDER_NOT_ENABLED)
