"""What the learningCourseActivity operations answer when refused; kept verbatim from the Graph pages."""

from __future__ import annotations

from learninggraph.domain.errors import BadRequest, Conflict, Explanation, Forbidden

PROVIDER_NOT_VALID_FOR_CONTENT = (
    "The provider isn't valid to create course activity for the given learning content"
)
LICENSE_NOT_VALID_ON_CREATE = "The user license isn't valid to perform the operation"
LICENSE_NOT_VALID_ON_UPDATE = "The user license is not valid to perform the operation"
# Each page prints its own wording: the get and update pages with a typographic apostrophe, delete without.
ACTIVITY_NOT_FOUND_ON_GET = "The requested assignment ID doesn’t exist."
ACTIVITY_NOT_FOUND_ON_UPDATE = "The assignment ID requested doesn’t exist."
ACTIVITY_NOT_FOUND_ON_DELETE = "The requested assignment ID doesn't exist."


def external_id_taken(external_id: object) -> Conflict:
    return Conflict(
        f"A course activity with externalcourseActivityId '{external_id}' already exists for this provider."
    )


def external_id_ambiguous(external_id: str | None) -> BadRequest:
    return BadRequest(
        f"More than one provider has a course activity with externalcourseActivityId '{external_id}'; "
        "address it under its provider: /employeeExperience/learningProviders/{registrationId}/"
        "learningCourseActivities(externalcourseActivityId='...')."
    )


def licence_not_valid(learner_id: str, *, on_create: bool) -> Forbidden:
    """The learner holds no Viva Learning licence (or is no longer in the directory)."""
    return Forbidden(
        LICENSE_NOT_VALID_ON_CREATE if on_create else LICENSE_NOT_VALID_ON_UPDATE,
        explanation=Explanation(
            "learner.noLicence",
            f"Learner {learner_id} holds no Viva Learning licence (or is no longer in the directory); grant "
            f"it with `learninggraph users license grant --tenant T --user {learner_id}`.",
            {"learner": learner_id},
        ),
    )


def provider_not_valid_for_content(
    content_id: object, provider_id: str | None, owner: str | None = None
) -> Forbidden:
    """The activity's learningContentId names a content of another provider."""
    return Forbidden(
        PROVIDER_NOT_VALID_FOR_CONTENT,
        explanation=Explanation(
            "content.otherProvider",
            f"learningContent {content_id} belongs to "
            + (f"provider {owner}" if owner else "another provider")
            + f", not to {provider_id}; create the activity under the content's own provider.",
            {"learningContentId": content_id, "provider": provider_id, "contentProvider": owner},
        ),
    )
