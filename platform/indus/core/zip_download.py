"""A folder of artifact storage streamed to the client as a zip file, built as it is sent:
nothing is written to disk and memory holds one chunk at a time."""
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath

from django.http import StreamingHttpResponse

from indus.core.storage import artifact_storage, folder_files

CHUNK = 1024**2
ZIP64_FROM = 2 * 1024**3  # larger members need ZIP64 headers, decided before they are written


class _Chunks:
    """A write-only file for ZipFile whose writes are taken out as they come."""

    def __init__(self):
        self._pending: list[bytes] = []

    def write(self, data) -> int:
        self._pending.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._pending = b"".join(self._pending), []
        return data


def _zip_chunks(folder: str) -> Iterator[bytes]:
    storage = artifact_storage()
    sink = _Chunks()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative in folder_files(folder):
            arcname = PurePosixPath(relative)
            if arcname.is_absolute() or ".." in arcname.parts:
                continue  # folder_files never yields these; an archive must never hold them
            name = f"{folder}/{relative}"
            large = storage.size(name) >= ZIP64_FROM
            with storage.open(name, "rb") as source, archive.open(str(arcname), mode="w", force_zip64=large) as member:
                while chunk := source.read(CHUNK):
                    member.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def zip_folder_response(folder: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_zip_chunks(folder), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
