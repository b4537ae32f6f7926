"""Graph's employee-learning permissions, and what each operation accepts."""

from __future__ import annotations

from learninggraph.domain.principal import Permissions, Principal
from learninggraph.domain.roles import LEARNER_READERS, PROVIDER_ADMINISTRATORS

PROVIDER_READ = "LearningProvider.Read"
PROVIDER_READ_WRITE = "LearningProvider.ReadWrite"
CONTENT_READ_ALL = "LearningContent.Read.All"
CONTENT_READ_WRITE_ALL = "LearningContent.ReadWrite.All"
ASSIGNED_READ = "LearningAssignedCourse.Read"
ASSIGNED_READ_ALL = "LearningAssignedCourse.Read.All"
ASSIGNED_READ_WRITE_ALL = "LearningAssignedCourse.ReadWrite.All"
SELF_INITIATED_READ = "LearningSelfInitiatedCourse.Read"
SELF_INITIATED_READ_ALL = "LearningSelfInitiatedCourse.Read.All"
SELF_INITIATED_READ_WRITE_ALL = "LearningSelfInitiatedCourse.ReadWrite.All"

APPLICATION_PERMISSIONS = frozenset(
    {
        CONTENT_READ_ALL,
        CONTENT_READ_WRITE_ALL,
        ASSIGNED_READ_ALL,
        ASSIGNED_READ_WRITE_ALL,
        SELF_INITIATED_READ_ALL,
        SELF_INITIATED_READ_WRITE_ALL,
    }
)
DELEGATED_PERMISSIONS = frozenset(
    {
        PROVIDER_READ,
        PROVIDER_READ_WRITE,
        CONTENT_READ_ALL,
        CONTENT_READ_WRITE_ALL,
        ASSIGNED_READ,
        ASSIGNED_READ_ALL,
        SELF_INITIATED_READ,
        SELF_INITIATED_READ_ALL,
    }
)

READ_PROVIDERS = Permissions(delegated=frozenset({PROVIDER_READ, PROVIDER_READ_WRITE}))
WRITE_PROVIDERS = Permissions(
    delegated=frozenset({PROVIDER_READ_WRITE}), delegated_roles=PROVIDER_ADMINISTRATORS
)

READ_CONTENTS = Permissions(
    application=frozenset({CONTENT_READ_ALL, CONTENT_READ_WRITE_ALL}),
    delegated=frozenset({CONTENT_READ_ALL, CONTENT_READ_WRITE_ALL}),
)
WRITE_CONTENTS = Permissions(application=frozenset({CONTENT_READ_WRITE_ALL}))

# Course activities: which permission applies depends on the activity's type.
READ_ASSIGNMENTS = Permissions(
    application=frozenset({ASSIGNED_READ_ALL, ASSIGNED_READ_WRITE_ALL}),
    delegated=frozenset({ASSIGNED_READ, ASSIGNED_READ_ALL}),
)
READ_SELF_INITIATED = Permissions(
    application=frozenset({SELF_INITIATED_READ_ALL, SELF_INITIATED_READ_WRITE_ALL}),
    delegated=frozenset({SELF_INITIATED_READ, SELF_INITIATED_READ_ALL}),
)
WRITE_ASSIGNMENTS = Permissions(application=frozenset({ASSIGNED_READ_WRITE_ALL}))
WRITE_SELF_INITIATED = Permissions(application=frozenset({SELF_INITIATED_READ_WRITE_ALL}))
READ_ANY_ACTIVITY = Permissions(
    application=READ_ASSIGNMENTS.application | READ_SELF_INITIATED.application,
    delegated=READ_ASSIGNMENTS.delegated | READ_SELF_INITIATED.delegated,
)
WRITE_ANY_ACTIVITY = Permissions(application=WRITE_ASSIGNMENTS.application | WRITE_SELF_INITIATED.application)
# Delegated ".Read.All" reaches every learner of the tenant; plain ".Read" only the signed-in user.
READ_OTHER_LEARNERS = frozenset({ASSIGNED_READ_ALL, SELF_INITIATED_READ_ALL})


def reads_other_learners(caller: Principal) -> bool:
    """A signed-in user may see other learners' activities: a ``.Read.All`` scope and an admin role."""
    return caller.holds_any(READ_OTHER_LEARNERS) and caller.holds_role(LEARNER_READERS)
