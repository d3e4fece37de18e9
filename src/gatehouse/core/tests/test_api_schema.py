"""The OpenAPI schema: generated without warnings, committed in docs/openapi.yaml (and kept in
step with the code), served at /api/v1/schema/, browsable at /api/v1/docs/ under the console's
Content-Security-Policy with self-hosted assets."""

from __future__ import annotations

import difflib
import re
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from gatehouse.core.api.schema import REGENERATE_COMMAND, generate_schema
from gatehouse.core.middleware import CSP

COMMITTED = settings.PROJECT_DIR / "docs" / "openapi.yaml"
SWAGGER_ASSETS = (
    "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
    "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
    "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
    "drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
)


@pytest.fixture(scope="module")
def generated() -> tuple[str, list[str]]:
    return generate_schema()


def test_schema_generates_without_warnings_or_errors(generated: tuple[str, list[str]]) -> None:
    _text, problems = generated
    assert problems == [], "drf-spectacular reported:\n" + "\n".join(problems)


def test_committed_schema_matches_the_code(generated: tuple[str, list[str]]) -> None:
    text, _problems = generated
    assert COMMITTED.exists(), f"docs/openapi.yaml is missing; create it with: {REGENERATE_COMMAND}"
    committed = COMMITTED.read_text(encoding="utf-8")
    if committed != text:
        diff = "".join(
            list(
                difflib.unified_diff(
                    committed.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    "docs/openapi.yaml (committed)",
                    "generated from the code",
                )
            )[:60]
        )
        pytest.fail(
            "docs/openapi.yaml differs from the API the code serves. Regenerate it with\n"
            f"    {REGENERATE_COMMAND}\nand commit it.\n\n{diff}"
        )


def test_schema_documents_every_endpoint_and_the_error_body(
    generated: tuple[str, list[str]],
) -> None:
    schema = yaml.safe_load(generated[0])
    paths = schema["paths"]
    for path in (
        "/api/v1/enterprises/",
        "/api/v1/groups/{id}/",
        "/api/v1/users/{id}/reset-password/",
        "/api/v1/roles/",
        "/api/v1/permissions/",
        "/api/v1/tokens/{id}/",
        "/api/v1/me/",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/groups/{id}/"]["patch"]["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "429",
    }
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["$ref"] == "#/components/schemas/ErrorDetail"
    assert set(schema["components"]["schemas"]["ErrorDetail"]["required"]) == {
        "code",
        "message",
        "fields",
    }
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    created = schema["components"]["schemas"]["TokenCreated"]["properties"]
    assert created["secret"]["readOnly"] is True


def test_schema_is_served(db: None) -> None:
    response = Client(HTTP_HOST="localhost").get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    body = response.json()
    assert body["openapi"].startswith("3.")
    assert body["info"]["title"] == "Gatehouse API"
    assert "/api/v1/groups/" in body["paths"]


def test_docs_page_obeys_the_console_csp(db: None) -> None:
    client = Client(HTTP_HOST="localhost")
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CSP
    html = response.content.decode()
    assert "<style" not in html
    assert " style=" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert len(scripts) == 3
    for attributes, body in scripts:
        assert body.strip() == "", "inline script"
        src = re.search(r'src="([^"]+)"', attributes)
        assert src is not None
        assert src.group(1).startswith("/"), "assets must come from this server, not a CDN"
    assert 'src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"' in html
    assert 'href="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"' in html

    # the start-up script is its own response, a script the CSP allows ('self')
    init_src = re.findall(r'src="([^"]+)"', html)[-1].replace("&amp;", "&")
    init = client.get(init_src)
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert init["Content-Security-Policy"] == CSP
    assert "SwaggerUIBundle(" in init.content.decode()
    assert '"/api/v1/schema/"' in init.content.decode()


@pytest.mark.parametrize("asset", SWAGGER_ASSETS)
def test_docs_assets_are_self_hosted(asset: str, db: None) -> None:
    """drf-spectacular-sidecar ships Swagger UI; its app must be installed for the static
    files to be found (INSTALLED_APPS "drf_spectacular_sidecar")."""
    assert finders.find(asset), f"{asset} not found: is drf_spectacular_sidecar installed?"
    response: Any = Client(HTTP_HOST="localhost").get(f"/static/{asset}")
    try:
        assert response.status_code == 200
        assert b"".join(response.streaming_content)
    finally:
        response.close()  # WhiteNoise streams the file


@pytest.mark.browser
def test_docs_work_in_a_browser_under_the_csp(live_server: Any, transactional_db: None) -> None:
    """Swagger UI loads, renders the schema and calls the API with a token, and the browser
    reports no Content-Security-Policy violation (nor any other console message)."""
    from playwright.sync_api import sync_playwright

    from gatehouse.core.actors import Actor
    from gatehouse.core.scoping import platform_scope
    from gatehouse.tenancy import services

    with platform_scope():
        root, _ = services.ensure_superadmin("root", "Correct-Horse-42")
        _token, secret = services.create_token(root, actor=Actor.system("test"), name="docs")
    messages: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page()
            page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
            page.goto(f"{live_server.url}/api/v1/docs/")
            operation = page.locator("#operations-me-me_retrieve")
            operation.wait_for(timeout=20_000)
            assert page.inner_text(".swagger-ui .info .title").startswith("Gatehouse API")
            page.click("button.authorize")
            scheme = page.locator(".auth-container", has_text="tokenAuth")
            scheme.locator("input").fill(f"Token {secret}")
            scheme.locator("button.authorize").click()
            page.click("button.btn-done")
            operation.locator(".opblock-summary").click()
            operation.locator("button.try-out__btn").click()
            operation.locator("button.execute").click()
            status = operation.locator(".live-responses-table tbody .response-col_status")
            status.wait_for(timeout=10_000)
            assert status.inner_text().strip() == "200"
            assert '"username": "root"' in operation.locator(".live-responses-table").inner_text()
        finally:
            browser.close()
    assert messages == []
