"""Artifact storage: Django's storage API over a local folder or an S3-compatible bucket."""
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.core.files import File
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


@contextmanager
def local_file(name: str):
    """A local path to a stored artifact: the file itself on local storage, a temporary
    download from a remote store (removed on leaving the block)."""
    storage = artifact_storage()
    try:
        path = storage.path(name)
    except NotImplementedError:  # remote storage has no local path
        path = None
    if path is not None:
        yield path
        return
    with tempfile.NamedTemporaryFile(suffix=os.path.splitext(name)[1]) as copy:
        with storage.open(name, "rb") as stored:
            shutil.copyfileobj(stored, copy, length=4 * 1024**2)
        copy.flush()
        yield copy.name


def store_folder(local_dir: str | Path, name: str) -> str:
    """Store every file of a local folder under `name/`; returns `name`. Files are stored one
    by one, each atomically; callers record `name` only after this returns."""
    storage = artifact_storage()
    local_dir = Path(local_dir)
    for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
        with path.open("rb") as handle:
            storage.save(f"{name}/{path.relative_to(local_dir).as_posix()}", File(handle))
    return name


@contextmanager
def local_folder(name: str):
    """A local path to a stored folder, like `local_file`."""
    storage = artifact_storage()
    try:
        path = storage.path(name)
    except NotImplementedError:
        path = None
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory() as copy:
        for relative in folder_files(name):
            target = Path(copy) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with storage.open(f"{name}/{relative}", "rb") as stored, target.open("wb") as local:
                shutil.copyfileobj(stored, local, length=4 * 1024**2)
        yield copy


def folder_files(name: str):
    """The paths, relative to `name`, of every file stored under the folder `name`.

    Links are passed over (on local storage a link could point anywhere on the machine),
    and so is any name that would climb out of the folder."""
    storage = artifact_storage()
    pending = [""]
    while pending:
        relative_folder = pending.pop()
        folder = f"{name}/{relative_folder}".rstrip("/")
        subfolders, files = storage.listdir(folder)
        for entry in sorted(subfolders):
            if _is_safe_entry(storage, folder, entry):
                pending.append(f"{relative_folder}{entry}/")
        for entry in sorted(files):
            if _is_safe_entry(storage, folder, entry):
                yield f"{relative_folder}{entry}"


def open_file_within(name: str, folder: str):
    """The stored file `name` opened for reading, or None unless it lies inside `folder` and,
    on local storage, is a regular file reached through no link at all (a link could point
    anywhere on the machine). Each folder on the way is opened relative to the one before it
    and without following links, so nothing can be swapped for a link between check and use.

    A hard link is refused too: it is a second name of a file that may live anywhere on the
    same filesystem (a host file linked into the job's folder), which no symlink check sees."""
    relative = PurePosixPath(name)
    inside = relative.is_relative_to(folder) and relative != PurePosixPath(folder)
    if relative.is_absolute() or ".." in relative.parts or not inside:
        return None
    storage = artifact_storage()
    try:
        root = storage.path("")
    except NotImplementedError:  # remote storage has no links
        return storage.open(name, "rb")
    *folders, filename = relative.parts
    opened = []
    try:
        opened.append(os.open(root, os.O_RDONLY | os.O_DIRECTORY))
        for part in folders:
            opened.append(os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=opened[-1]))
        # O_NONBLOCK: opening a named pipe would otherwise wait for a writer, holding the
        # request's thread, before the regular-file check below could refuse it. O_NOCTTY: a
        # terminal device never becomes the web process's controlling terminal.
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY
        handle = os.open(filename, flags, dir_fd=opened[-1])
    except OSError:  # missing, or a link (ELOOP), or a file where a folder should be
        return None
    finally:
        for descriptor in opened:
            os.close(descriptor)
    status = os.fstat(handle)
    if not stat.S_ISREG(status.st_mode) or status.st_nlink > 1:
        os.close(handle)
        return None
    # Reads of a regular file never block; clear the flag so the file object reads as usual.
    os.set_blocking(handle, True)
    return os.fdopen(handle, "rb")


def _is_safe_entry(storage, folder: str, entry: str) -> bool:
    if entry in ("", ".", "..") or "/" in entry or "\\" in entry:
        return False
    try:
        return not os.path.islink(storage.path(f"{folder}/{entry}"))
    except NotImplementedError:  # remote storage has no links
        return True
