"""What Graph's beta CSDL adds to the learning types: property descriptions and the Capabilities annotations.

The texts are Microsoft's, as its beta metadata prints them (typography and double spaces included); the v1.0
metadata carries neither.
"""

from __future__ import annotations

from learninggraph.resources.metadata.vocabulary import (
    CAPABILITIES,
    CORE,
    Annotation,
    Collection,
    Record,
    record,
)

_PROVIDER_LOGO = (
    "The {size} logo URL for the {mode} mode that needs to be a publicly accessible image. This image would be "
    "saved to the blob storage of Viva Learning for rendering{gap}within the Viva Learning app. Required."
)
_TIMESTAMP = (
    "The Timestamp type represents date and time information using ISO 8601 format and is always in UTC time. "
    "For example, midnight UTC on Jan 1, 2014 is 2014-01-01T00:00:00Z. Optional."
)

# (type, property or navigation property) → its Org.OData.Core.V1.Description.
DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("dateTimeTimeZone", "dateTime"): (
        "A single point of time in a combined date and time representation ({date}T{time}). "
        "For example, '2019-04-16T09:00:00'."
    ),
    ("dateTimeTimeZone", "timeZone"): (
        "Represents a time zone, for example, 'Pacific Standard Time'. See below for possible values."
    ),
    ("itemBody", "content"): "The content of the item.",
    ("itemBody", "contentType"): "The type of the content. Possible values are text and html.",
    ("employeeExperience", "learningProviders"): "A collection of learning providers.",
    ("entity", "id"): "The unique identifier for an entity. Read-only.",
    ("learningAssignment", "assignedDateTime"): "Assigned date for the course activity. Optional.",
    ("learningAssignment", "assignerUserId"): "The user ID of the assigner. Optional.",
    ("learningAssignment", "assignmentType"): (
        "The assignment type for the course activity. The possible values are: required, recommended, "
        "unknownFutureValue, peerRecommended. Use the Prefer: include-unknown-enum-members request header to get "
        "the following value or values in this evolvable enum: peerRecommended. Required."
    ),
    ("learningAssignment", "dueDateTime"): "Due date for the course activity. Optional.",
    ("learningAssignment", "notes"): "Notes for the course activity. Optional.",
    ("learningContent", "additionalTags"): (
        "Keywords, topics, and other tags associated with the learning content. Optional."
    ),
    ("learningContent", "contentWebUrl"): "The content web URL for the learning content. Required.",
    ("learningContent", "contributors"): (
        "The authors, creators, or contributors of the learning content. Optional."
    ),
    ("learningContent", "createdDateTime"): (
        f"The date and time when the learning content was created. {_TIMESTAMP}"
    ),
    ("learningContent", "description"): "The description or summary for the learning content. Optional.",
    ("learningContent", "duration"): (
        "The duration of the learning content in seconds. The value is represented in ISO 8601 format for "
        "durations. Optional."
    ),
    ("learningContent", "externalId"): "Unique external content ID for the learning content. Required.",
    ("learningContent", "format"): (
        "The format of the learning content. For example, Course, Video, Book, Book Summary, Audiobook Summary. "
        "Optional."
    ),
    ("learningContent", "isActive"): (
        "Indicates whether the content is active or not. Inactive content doesn't show up in the UI. The default "
        "value is true. Optional."
    ),
    ("learningContent", "isPremium"): (
        "Indicates whether the learning content requires the user to sign-in on the learning provider platform "
        "or not. The default value is false. Optional."
    ),
    ("learningContent", "isSearchable"): (
        "Indicates whether the learning content is searchable or not. The default value is true. Optional."
    ),
    ("learningContent", "languageTag"): (
        "The language of the learning content, for example, en-us or fr-fr. Required."
    ),
    ("learningContent", "lastModifiedDateTime"): (
        f"The date and time when the learning content was last modified. {_TIMESTAMP}"
    ),
    ("learningContent", "level"): (
        "The difficulty level of the learning content. The possible values are: Beginner, Intermediate, "
        "Advanced, unknownFutureValue. Optional."
    ),
    ("learningContent", "numberOfPages"): (
        "The number of pages of the learning content, for example, 9. Optional."
    ),
    ("learningContent", "skillTags"): "The skills tags associated with the learning content. Optional.",
    ("learningContent", "sourceName"): (
        "The source name of the learning content, such as LinkedIn Learning or Coursera. Optional."
    ),
    ("learningContent", "thumbnailWebUrl"): "The URL of learning content thumbnail image. Optional.",
    ("learningContent", "title"): "The title of the learning content. Required.",
    ("learningCourseActivity", "completedDateTime"): (
        "Date and time when the assignment was completed. Optional."
    ),
    ("learningCourseActivity", "completionPercentage"): (
        "The percentage completion value of the course activity. Optional."
    ),
    ("learningCourseActivity", "learnerUserId"): (
        "The user ID of the learner to whom the activity is assigned. Required."
    ),
    ("learningCourseActivity", "learningContentId"): (
        "The ID of the learning content created in Viva Learning. Required."
    ),
    ("learningCourseActivity", "learningProviderId"): "The registration ID of the provider. Required.",
    ("learningCourseActivity", "status"): (
        "The status of the course activity. The possible values are: notStarted, inProgress, completed. "
        "Required."
    ),
    ("learningProvider", "displayName"): "The display name that appears in Viva Learning. Required.",
    ("learningProvider", "isCourseActivitySyncEnabled"): (
        "Indicates whether a provider can ingest learning course activity records. The default value is false. "
        "Set to true to make learningCourseActivities available for this provider."
    ),
    (
        "learningProvider",
        "loginWebUrl",
    ): "Authentication URL to access the courses for the provider. Optional.",
    ("learningProvider", "longLogoWebUrlForDarkTheme"): _PROVIDER_LOGO.format(
        size="long", mode="dark", gap=" "
    ),
    # Microsoft's text has two spaces here.
    ("learningProvider", "longLogoWebUrlForLightTheme"): _PROVIDER_LOGO.format(
        size="long", mode="light", gap="  "
    ),
    ("learningProvider", "squareLogoWebUrlForDarkTheme"): _PROVIDER_LOGO.format(
        size="square", mode="dark", gap=" "
    ),
    ("learningProvider", "squareLogoWebUrlForLightTheme"): _PROVIDER_LOGO.format(
        size="square", mode="light", gap=" "
    ),
    ("learningProvider", "learningContents"): "Learning catalog items for the provider.",
    ("learningSelfInitiatedCourse", "startedDateTime"): (
        "The date and time on which the self-initiated course was started by the learner. Optional."
    ),
}


def _restriction(term: str, short: str, long: str, *, by_key: tuple[str, str] | None = None) -> Annotation:
    values: list[tuple[str, str | Record]] = [("Description", short), ("LongDescription", long)]
    if by_key is not None:
        values.append(
            ("ReadByKeyRestrictions", record(("Description", by_key[0]), ("LongDescription", by_key[1])))
        )
    return Annotation(f"{CAPABILITIES}.{term}", record(*values))


def _links(*links: tuple[str, str]) -> Annotation:
    """Core.V1.Links to the documentation pages: (relation, page name) pairs."""
    return Annotation(
        f"{CORE}.Links",
        Collection(
            tuple(
                record(
                    ("rel", f"https://graph.microsoft.com/rels/docs/{rel}"),
                    ("href", f"https://learn.microsoft.com/graph/api/{page}?view=graph-rest-beta"),
                )
                for rel, page in links
            )
        ),
    )


_GET_ACTIVITY = (
    "Get learningCourseActivity",
    "Get the specified learningCourseActivity object using either an ID or an externalCourseActivityId of the "
    "learning provider, or a courseActivityId of a user.",
)
_SERVICE = "microsoft.graph.GraphService"

# Out-of-line <Annotations Target=…> elements, in Microsoft's order.
CAPABILITY_ANNOTATIONS: tuple[tuple[str, tuple[Annotation, ...]], ...] = (
    (
        f"{_SERVICE}/employeeExperience/learningCourseActivities",
        (
            _restriction("ReadRestrictions", *_GET_ACTIVITY, by_key=_GET_ACTIVITY),
            _links(("get", "learningcourseactivity-get")),
        ),
    ),
    (
        f"{_SERVICE}/employeeExperience/learningProviders",
        (
            _restriction(
                "ReadRestrictions",
                "List learningProviders",
                "Get a list of the learningProvider resources registered in Viva Learning for a tenant.",
                by_key=(
                    "Get learningProvider",
                    "Read the properties and relationships of a learningProvider object.",
                ),
            ),
            _links(
                ("list", "employeeexperience-list-learningproviders"),
                ("create", "employeeexperience-post-learningproviders"),
                ("get", "learningprovider-get"),
                ("update", "learningprovider-update"),
                ("delete", "employeeexperience-delete-learningproviders"),
            ),
            _restriction(
                "InsertRestrictions",
                "Create learningProvider",
                "Create a new learningProvider object and register it with Viva Learning using the specified "
                "display name and logos for different themes.",
            ),
            _restriction(
                "UpdateRestrictions",
                "Update learningProvider",
                "Update the properties of a learningProvider object.",
            ),
            _restriction(
                "DeleteRestrictions",
                "Delete learningProvider",
                "Delete a learningProvider resource and remove its registration in Viva Learning for the tenant.",
            ),
        ),
    ),
    (
        f"{_SERVICE}/employeeExperience/learningProviders/learningContents",
        (
            _restriction(
                "ReadRestrictions",
                "List learningContents",
                "Get a list of the learningContent resources and their properties. This list represents the "
                "metadata of the specified provider's content in Viva Learning.",
                by_key=(
                    "Get learningContent",
                    "Get the specified learningContent resource which represents the metadata of the specified "
                    "provider's ingested content.",
                ),
            ),
            # Microsoft's list: the get page twice (once as "list"), update and delete twice.
            _links(
                ("list", "learningprovider-list-learningcontents"),
                ("list", "learningcontent-get"),
                ("update", "learningcontent-update"),
                ("delete", "learningprovider-delete-learningcontents"),
                ("get", "learningcontent-get"),
                ("update", "learningcontent-update"),
                ("delete", "learningprovider-delete-learningcontents"),
            ),
            _restriction(
                "UpdateRestrictions",
                "Update learningContent",
                "Update the specified learningContent resource. Used by a learning provider to ingest or update "
                "the metadata for their content in Viva Learning. If the specified learning content doesn't yet "
                "exist for the specified provider, this operation creates the metadata for the new content. "
                "Otherwise, this operation replaces the metadata of the existing content.",
            ),
            _restriction(
                "DeleteRestrictions",
                "Delete learningContent",
                "Delete the specified learningContent resource that represents the metadata of the specified "
                "provider's ingested content.",
            ),
        ),
    ),
    (
        f"{_SERVICE}/employeeExperience/learningProviders/learningCourseActivities",
        (
            _restriction(
                "InsertRestrictions",
                "Create learningCourseActivity",
                "Create a new learningCourseActivity object. A learning course activity can be one of two types: "
                "\r\n- Assignment\r\n- Self-initiated Use this method to create either type of activity.",
            ),
            _links(
                ("create", "employeeexperienceuser-post-learningcourseactivities"),
                ("list", "learningcourseactivity-get"),
                ("delete", "learningcourseactivity-delete"),
                ("update", "learningcourseactivity-update"),
            ),
            _restriction("ReadRestrictions", *_GET_ACTIVITY),
            _restriction(
                "DeleteRestrictions",
                "Delete learningCourseActivity",
                "Delete a learningCourseActivity object by using the course activity ID of either an assignment "
                "or a self-initiated activity.",
            ),
            # Microsoft's text ends with a space.
            _restriction(
                "UpdateRestrictions",
                "Update learningCourseActivity",
                "Update the properties of a learningCourseActivity object. ",
            ),
        ),
    ),
)
