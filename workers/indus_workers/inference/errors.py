class InferenceInputError(ValueError):
    """The input file or the spec cannot be run; the message says why, for the user (which
    column, which row), and it is raised before any model compute."""
