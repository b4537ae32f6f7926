"""learningCourseActivity: a learner's assignment or self-initiated course, synced by its provider."""
