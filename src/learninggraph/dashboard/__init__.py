"""A web dashboard served by the same process under ``/_learninggraph/dashboard/``: a learner's "My learning",
a tenant's providers, contents, activities and learners, and the organisation's charts, behind sign-in."""
