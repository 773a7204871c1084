"""The task as the worker holds it: the plugin's `Task`, read once from the plain JSON spec (or
a saved model's record of it), with what training learnt about it from the data.

Everything in the runtime (featurizers, heads, metrics, outputs) reads these typed fields.
"""
from dataclasses import dataclass, fields

from indus.plugins.contract import Task


@dataclass(frozen=True)
class ModelTask(Task):
    # One loss weight per label, in label order, when training weighs classes by inverse
    # frequency; a classification head keeps them in its loss, so a saved model records them.
    class_weights: tuple[float, ...] | None = None

    @classmethod
    def from_dict(cls, data: dict) -> "ModelTask":
        weights = data.get("class_weights")
        return super().from_dict({**data, "class_weights": None if weights is None else tuple(weights)})

    @classmethod
    def of(cls, task: Task) -> "ModelTask":
        """A plugin's declared `Task` (from a registry, say) as the runtime holds it."""
        if isinstance(task, cls):
            return task
        return cls(**{field.name: getattr(task, field.name) for field in fields(Task)})
