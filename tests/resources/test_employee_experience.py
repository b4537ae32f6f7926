"""The containers: GET /employeeExperience, /users/{id}/employeeExperience and /me/employeeExperience."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from learninggraph.domain.errors import NO_ACCESS
from tests.builders import Tenant


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


class TestTenantContainer:
    @pytest.mark.parametrize("version", ["v1.0", "beta"])
    def test_an_application_reads_the_singleton_as_its_context_alone(
        self, tenant: Tenant, version: str
    ) -> None:
        response = tenant.app().get(tenant.url("/employeeExperience", version))

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.json() == {
            "@odata.context": f"{tenant.base_url}/{version}/$metadata#employeeExperience"
        }

    def test_a_signed_in_user_with_a_learning_scope_reads_the_singleton(self, tenant: Tenant) -> None:
        response = tenant.user(scopes=["LearningContent.Read.All"]).get(tenant.url("/employeeExperience"))

        assert response.status_code == 200

    def test_an_application_without_a_learning_role_is_forbidden(self, tenant: Tenant) -> None:
        response = tenant.app([]).get(tenant.url("/employeeExperience"))

        assert response.status_code == 403
        assert error_of(response)["code"] == "Forbidden"
        assert error_of(response)["message"] == NO_ACCESS

    def test_a_user_without_a_learning_scope_is_forbidden(self, tenant: Tenant) -> None:
        response = tenant.user(scopes=["User.Read"]).get(tenant.url("/employeeExperience"))

        assert response.status_code == 403
        assert error_of(response)["code"] == "Forbidden"

    def test_the_singleton_needs_a_token(self, tenant: Tenant) -> None:
        response = tenant.client(None).get(tenant.url("/employeeExperience"))

        assert response.status_code == 401
        assert error_of(response)["code"] == "InvalidAuthenticationToken"

    def test_writing_the_singleton_is_method_not_allowed(self, tenant: Tenant) -> None:
        response = tenant.app().patch(tenant.url("/employeeExperience"), json={})

        assert response.status_code == 405
        assert error_of(response)["code"] == "methodNotAllowed"

    def test_selecting_a_property_the_singleton_lacks_is_a_bad_request(self, tenant: Tenant) -> None:
        response = tenant.app().get(tenant.url("/employeeExperience?$select=id"))

        assert response.status_code == 400
        assert error_of(response)["code"] == "badRequest"


class TestUserContainer:
    def test_a_user_reads_their_own_container_under_me(self, tenant: Tenant) -> None:
        learner = tenant.learner.id

        response = tenant.user(scopes=["LearningAssignedCourse.Read"]).get(
            tenant.url("/me/employeeExperience")
        )

        assert response.status_code == 200
        assert response.json() == {
            "@odata.context": f"{tenant.base_url}/v1.0/$metadata#users('{learner}')/employeeExperience/$entity",
            "id": learner,
        }

    def test_a_user_reads_their_own_container_by_id(self, tenant: Tenant) -> None:
        learner = tenant.learner.id

        response = tenant.user(scopes=["LearningSelfInitiatedCourse.Read"]).get(
            tenant.url(f"/users/{learner}/employeeExperience", "beta")
        )

        assert response.status_code == 200
        assert response.json() == {
            "@odata.context": f"{tenant.base_url}/beta/$metadata#users('{learner}')/employeeExperience/$entity",
            "id": learner,
        }

    def test_an_application_reads_any_users_container(self, tenant: Tenant) -> None:
        other = tenant.new_user(name="Other")

        response = tenant.app(["LearningAssignedCourse.Read.All"]).get(
            tenant.url(f"/users/{other.id}/employeeExperience")
        )

        assert response.status_code == 200
        assert response.json()["id"] == other.id

    def test_a_tenant_wide_reader_reads_another_users_container(self, tenant: Tenant) -> None:
        other = tenant.new_user(name="Other")

        response = tenant.user(scopes=["LearningAssignedCourse.Read.All"]).get(
            tenant.url(f"/users/{other.id}/employeeExperience")
        )

        assert response.status_code == 200
        assert response.json()["id"] == other.id

    def test_a_self_only_reader_cannot_read_another_users_container(self, tenant: Tenant) -> None:
        other = tenant.new_user(name="Other")

        response = tenant.user(scopes=["LearningAssignedCourse.Read"]).get(
            tenant.url(f"/users/{other.id}/employeeExperience")
        )

        assert response.status_code == 403
        assert error_of(response)["message"] == NO_ACCESS

    def test_a_self_only_reader_learns_nothing_of_an_unknown_user(self, tenant: Tenant) -> None:
        response = tenant.user(scopes=["LearningAssignedCourse.Read"]).get(
            tenant.url("/users/no-such-user/employeeExperience")
        )

        assert response.status_code == 403

    def test_an_unknown_users_container_is_not_found(self, tenant: Tenant) -> None:
        response = tenant.app().get(tenant.url("/users/no-such-user/employeeExperience"))

        assert response.status_code == 404
        assert error_of(response)["code"] == "notFound"
        assert error_of(response)["message"] == "The user 'no-such-user' was not found."

    def test_a_user_of_another_tenant_is_not_found(self, tenant: Tenant, other_tenant: Tenant) -> None:
        response = tenant.app().get(tenant.url(f"/users/{other_tenant.learner.id}/employeeExperience"))

        assert response.status_code == 404

    def test_an_application_token_on_me_is_a_bad_request(self, tenant: Tenant) -> None:
        response = tenant.app().get(tenant.url("/me/employeeExperience"))

        assert response.status_code == 400
        assert (
            error_of(response)["message"] == "/me request is only valid with delegated authentication flow."
        )

    def test_an_application_without_a_learning_role_on_me_is_still_told_me_needs_a_user(
        self, tenant: Tenant
    ) -> None:
        response = tenant.app([]).get(tenant.url("/me/employeeExperience"))

        assert response.status_code == 400

    def test_a_user_without_a_learning_scope_cannot_read_their_container(self, tenant: Tenant) -> None:
        response = tenant.user(scopes=["User.Read"]).get(tenant.url("/me/employeeExperience"))

        assert response.status_code == 403

    def test_select_id_narrows_the_context_as_odata_prescribes(self, tenant: Tenant) -> None:
        learner = tenant.learner.id

        response = tenant.user().get(tenant.url("/me/employeeExperience?$select=id"))

        assert response.json() == {
            "@odata.context": f"{tenant.base_url}/v1.0/$metadata#users('{learner}')/employeeExperience(id)/$entity",
            "id": learner,
        }

    def test_writing_a_users_container_is_method_not_allowed(self, tenant: Tenant) -> None:
        response = tenant.app().patch(tenant.url(f"/users/{tenant.learner.id}/employeeExperience"), json={})

        assert response.status_code == 405
