"""Settings for the test suite: the product's settings, a private var/ and fast job timings.

Worker processes started by the tests use this module too, so they share the database, the
broker and the job kinds the tests add.
"""
import os
import tempfile

# The process that starts the run makes the folder (and removes it, see conftest.py); the
# worker processes it starts inherit INDUS_VAR_DIR and share it.
OWNS_VAR_DIR = "INDUS_VAR_DIR" not in os.environ
if OWNS_VAR_DIR:
    os.environ["INDUS_VAR_DIR"] = tempfile.mkdtemp(prefix="indus-test-")
os.environ.setdefault("INDUS_JOB_HEARTBEAT_SECONDS", "0.5")
os.environ.setdefault("INDUS_JOB_LEASE_SECONDS", "3")
os.environ.setdefault("INDUS_JOB_REDISPATCH_SECONDS", "5")
os.environ.setdefault("INDUS_INFERENCE_ROWS_PER_PART", "400")
os.environ.setdefault("INDUS_SWEEP_POLL_SECONDS", "0.5")

from indus.settings import *  # noqa: E402,F403
from indus.settings import DATABASES, INSTALLED_APPS, STATIC_ROOT, VAR_DIR  # noqa: E402

STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# The test suite's job kinds (a gated runner, a toy kind...) are declared the way an app
# declares its own: tests/toy_kinds/kind.py.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.toy_kinds"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: worker processes started by the tests open the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
