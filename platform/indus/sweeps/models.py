"""What the platform keeps of a sweep beside Optuna's own tables: which fine-tuning job runs
which of Optuna's trials. The study (parameters sampled, values told) lives in Optuna's tables
of the same database; these rows make a trial's job findable, once, after any restart."""
from django.db import models


class Sweep(models.Model):
    """The sweep that a `sweep` job coordinates: its study in Optuna's storage and the metric
    it optimises, resolved once at submission."""

    class Direction(models.TextChoices):
        MAXIMIZE = "maximize", "higher is better"
        MINIMIZE = "minimize", "lower is better"

    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="sweep")
    # Derived from the job id, with a nonce: the study outlives a test's flushed rows.
    study_name = models.CharField(max_length=100, unique=True)
    metric = models.CharField(max_length=100)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    best_trial = models.ForeignKey("SweepTrial", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"sweep {self.study_name}"


class SweepTrial(models.Model):
    """One of Optuna's trials and the fine-tuning job that runs it, created in the transaction
    that queues the job: a coordinator that restarts finds the job instead of making another."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"
        PRUNED = "pruned", "Pruned"

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="trials")
    number = models.PositiveIntegerField()  # Optuna's trial number
    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="sweep_trial")
    hyperparameters = models.JSONField(default=dict)  # the sampled values; the rest are the sweep's
    # What Optuna was told; RUNNING until then.
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    value = models.FloatField(null=True, blank=True)
    # The pruner stopped it: its job was asked to cancel, and Optuna is told `pruned` once it ends.
    pruned_at_step = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sweep", "number"]
        constraints = [models.UniqueConstraint(fields=["sweep", "number"], name="one_row_per_optuna_trial")]

    def __str__(self) -> str:
        return f"trial {self.number} of {self.sweep}"
