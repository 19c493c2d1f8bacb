"""Issue 13 item 3: ``/api/v1/openapi.json`` describes every mounted /api/v1 route, validates as
OpenAPI 3.1, and the scope it names for a route is the one the route enforces."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from starlette.routing import Route

from mediafetcher_app.api import build_api
from mediafetcher_app.api.openapi import document
from mediafetcher_app.core import auth
from mediafetcher_app.core.models import Role
from tests.factories import bearer, make_token, make_user

APP = build_api()


@pytest.fixture
def api():
    """The app whose routes the document is checked against."""
    return APP


@pytest.fixture
async def spec(client) -> dict:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    return response.json()


def mounted() -> list[tuple[str, str]]:
    """(path, method) of every route under /api/v1 that the app serves."""
    return sorted(
        (route.path, method.lower())
        for route in APP.routes
        if isinstance(route, Route) and route.path.startswith("/api/v1/")
        for method in (route.methods or set()) - {"HEAD"}
    )


async def test_the_document_validates_as_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)


async def test_every_mounted_api_route_is_in_the_document_and_nothing_else(spec):
    documented = sorted((path, method) for path, item in spec["paths"].items() for method in item)
    assert len(mounted()) > 30
    assert documented == mounted()


async def test_every_route_names_its_parameters_and_answers(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            in_path = set(re.findall(r"{(\w+)}", path))
            declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert declared == in_path, (method, path)
            assert any(code.startswith("2") for code in operation["responses"]), (method, path)
            if method in ("post", "patch") and "requestBody" in operation:
                assert "400" in operation["responses"], (method, path)
            if operation["security"]:
                assert {"401", "403"} <= set(operation["responses"]), (method, path)


async def test_bearer_tokens_are_the_documented_security_scheme(spec):
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"],
    }
    public = sorted(path for path, item in spec["paths"].items() for op in item.values() if op["security"] == [])
    assert public == ["/api/v1/openapi.json", "/api/v1/pair/claim"]


def _scoped_operations() -> list[tuple[str, str, str]]:
    paths = document(APP.routes)["paths"]
    return [
        (method, path, op["x-required-scope"])
        for path, operations in paths.items()
        for method, op in operations.items()
        if "x-required-scope" in op
    ]


@pytest.mark.parametrize("method,path,scope", _scoped_operations())
async def test_a_token_without_the_documented_scope_is_refused(client, method, path, scope):
    make_user("root", Role.admin)
    headers = bearer(make_token("root", tuple(s for s in auth.Scope.ALL if s != scope)))
    url = re.sub(r"{\w+_id}", "1", path).replace("{site}", "example.com")
    response = await client.request(method, url, json={}, headers=headers)
    assert response.status_code == 403, response.text
    assert f"'{scope}'" in response.json()["error"]["message"]


def _operations() -> list[tuple[str, str, bool]]:
    paths = document(APP.routes)["paths"]
    return [(method, path, op["security"] == []) for path, ops in paths.items() for method, op in ops.items()]


@pytest.mark.parametrize("method,path,public", _operations())
async def test_every_route_the_document_says_needs_a_credential_refuses_an_anonymous_caller(
    client, method, path, public
):
    url = re.sub(r"{\w+_id}", "1", path).replace("{site}", "example.com")
    response = await client.request(method, url, json={})
    assert (response.status_code == 401) is not public, response.text
