"""The hyperparameters of a fine-tuning job: their types, bounds, defaults and meaning.

This table is the one source of truth: the control plane checks a request against it and
sends the worker every value, complete; the admin and API show its help texts.
"""
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from indus.plugins.contract import Backbone, ContractError, Task


@dataclass(frozen=True)
class Hyperparameter:
    name: str
    kind: type
    default: object
    minimum: float | None = None
    maximum: float | None = None
    minimum_excluded: bool = False
    help: str = ""


HYPERPARAMETERS = (
    Hyperparameter("learning_rate", float, 5e-5, 0, 1, True, "peak learning rate of AdamW"),
    Hyperparameter("epochs", float, 3.0, 0, 1000, True,
                   "the budget: most passes over the training split (early stopping may end sooner)"),
    Hyperparameter("batch_size", int, 32, 1, 4096, help="examples per optimisation step"),
    Hyperparameter("weight_decay", float, 0.01, 0, 1, help="AdamW weight decay"),
    Hyperparameter("warmup_ratio", float, 0.06, 0, 0.5, help="share of steps spent warming up"),
    Hyperparameter("early_stopping_patience", int, 2, 0, 100,
                   help="evaluations without the validation metric (the first the task declares) improving before "
                        "training stops; the best checkpoint is kept (0: never stop early)"),
    Hyperparameter("max_length", int, 256, 8, 8192, help="longest text in tokens; longer texts are truncated"),
    Hyperparameter("class_weighting", bool, False, help="weight the loss by inverse class frequency (rare classes)"),
    Hyperparameter("checkpoint_every_steps", int, 0, 0, 10**7,
                   help="checkpoint (and evaluate) every N steps; 0 for once per epoch"),
    Hyperparameter("seed", int, 13, 0, 2**31 - 1, help="seed of the splits, the initialisation and the shuffling"),
    Hyperparameter("validation_fraction", float, 0.15, 0.01, 0.5, help="share of rows held out for validation"),
    Hyperparameter("test_fraction", float, 0.15, 0.01, 0.5, help="share of rows held out for the final test"),
)
BY_NAME = {h.name: h for h in HYPERPARAMETERS}


def defaults(*, backbone: Backbone | None = None, task: Task | None = None) -> dict:
    """Every hyperparameter's default, resolved in this one place: the table's, then those of
    the backbone's family, then the task's refinements. A declared default is held to the
    table's bounds like any request; a bad one is the plugin's error (ContractError)."""
    resolved = {h.name: h.default for h in HYPERPARAMETERS}
    for owner, declared in (("backbone", backbone), ("task", task)):
        for name, value in (getattr(declared, "hyperparameter_defaults", None) or {}).items():
            checked, problem = _checked(BY_NAME[name], value) if name in BY_NAME else (None, "is not a hyperparameter")
            if problem:
                raise ContractError(f"{owner} {declared.name!r} declares a default {name}={value!r} that {problem}")
            resolved[name] = checked
    return resolved


def validate_hyperparameters(values: dict, *, backbone: Backbone, task: Task | None = None) -> dict:
    """Every hyperparameter, checked and completed with the defaults for this backbone and task,
    or a ValidationError whose keys name each bad field (`hyperparameters.<name>`)."""
    errors = {}
    if not isinstance(values, dict):
        raise ValidationError({"hyperparameters": "must be an object of name: value"})
    for name in values:
        if name not in BY_NAME:
            errors[f"hyperparameters.{name}"] = f"unknown hyperparameter; known ones are {', '.join(BY_NAME)}"
    complete = defaults(backbone=backbone, task=task)
    for name, value in values.items():
        if name in BY_NAME:
            checked, problem = _checked(BY_NAME[name], value)
            if problem:
                errors[f"hyperparameters.{name}"] = problem
            else:
                complete[name] = checked
    if not errors:
        errors.update(_combination_problems(complete, backbone))
    if errors:
        raise ValidationError(errors)
    return complete


def _checked(spec: Hyperparameter, value) -> tuple[object, str | None]:
    if spec.kind is bool:
        return (value, None) if isinstance(value, bool) else (None, "must be true or false")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"must be a number, not {value!r}"
    if spec.kind is int and value != int(value):
        return None, f"must be a whole number, not {value!r}"
    value = spec.kind(value)
    if spec.minimum is not None and (value < spec.minimum or (spec.minimum_excluded and value == spec.minimum)):
        relation = "greater than" if spec.minimum_excluded else "at least"
        return None, f"must be {relation} {spec.minimum:g}, not {value:g}"
    if spec.maximum is not None and value > spec.maximum:
        return None, f"must be at most {spec.maximum:g}, not {value:g}"
    return value, None


def _combination_problems(values: dict, backbone: Backbone) -> dict:
    problems = {}
    if values["validation_fraction"] + values["test_fraction"] >= 0.8:
        problems["hyperparameters.test_fraction"] = "validation and test together must leave at least 20% for training"
    if backbone.max_length and values["max_length"] > backbone.max_length:
        problems["hyperparameters.max_length"] = (
            f"backbone {backbone.name!r} reads at most {backbone.max_length} tokens, not {values['max_length']}"
        )
    needed = estimated_training_bytes(values, backbone)
    budget = settings.INDUS_WORKER_MEMORY_BYTES
    if needed > budget:
        problems["hyperparameters.batch_size"] = (
            f"a batch of {values['batch_size']} x {values['max_length']} tokens needs about {needed / 1024**3:.1f} GiB "
            f"on backbone {backbone.name!r}; workers have {budget / 1024**3:.1f} GiB (INDUS_WORKER_MEMORY_BYTES): "
            "use a smaller batch_size or max_length"
        )
    return problems


def estimated_training_bytes(values: dict, backbone: Backbone) -> int:
    """Weights, gradients and two AdamW moments (16 bytes a parameter) plus the activations
    a batch keeps for the backward pass. An estimate that errs on the large side."""
    tokens = values["batch_size"] * (values["max_length"] if backbone.max_length else 1)
    return 16 * backbone.parameter_count + tokens * backbone.activation_bytes_per_token
