"""The containers as the renderer reads them: a user's ``employeeExperience`` is its id, stored nowhere."""

from __future__ import annotations

from learninggraph.storage.rows import Record


class UserContainerRecord(Record, frozen=True):
    """A user's container; its id is the user's id."""
