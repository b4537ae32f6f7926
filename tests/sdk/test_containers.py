"""The employeeExperience containers through the SDKs' own request builders."""

from __future__ import annotations

from tests.sdk.conftest import Sdk


def test_the_tenant_container_is_read_as_the_sdks_employee_experience(sdk: Sdk) -> None:
    container = sdk.run(sdk.app.employee_experience.get())

    assert isinstance(container, sdk.module("models.employee_experience").EmployeeExperience)


def test_the_signed_in_users_container_carries_their_id(sdk: Sdk) -> None:
    container = sdk.run(sdk.me().employee_experience.get())

    assert isinstance(container, sdk.module("models.employee_experience_user").EmployeeExperienceUser)
    assert container.id == sdk.tenant.user_id


def test_an_application_reads_a_users_container_by_id(sdk: Sdk) -> None:
    container = sdk.run(sdk.app.users.by_user_id(sdk.tenant.user_id).employee_experience.get())

    assert container.id == sdk.tenant.user_id
