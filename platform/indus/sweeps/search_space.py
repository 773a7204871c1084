"""A sweep's search space, checked against the hyperparameter table: each searched name is one
of the table's, and every value a trial could be given (both ends of a range, each choice) is
held to the table's bounds, with the sweep's fixed values and the defaults for the others.

    {"learning_rate": {"low": 1e-4, "high": 1e-2, "log": true},
     "batch_size": {"low": 16, "high": 128, "step": 16},
     "epochs": {"choices": [1, 2]}}

Plain Python: the web process checks a submission without importing Optuna; the coordinator
turns the checked space into Optuna's distributions (`distributions`).
"""
from django.core.exceptions import ValidationError

from indus.plugins.contract import Backbone, Task
from indus.training.hyperparameters import BY_NAME, validate_hyperparameters

FIELD = "search_space"
RANGE_KEYS = {"low", "high", "log", "step"}
SHAPES = "{low, high} with an optional log (true/false) or step, or {choices: [...]}"


def checked_search_space(space, *, fixed: dict, backbone: Backbone, task: Task) -> dict:
    """The search space as given, or when none is given (None) the backbone family's default
    space less the hyperparameters the sweep fixes; a ValidationError naming each bad entry
    (`search_space.<name>`). `fixed` are the sweep's other hyperparameters, already checked. A
    space given replaces the default whole: to narrow it, give the ranges to search."""
    if space is None:
        space = {name: entry for name, entry in backbone.search_space_defaults.items() if name not in fixed}
        if not space:
            raise ValidationError({FIELD: f"backbone {backbone.name!r} declares no default search space the fixed "
                                          "hyperparameters leave open: name the hyperparameters to search"})
    if not isinstance(space, dict) or not space:
        raise ValidationError({FIELD: f"must name at least one hyperparameter of the table to search: {', '.join(BY_NAME)}"})
    problems = {}
    for name, entry in space.items():
        field = f"{FIELD}.{name}"
        if name not in BY_NAME:
            problems[field] = f"unknown hyperparameter; known ones are {', '.join(BY_NAME)}"
        elif name in fixed:
            problems[field] = "is also fixed in hyperparameters: give it in one of the two"
        elif problem := _shape_problem(name, entry) or _value_problem(name, entry, fixed, backbone, task):
            problems[field] = problem
    if problems:
        raise ValidationError(problems)
    return space


def _shape_problem(name: str, entry) -> str | None:
    if not isinstance(entry, dict):
        return f"must be {SHAPES}"
    if "choices" in entry:
        if set(entry) != {"choices"}:
            return "choices are given alone, without low, high, log or step"
        choices = entry["choices"]
        if not isinstance(choices, list) or not choices:
            return "choices must be a non-empty list"
        if len({repr(choice) for choice in choices}) != len(choices):
            return "choices must differ from one another"
        return None
    if BY_NAME[name].kind is bool:
        return "a true/false hyperparameter is searched with choices: {\"choices\": [true, false]}"
    unknown = set(entry) - RANGE_KEYS
    if unknown or not {"low", "high"} <= set(entry):
        return f"must be {SHAPES}" + (f"; unknown keys: {', '.join(sorted(unknown))}" if unknown else "")
    low, high = entry["low"], entry["high"]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in (low, high)):
        return "low and high must be numbers"
    if not low < high:
        return f"low ({low:g}) must be below high ({high:g})"
    log, step = entry.get("log", False), entry.get("step")
    if not isinstance(log, bool):
        return "log must be true or false"
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, (int, float)) or step <= 0:
            return "step must be a positive number"
        if log:
            return "a range is searched on a log scale or in steps, not both"
        if BY_NAME[name].kind is int and step != int(step):
            return f"step must be a whole number for {name}"
    if log and low <= 0:
        return "a log scale needs a low above 0"
    return None


def _value_problem(name: str, entry: dict, fixed: dict, backbone: Backbone, task: Task) -> str | None:
    """The first value a trial could be given that the table (or its combination with the
    fixed values and the defaults) refuses, said with the table's own message."""
    values = [("choice", value) for value in entry["choices"]] if "choices" in entry else [
        ("low", entry["low"]), ("high", entry["high"])]
    for which, value in values:
        try:
            validate_hyperparameters({**fixed, name: value}, backbone=backbone, task=task)
        except ValidationError as error:
            messages = [f"{key}: {' '.join(texts)}" if key != f"hyperparameters.{name}" else " ".join(texts)
                        for key, texts in error.message_dict.items()]
            return f"{which} {value!r}: {'; '.join(messages)}"
    return None


def distributions(space: dict) -> dict:
    """Optuna's distribution of each searched hyperparameter (the coordinator's, in the worker)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    made = {}
    for name, entry in space.items():
        if "choices" in entry:
            made[name] = CategoricalDistribution(entry["choices"])
        elif BY_NAME[name].kind is int:
            made[name] = IntDistribution(int(entry["low"]), int(entry["high"]), log=entry.get("log", False),
                                         step=int(entry.get("step") or 1))
        else:
            made[name] = FloatDistribution(float(entry["low"]), float(entry["high"]), log=entry.get("log", False),
                                           step=entry.get("step"))
    return made
