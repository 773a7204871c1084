class TrainingInputError(ValueError):
    """The data or the spec cannot be trained on; the message says why, for the user."""
