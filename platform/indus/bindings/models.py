"""A project's binding of a task template to the columns and labels of its own table."""
from django.conf import settings
from django.db import models

from indus.plugins.contract import Column, ColumnType, Task, TaskTemplate


class TaskBinding(models.Model):
    """Which column is the target, which are inputs and as what type, which is the id, which
    are left out, and the labels (in order for ordinal levels) with a binary target's positive
    one. Never edited: a model version records the binding it was trained with, and a change
    is a new binding, so a model always reads its data as it was trained to."""

    project = models.ForeignKey("tenancy.Project", on_delete=models.PROTECT, related_name="task_bindings")
    template = models.CharField(max_length=200, help_text="a task template, e.g. indus.tabular_classification")
    dataset_version = models.ForeignKey(
        "datasets.DatasetVersion", on_delete=models.PROTECT, related_name="+",
        help_text="the version whose stored profile the binding was inferred from and checked against",
    )
    target_column = models.CharField(max_length=500)
    inputs = models.JSONField(help_text="[{name, type}] in table order")
    id_column = models.CharField(max_length=500, blank=True)
    left_out = models.JSONField(default=list, help_text="the table's other columns, read by no model")
    labels = models.JSONField(default=list, help_text="the target's labels; for ordinal levels, lowest first")
    positive_label = models.CharField(max_length=500, blank=True, help_text="a binary target's positive label")
    group_column = models.CharField(max_length=500, blank=True,
                                    help_text="a ranking's user or query, a forecast's series")
    time_column = models.CharField(max_length=500, blank=True, help_text="the time that orders a forecast's series")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-pk"]

    def __str__(self) -> str:
        return f"{self.project}/binding {self.pk} ({self.template} -> {self.target_column})"

    def task(self, template: TaskTemplate) -> Task:
        """The concrete task in the table's own column names and labels."""
        return template.bound(
            target=self.target_column,
            inputs=tuple(Column(column["name"], ColumnType(column["type"])) for column in self.inputs),
            labels=tuple(self.labels), positive_label=self.positive_label, id_column=self.id_column or None,
            group_column=self.group_column or None, time_column=self.time_column or None,
        )
