"""The OpenAPI description of the API and its docs page."""

from __future__ import annotations

import yaml
from django.core.management import call_command


def test_schema_endpoint_describes_the_api(anonymous, db):
    response = anonymous.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert "/api/v1/listings/" in schema["paths"]
    assert "/api/v1/matches/{id}/dismiss/" in schema["paths"]
    assert "Does not delete anything" in schema["paths"]["/api/v1/listings/{id}/"]["delete"][
        "description"
    ]


def test_docs_page_renders(anonymous, db):
    response = anonymous.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_generated_schema_is_valid_openapi_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    # --fail-on-warn turns every schema generation warning into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["tokenAuth"]["in"] == "header"
    assert "Api-Key" in schema["components"]["securitySchemes"]["apiKeyAuth"]["description"]


def test_schema_documents_paging_and_sync(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())

    def parameters(path):
        return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}

    for path in ("/api/v1/listings/", "/api/v1/matches/"):
        found = parameters(path)
        assert found["page_size"]["schema"]["maximum"] == 500
        assert found["updated_since"]["schema"]["format"] == "date-time"
        assert "cursor" in found
    assert "updated_since" not in parameters("/api/v1/sites/")
    assert parameters("/api/v1/categories/")["page_size"]["schema"]["maximum"] == 500
