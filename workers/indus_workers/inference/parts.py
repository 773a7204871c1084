"""Output parts and the progress file that makes a job resumable.

A part holds the predictions of input rows [index * rows_per_part, ...) as Parquet. It is
written under a temporary name and renamed (atomic on one filesystem), then recorded in
`progress.json`, itself replaced atomically: a part in the progress file is always whole. A job
started again with the same spec finds its completed parts and continues after them; a changed
spec, input or model (the fingerprint) starts over.
"""
import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pa_parquet

PROGRESS_FILE = "progress.json"
PARTS_FOLDER = "parts"


@dataclass
class PartRecord:
    index: int
    first_row: int
    rows: int
    bad_rows: int
    file: str  # relative to the output folder


def fingerprint(values: dict) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def file_identity(path: str | Path) -> dict:
    """Enough to tell a changed file from the same one without reading it."""
    stat = Path(path).stat()
    return {"path": str(Path(path).resolve()), "size": stat.st_size, "modified_ns": stat.st_mtime_ns}


def write_atomically(path: Path, write) -> None:
    """`write(temporary_path)`, then rename it to `path`: readers see the old file or the new one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        write(temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


class PartStore:
    def __init__(self, output_dir: str | Path, *, job_fingerprint: str, rows_per_part: int, first_row: int = 0):
        """`first_row`: the input row this store's first part starts at (a part of a job split
        into parts starts inside the file); parts are counted from there."""
        self.folder = Path(output_dir)
        self.fingerprint = job_fingerprint
        self.rows_per_part = rows_per_part
        self.first_row = first_row
        self.parts: list[PartRecord] = []

    @property
    def progress_path(self) -> Path:
        return self.folder / PROGRESS_FILE

    def resume(self) -> list[PartRecord]:
        """The parts a previous run of this job completed, in order; none (and a clean folder)
        when there was none or it was a different job."""
        self.parts = self._completed_parts()
        if not self.parts:
            shutil.rmtree(self.folder / PARTS_FOLDER, ignore_errors=True)
            self.progress_path.unlink(missing_ok=True)
        (self.folder / PARTS_FOLDER).mkdir(parents=True, exist_ok=True)
        return self.parts

    def _completed_parts(self) -> list[PartRecord]:
        try:
            progress = json.loads(self.progress_path.read_text())
        except (OSError, ValueError):
            return []
        if progress.get("fingerprint") != self.fingerprint:
            return []
        parts = [PartRecord(**record) for record in progress.get("parts", [])]
        for expected_index, part in enumerate(parts):
            if part.index != expected_index or not (self.folder / part.file).is_file():
                return parts[:expected_index]
        return parts

    @property
    def rows_done(self) -> int:
        return sum(part.rows for part in self.parts)

    def write_part(self, index: int, table: pa.Table, *, bad_rows: int) -> PartRecord:
        relative = f"{PARTS_FOLDER}/part-{index:05d}.parquet"
        write_atomically(self.folder / relative, lambda path: pa_parquet.write_table(table, path))
        record = PartRecord(index=index, first_row=self.first_row + index * self.rows_per_part, rows=table.num_rows, bad_rows=bad_rows, file=relative)
        self.parts.append(record)
        progress = {"fingerprint": self.fingerprint, "rows_per_part": self.rows_per_part, "parts": [asdict(part) for part in self.parts]}
        write_atomically(self.progress_path, lambda path: path.write_text(json.dumps(progress, indent=1)))
        return record

    def part_paths(self) -> list[Path]:
        return [self.folder / part.file for part in self.parts]
