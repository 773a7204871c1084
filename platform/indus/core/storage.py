"""Artifact storage: Django's storage API over a local folder or an S3-compatible bucket."""
import os
import tempfile

from django.core.files.storage import FileSystemStorage, storages


class AtomicFileSystemStorage(FileSystemStorage):
    """A local folder where a file appears whole or not at all.

    A worker killed while writing must not leave a truncated artifact under its final name,
    so each file is written to a temporary name in the same folder and renamed into place.
    """

    def _save(self, name, content):
        full_path = self.path(name)
        os.makedirs(os.path.dirname(full_path), exist_ok=True)
        handle, temporary_path = tempfile.mkstemp(dir=os.path.dirname(full_path), prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as destination:
                if hasattr(content, "seek"):
                    content.seek(0)
                for chunk in content.chunks():
                    destination.write(chunk)
            os.chmod(temporary_path, self.file_permissions_mode or 0o644)
            os.replace(temporary_path, full_path)
        except BaseException:
            if os.path.exists(temporary_path):
                os.unlink(temporary_path)
            raise
        return str(name).replace("\\", "/")


def artifact_storage():
    return storages["artifacts"]
