"""HTTP to the Indus API over urllib: JSON in and out, streamed uploads and downloads, and
the API's error format turned into `ApiError`."""
import json
import mimetypes
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from indus.cli.config import Config

API_PREFIX = "/api/v1"
TIMEOUT_SECONDS = 60
CHUNK = 1024**2


class ApiError(Exception):
    """The API refused a request: status, and its error's code, message and field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.details = status, code, message, field, details or {}

    def describe(self) -> str:
        where = f" ({self.field})" if self.field else ""
        lines = [f"{self.message}{where} [{self.status} {self.code}]"]
        lines += [f"  {e['field'] or '-'}: {e['message']}" for e in self.details.get("errors", [])[1:]]
        return "\n".join(lines)


class ServerUnreachable(Exception):
    pass


class Client:
    def __init__(self, config: Config, user_agent: str = "indus-cli"):
        self.config = config
        self.user_agent = user_agent

    def url(self, path: str, query: dict | None = None) -> str:
        query = {key: value for key, value in (query or {}).items() if value is not None}
        return f"{self.config.url}{API_PREFIX}/{path.lstrip('/')}" + (f"?{urlencode(query, doseq=True)}" if query else "")

    def get(self, path: str, query: dict | None = None) -> dict:
        return self._json("GET", self.url(path, query))

    def post(self, path: str, body: dict | None = None, headers: dict | None = None) -> dict:
        return self._json("POST", self.url(path), body, headers)

    def put(self, path: str, body: dict | None = None) -> dict:
        return self._json("PUT", self.url(path), body)

    def get_schema(self) -> dict:
        """The server's OpenAPI schema (what `jobs submit` builds its flags from)."""
        return self._json("GET", f"{self.config.url}/api/schema/?format=json")

    def get_all(self, path: str, query: dict | None = None) -> Iterator[dict]:
        """Every result of a paginated list, page after page."""
        page_url = self.url(path, query)
        while page_url:
            page = self._json("GET", page_url)
            yield from page["results"]
            page_url = page["next"]

    def upload(self, path: str, file_path: Path, fields: dict) -> dict:
        """POST a multipart form with the file streamed from disk, never read whole."""
        boundary = uuid.uuid4().hex
        head = b"".join(
            _form_part(boundary, f'name="{name}"', str(value).encode())
            for name, value in fields.items() if value is not None
        )
        content_type = mimetypes.guess_type(file_path.name)[0] or "application/octet-stream"
        head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_path.name}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = len(head) + os.path.getsize(file_path) + len(tail)
        body = _chained(head, file_path, tail)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(length)}
        return self._json("POST", self.url(path), body, headers, raw_body=True)

    def download(self, path: str, destination: Path) -> int:
        """Stream a file to `destination` (written whole or not at all); returns its size."""
        partial = destination.with_name(f".{destination.name}.partial")
        with self._open(Request(self.url(path), headers=self._headers())) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out, CHUNK)
        partial.replace(destination)
        return destination.stat().st_size

    def _headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.config.token}", "User-Agent": self.user_agent,
                "Accept": "application/json", **(extra or {})}

    def _json(self, method: str, url: str, body=None, headers: dict | None = None, raw_body: bool = False) -> dict:
        data = body if raw_body or body is None else json.dumps(body).encode()
        extra = dict(headers or {})
        if body is not None and not raw_body:
            extra["Content-Type"] = "application/json"
        request = Request(url, data=data, method=method, headers=self._headers(extra))
        with self._open(request) as response:
            content = response.read()
        return json.loads(content) if content else {}

    def _open(self, request: Request):
        try:
            return urlopen(request, timeout=TIMEOUT_SECONDS)
        except HTTPError as error:
            raise _api_error(error) from None
        except (URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ServerUnreachable(f"cannot reach {self.config.url}: {reason}") from None


def _form_part(boundary: str, disposition: str, value: bytes) -> bytes:
    return f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n\r\n".encode() + value + b"\r\n"


def _chained(head: bytes, file_path: Path, tail: bytes) -> Iterator[bytes]:
    yield head
    with file_path.open("rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk
    yield tail


def _api_error(error: HTTPError) -> ApiError:
    try:
        body = json.loads(error.read())["error"]
        return ApiError(error.code, body["code"], body["message"], body.get("field"), body.get("details"))
    except (ValueError, KeyError, TypeError):
        return ApiError(error.code, "http_error", f"the server answered {error.code} {error.reason}")
