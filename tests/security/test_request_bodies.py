"""Request bodies against the real web server (gunicorn, as in production): a body over its
budget is refused from its declared length, before the server reads or stores any of it.

The attacks this reproduces: a 20 MB admin upload was spooled to disk before the 1 MiB
upload cap refused it, and a 40 MB anonymous multipart POST to /admin/login/ was written to
disk before the CSRF 403. Each request below sends its headers and only the first part of its
body: a server that tried to read the body would wait for the rest and the test would time
out; the refusal comes at once, and the server's temporary folder stays empty.
"""
import http.client
import json

import pytest
import requests

from indus.jobs.models import Job
from indus.tenancy.models import Role
from indus.tenancy.services import api_token_create, membership_set
from tests.security.processes import admin_login, web_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MiB = 1024**2
UPLOAD_CAP = MiB  # the server's INDUS_MAX_UPLOAD_BYTES
ANONYMOUS_CAP = 64 * 1024  # its INDUS_MAX_ANONYMOUS_REQUEST_BYTES (the default)
SENT_BYTES = 64 * 1024  # of each large body, only this much is sent
PASSWORD = "correct horse battery"
# A well-formed start of a file part: a server that parses the body spools what follows.
FILE_PART_HEAD = b'--b\r\nContent-Disposition: form-data; name="file"; filename="rows.csv"\r\n\r\n'


@pytest.fixture(scope="module")
def server_tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("server-tmp")


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory, server_tmp):
    # TMPDIR is where Django spools a request body it reads (and any other temporary file).
    with web_server(tmp_path_factory.mktemp("server-logs"), INDUS_MAX_UPLOAD_BYTES=str(UPLOAD_CAP),
                    TMPDIR=str(server_tmp)) as running:
        yield running


def spooled_bytes(server_tmp) -> int:
    return sum(path.stat().st_size for path in server_tmp.rglob("*") if path.is_file())


def send_head_of_body(server, path: str, declared_length: int | None, headers: dict) -> tuple[int, dict]:
    """POST with a declared length (or chunked, if None) but only SENT_BYTES of the body; the
    response's status and JSON body. Raises a timeout if the server waits for the rest."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    try:
        connection.putrequest("POST", path)
        for name, value in headers.items():
            connection.putheader(name, value)
        if declared_length is None:
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            connection.send(f"{SENT_BYTES:x}\r\n".encode() + b"x" * SENT_BYTES + b"\r\n")
        else:
            connection.putheader("Content-Length", str(declared_length))
            connection.endheaders()
            connection.send(FILE_PART_HEAD + b"x" * SENT_BYTES)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def multipart(**headers) -> dict:
    return {"Content-Type": "multipart/form-data; boundary=b", **headers}


@pytest.fixture
def csrf_cookie(server) -> str:
    """What an anonymous client gets from the login page: a CSRF cookie, so that Django's CSRF
    check would read the body to find the token."""
    return requests.get(server.url + "/admin/login/", timeout=30).cookies["csrftoken"]


@pytest.fixture
def editor_session(server, user, project) -> requests.Session:
    membership_set(project=project, user=user, role=Role.EDITOR)
    return admin_login(server.url, user.username, PASSWORD)


def cookies(session: requests.Session) -> str:
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def assert_refused(status: int, body: dict, expected_status: int, code: str, server_tmp) -> dict:
    assert status == expected_status, body
    assert body["error"]["code"] == code
    assert spooled_bytes(server_tmp) == 0, "the server stored part of a refused body"
    return body["error"]


@pytest.mark.parametrize("path", ["/admin/login/", "/admin/datasets/dataset/add/"])
def test_an_anonymous_40_mb_post_to_the_admin_is_refused_before_it_is_read(server, server_tmp, csrf_cookie, path):
    status, body = send_head_of_body(server, path, 40 * MiB, multipart(Cookie=f"csrftoken={csrf_cookie}"))
    error = assert_refused(status, body, 413, "too_large", server_tmp)
    assert error["message"] == f"the request body is {40 * MiB} bytes; this endpoint takes at most {ANONYMOUS_CAP}"


def test_a_chunked_body_is_refused_with_411(server, server_tmp, csrf_cookie):
    status, body = send_head_of_body(server, "/admin/login/", None, multipart(Cookie=f"csrftoken={csrf_cookie}"))
    assert "Content-Length" in assert_refused(status, body, 411, "length_required", server_tmp)["message"]


def test_an_admin_upload_over_the_cap_is_refused_at_its_declared_length(server, server_tmp, editor_session, dataset):
    upload_path = f"/admin/datasets/dataset/{dataset.pk}/upload/"
    status, body = send_head_of_body(server, upload_path, 20 * MiB, multipart(Cookie=cookies(editor_session)))
    error = assert_refused(status, body, 413, "too_large", server_tmp)
    assert error["details"]["limit_bytes"] == UPLOAD_CAP + MiB  # the cap and the multipart allowance
    assert not Job.objects.exists()

    # The same editor's upload within the cap goes through as before.
    response = editor_session.post(server.url + upload_path, timeout=30, allow_redirects=False,
                                   data={"csrfmiddlewaretoken": editor_session.cookies["csrftoken"], "encoding": "utf-8",
                                         "delimiter": ","},
                                   files={"file": ("rows.csv", b"a,b\n1,2\n")})
    assert response.status_code == 302, response.text[:500]
    assert Job.objects.get().spec["dataset_id"] == dataset.pk


def test_an_api_upload_over_the_cap_is_refused_at_its_declared_length(server, server_tmp, user, dataset):
    _, secret = api_token_create(user=user, name="attack")
    upload_path = f"/api/v1/projects/{dataset.project.slug}/datasets/{dataset.pk}/upload/"
    status, body = send_head_of_body(server, upload_path, 20 * MiB, multipart(Authorization=f"Bearer {secret}"))
    assert assert_refused(status, body, 413, "too_large", server_tmp)["details"]["limit_bytes"] == UPLOAD_CAP + MiB
    assert not Job.objects.exists()


def test_a_json_body_over_the_request_limit_is_refused_before_it_is_read(server, server_tmp, user, dataset):
    _, secret = api_token_create(user=user, name="attack")
    path = f"/api/v1/projects/{dataset.project.slug}/datasets/{dataset.pk}/from-sample/"
    status, body = send_head_of_body(server, path, 40 * MiB, {"Authorization": f"Bearer {secret}",
                                                              "Content-Type": "application/json"})
    assert assert_refused(status, body, 413, "too_large", server_tmp)["details"]["limit_bytes"] == 2_621_440
