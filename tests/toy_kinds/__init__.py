"""A Django app of the test suite that declares job kinds the way an app of the platform does:
one `kind.py`, nothing else edited."""
