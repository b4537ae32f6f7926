"""What the learningProvider operations, and the operations under a provider, answer when refused."""

from __future__ import annotations

from learninggraph.domain.errors import BadRequest, Explanation, NotFound

# Messages fixed by the Graph documentation; kept verbatim.
PROVIDER_NOT_ENABLED = "This provider isn't enabled for the given tenant."
BAD_REGISTRATION_ID = (
    "There was an issue with your request. "
    "Make sure the registrationId you entered is valid or registered for your tenant."
)


def provider_not_found(provider_id: str) -> NotFound:
    return NotFound(
        f"The learning provider '{provider_id}' was not found.",
        explanation=Explanation(
            "entity.notFound",
            f"No learning provider has id '{provider_id}' in this tenant.",
            {"entity": "learningProvider", "id": provider_id},
        ),
    )


def unknown_registration_id(provider_id: str | None = None) -> BadRequest:
    """A path or body names a provider (its registrationId) the tenant does not have."""
    return BadRequest(
        BAD_REGISTRATION_ID,
        explanation=Explanation(
            "provider.unknownRegistrationId",
            f"The tenant has no learning provider with registrationId '{provider_id}'; the registrationId is "
            "the id POST /employeeExperience/learningProviders answered.",
            {"provider": provider_id},
        ),
    )


def sync_not_enabled(provider_id: str | None = None) -> BadRequest:
    """The provider's ``isCourseActivitySyncEnabled`` is false: its course activities are refused."""
    return BadRequest(
        PROVIDER_NOT_ENABLED,
        explanation=Explanation(
            "provider.syncDisabled",
            f"Provider {provider_id} has isCourseActivitySyncEnabled false; PATCH the provider with "
            '{"isCourseActivitySyncEnabled": true} to sync its course activities.',
            {"provider": provider_id, "property": "isCourseActivitySyncEnabled"},
        ),
    )
