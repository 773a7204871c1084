"""The Content-Security-Policy (django-csp) on the admin and the API docs page, and in
headless Chromium: Swagger UI still renders under it, and no page breaks a directive.

What it guards against: a script injected into a page (a name, a label, a model card) would
run with the member's session; under this policy only the server's own script files run."""
import re

import pytest
from django.test import Client

from tests.support.browser import PASSWORD


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.fixture
def member(user, project) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", [
    "/admin/login/", "/admin/", "/admin/datasets/dataset/", "/api/docs/",
    "/api/v1/projects/",  # the browsable API
])
def test_pages_run_only_the_servers_own_scripts(client, member, path):
    response = (client if path == "/admin/login/" else member).get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'self'"] and directives["form-action"] == ["'self'"]
    # Nothing on the page would need more: every script is a file of this server (a JSON data
    # block is not run).
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", response.content.decode(), re.DOTALL):
        assert "src=" in attributes or 'type="application/json"' in attributes, (attributes, body[:200])


def test_the_docs_page_loads_its_set_up_as_a_script_of_its_own(member):
    page = member.get("/api/docs/").content.decode()
    sources = re.findall(r'<script src="([^"]+)"', page)
    set_up = next(src for src in sources if "script" in src.split("?", 1)[-1])
    response = member.get(set_up.replace("&amp;", "&"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_and_the_admin_work_under_the_policy(chromium, live_server, user, project):
    context = chromium.new_context()
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))
    page.goto(live_server.url + "/api/docs/")
    # Swagger UI rendered the schema: its operations are listed.
    page.wait_for_selector(".opblock-summary", timeout=20_000)
    assert page.locator(".opblock").count() > 10
    page.goto(live_server.url + "/admin/datasets/dataset/")
    page.wait_for_selector("#content")
    page.goto(live_server.url + "/api/v1/projects/")
    page.wait_for_selector(".response-info")
    context.close()
    assert refused == []


@pytest.mark.browser
def test_a_script_injected_into_a_servers_page_does_not_run(chromium, live_server):
    """The policy is not decorative: the live server's own login page, as it answered (its
    headers unchanged), with an inline script slipped into its body as an XSS would, runs the
    page's own scripts and not the injected one."""
    context = chromium.new_context()
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)

    def inject(route):
        answer = route.fetch()  # the request goes on to the live server
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        body = answer.text().replace("</body>", "<script>document.body.dataset.ran = 'yes'</script></body>")
        route.fulfill(response=answer, body=body)

    page.route(live_server.url + "/admin/login/", inject)
    page.goto(live_server.url + "/admin/login/")
    page.wait_for_selector("#id_username")
    assert page.evaluate("document.body.dataset.ran") is None
    assert any("script-src" in message for message in refused), refused
    context.close()
