"""What the upload service refuses before anything is stored or queued."""
import pytest
from django.core.exceptions import ValidationError

from indus.core.storage import artifact_storage
from indus.jobs.models import Job


def stored_uploads() -> list[str]:
    storage = artifact_storage()
    return storage.listdir("uploads")[0] if storage.exists("uploads") else []


@pytest.mark.parametrize(
    "name,content,field,words",
    [
        ("loans.xlsx", "a,b\n1,2\n", "file", "not supported"),
        ("loans", "a,b\n1,2\n", "file", "not supported"),
        ("loans.csv", "", "file", "empty"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(dataset, upload, name, content, field, words):
    from indus.datasets.services import dataset_upload

    before = stored_uploads()
    with pytest.raises(ValidationError) as error:
        dataset_upload(dataset=dataset, file=upload(content, name=name))
    assert words in " ".join(error.value.message_dict[field])
    assert stored_uploads() == before
    assert not Job.objects.exists()


def test_uploads_over_the_cap_are_refused(dataset, upload, settings):
    from indus.datasets.services import dataset_upload

    settings.INDUS_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationError) as error:
        dataset_upload(dataset=dataset, file=upload("x" * 2048, name="big.csv"))
    assert "limited to" in error.value.message_dict["file"][0]
    assert not Job.objects.exists()


def test_unknown_encoding_names_its_field(dataset, upload):
    from indus.datasets.services import dataset_upload

    with pytest.raises(ValidationError) as error:
        dataset_upload(dataset=dataset, file=upload("a\n1\n"), encoding="klingon-8")
    assert "encoding" in error.value.message_dict


def test_accepted_upload_is_stored_and_queued_as_an_import(dataset, upload):
    from indus.datasets.services import dataset_upload

    job = dataset_upload(dataset=dataset, file=upload("a,b\n1,2\n", name="../../etc/loans.csv"))
    assert (job.kind, job.queue, job.state) == ("import", "cpu", "queued")
    # The client's file name cannot climb out of the uploads folder.
    assert job.spec["upload_path"].endswith("/loans.csv") and ".." not in job.spec["upload_path"]
    with artifact_storage().open(job.spec["upload_path"]) as stored:
        assert stored.read() == b"a,b\n1,2\n"
