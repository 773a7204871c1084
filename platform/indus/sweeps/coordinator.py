"""The `sweep` job: a coordinator on the `cpu` queue that asks Optuna for trials, runs each as a
fine-tuning job on the `gpu` queue, and tells Optuna how each ended.

It keeps no state of its own between polls: each poll reads the study (Optuna's tables) and the
trials' rows and jobs (the platform's), so a coordinator delivered again after its worker died,
or after the whole platform restarted, carries on where the last one stopped. A trial asked for
but never queued (the worker died in between) is queued now; a trial whose job ended is told
once: only a trial Optuna still has running is told, and the row follows what Optuna was told.
"""
import time
import warnings
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from indus.jobs.execution import JobCancelled, JobContext, JobInputError
from indus.jobs.models import Job
from indus.jobs.services import job_cancel
from indus.jobs.states import TERMINAL_STATES, JobState
from indus.registry.models import ModelVersion
from indus.sweeps.models import Sweep, SweepTrial
from indus.sweeps.search_space import distributions
from indus.sweeps.selectors import sweep_trials, trial_objective, trial_validation_series
from indus.sweeps.services import (
    BEST_ALIAS,
    sweep_promote_best,
    sweep_record_best,
    sweep_trial_create,
    sweep_trial_mark_pruned,
    sweep_trial_record,
)
from indus.sweeps.storage import study_storage


def run_sweep_job(context: JobContext) -> dict:
    sweep = Sweep.objects.select_related("job__project", "job__created_by").get(job_id=context.job_id)
    coordinator = Coordinator(context, sweep)
    while not coordinator.poll():
        time.sleep(settings.INDUS_SWEEP_POLL_SECONDS)
    return coordinator.result()


class Coordinator:
    def __init__(self, context: JobContext, sweep: Sweep):
        import optuna
        from optuna.trial import TrialState

        # The constant liar is "experimental" to Optuna; said once per coordinator is noise in the logs.
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        self.optuna, self.TrialState = optuna, TrialState
        self.context, self.sweep, self.spec = context, sweep, context.spec
        self.space = distributions(self.spec["search_space"])
        self.budget, self.parallelism = self.spec["trials"], self.spec["parallelism"]
        # TPE, its first trials random; the constant liar keeps trials that run side by side apart.
        sampler = optuna.samplers.TPESampler(n_startup_trials=min(10, max(1, self.budget // 2)), constant_liar=True)
        # Halving's rungs from step 1 (1, 4, 16...): its "auto" takes them from a completed
        # trial, so the trials that ran before one was told would rank against no one.
        pruner = {"median": lambda: optuna.pruners.MedianPruner(n_startup_trials=2),
                  "halving": lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1),
                  "none": optuna.pruners.NopPruner}[self.spec["pruning"]]()
        self.study = optuna.create_study(storage=study_storage(), study_name=sweep.study_name, sampler=sampler,
                                         pruner=pruner, direction=sweep.direction, load_if_exists=True)
        self.told_state = {TrialState.COMPLETE: SweepTrial.State.COMPLETE, TrialState.FAIL: SweepTrial.State.FAILED,
                           TrialState.PRUNED: SweepTrial.State.PRUNED}

    # --- One poll ---------------------------------------------------------------------------

    def poll(self) -> bool:
        """Bring the study and the trials' jobs in line and queue what the budget allows; True
        once every trial of the budget has been told, or once the wall time is spent and every
        trial started has been told (a running trial is let finish: its training is not wasted)."""
        self._stop_if_asked()
        rows = {row.number: row for row in sweep_trials(sweep=self.sweep)}
        for trial in self.study.get_trials(deepcopy=False):
            row = rows.get(trial.number)
            if trial.state != self.TrialState.RUNNING:
                if row is not None and row.state == SweepTrial.State.RUNNING:  # told, then the worker died
                    sweep_trial_record(trial=row, state=self.told_state[trial.state], value=trial.value)
            elif row is None:  # asked for, then the worker died before its job was queued
                self._queue(trial.number, trial.params)
            else:
                self._follow(trial, row)
        trials = self.study.get_trials(deepcopy=False)
        running = sum(trial.state == self.TrialState.RUNNING for trial in trials)
        asked = len(trials)
        out_of_time = self.out_of_time()
        while asked < self.budget and running < self.parallelism and not out_of_time:
            trial = self.study.ask(self.space)
            running += self._queue(trial.number, trial.params)
            asked += 1
        finished = asked - running
        self.context.report_progress(finished / self.budget, f"{finished} of {self.budget} trials finished, {running} running"
                                     + (": the wall time is spent, no trial is started" if out_of_time else ""))
        return (asked >= self.budget or out_of_time) and running == 0

    def out_of_time(self) -> bool:
        """True once `max_minutes` have passed since the sweep's first start (a delivery after a
        restart keeps it: the job's start is its first attempt's)."""
        minutes = self.spec.get("max_minutes")
        if minutes is None:
            return False
        started = Job.objects.values_list("started_at", flat=True).get(pk=self.context.job_id) or timezone.now()
        return timezone.now() >= started + timedelta(minutes=minutes)

    def _stop_if_asked(self) -> None:
        """A user's cancel stops the trials too; a lost lease only stops this attempt (the one
        that replaced it follows the same trials)."""
        if Job.objects.filter(pk=self.context.job_id, cancel_requested_at__isnull=False).exists():
            for row in sweep_trials(sweep=self.sweep).filter(state=SweepTrial.State.RUNNING):
                if row.job.state not in TERMINAL_STATES:
                    try:
                        job_cancel(job=row.job)
                    except ValidationError:  # it ended meanwhile
                        pass
                if self.study.get_trials(deepcopy=False)[row.number].state == self.TrialState.RUNNING:
                    self._tell(row, self.TrialState.FAIL)
            raise JobCancelled()
        self.context.raise_if_cancelled()

    def _queue(self, number: int, params: dict) -> bool:
        """Queue trial `number`'s job; True if queued, False if the fine-tuning service refused
        the values (a combination the table forbids), which fails the trial."""
        try:
            row = sweep_trial_create(sweep=self.sweep, number=number, hyperparameters=params)
        except ValidationError as error:
            self.study.tell(number, state=self.TrialState.FAIL)
            self.context.log(f"trial {number} failed: its hyperparameters {params} were refused: {error.messages}")
            return False
        self.context.log(f"trial {number} queued as fine-tune job {row.job_id}: {params}")
        return True

    def _follow(self, trial, row: SweepTrial) -> None:
        """A running trial: tell Optuna once its job has ended; meanwhile report its validation
        series to the pruner."""
        job = row.job
        if job.state == JobState.SUCCEEDED:
            if self.spec["pruning"] != "none":  # the pruner compares the later trials with its whole curve
                self._report_series(trial, row)
            value = trial_objective(job=job, sweep=self.sweep)
            if value is None:
                self.context.log(f"trial {row.number} failed: job {job.pk} reported no validation {self.sweep.metric}")
                self._tell(row, self.TrialState.FAIL)
            else:
                self._tell(row, self.TrialState.COMPLETE, value)
        elif job.state == JobState.CANCELLED and row.pruned_at_step is not None:
            self._tell(row, self.TrialState.PRUNED)
        elif job.state in TERMINAL_STATES:
            self.context.log(f"trial {row.number} failed: job {job.pk} {job.state}" + (f": {job.error}" if job.error else ""))
            self._tell(row, self.TrialState.FAIL)
        elif self.spec["pruning"] != "none" and row.pruned_at_step is None:
            self._prune_if_weak(trial, row)

    def _prune_if_weak(self, frozen, row: SweepTrial) -> None:
        step = self._report_series(frozen, row, stop_at_prune=True)
        if step is not None:
            self.context.log(f"trial {row.number} pruned at step {step} ({self.spec['pruning']}): its validation "
                             f"{self.sweep.metric} is worse than the earlier trials' there")
            sweep_trial_mark_pruned(trial=row, step=step)
            try:
                job_cancel(job=row.job)
            except ValidationError:  # it ended meanwhile: it is told as it ended
                pass

    def _report_series(self, frozen, row: SweepTrial, *, stop_at_prune: bool = False) -> int | None:
        """Report the trial's validation values Optuna has not seen, asking the pruner after
        each as the trial's own loop would: successive halving ranks a trial at a rung only when
        asked at a step that reaches it, so a trial that ended between two polls is asked too
        (its answer unused) and later trials are compared with it. The step at which the pruner
        would stop it, if `stop_at_prune` and it would."""
        trial = self.optuna.trial.Trial(self.study, frozen._trial_id)
        reported = set(frozen.intermediate_values)
        for step, value in trial_validation_series(job=row.job, metric=self.sweep.metric):
            if step not in reported:
                trial.report(value, step)
                reported.add(step)
                if trial.should_prune() and stop_at_prune:
                    return step
        # Asked at every poll: a trial the pruner spared may be stopped once more trials have ended.
        if stop_at_prune and reported and trial.should_prune():
            return max(reported)
        return None

    def _tell(self, row: SweepTrial, state, value: float | None = None) -> None:
        """Tell Optuna, then the row: a restart in between finds the trial told, and the row follows."""
        self.study.tell(row.number, value, state=state)
        sweep_trial_record(trial=row, state=self.told_state[state], value=value)
        if state == self.TrialState.COMPLETE:
            # The job page charts these: each trial's value, and the best so far.
            metric = self.sweep.metric
            self.context.record_metric(f"trial_{metric}", row.number, value)
            self.context.record_metric(f"best_{metric}", row.number, self.study.best_value)

    # --- The end ----------------------------------------------------------------------------

    def result(self) -> dict:
        rows = {row.number: row for row in sweep_trials(sweep=self.sweep)}
        counts = {state.value: sum(row.state == state for row in rows.values()) for state in self.told_state.values()}
        if not counts[SweepTrial.State.COMPLETE]:
            raise JobInputError(f"none of the {self.budget} trials completed ({counts}): see the trials' jobs")
        best = rows[self.study.best_trial.number]
        sweep_record_best(sweep=self.sweep, trial=best)
        made = best.job.result or {}
        self.context.log(f"best trial {best.number}: validation {self.sweep.metric} {best.value:g} with {best.hyperparameters}")
        alias = None
        if version := ModelVersion.objects.select_related("model").filter(pk=made.get("model_version_id")).first():
            refused = sweep_promote_best(version=version)
            if refused:
                self.context.log(f"model {version.model.name} v{version.number} not aliased {BEST_ALIAS}: {refused}")
            else:
                alias = BEST_ALIAS
        if self.out_of_time() and sum(counts.values()) < self.budget:
            self.context.log(f"the wall time of {self.spec['max_minutes']:g} minutes was spent after "
                             f"{sum(counts.values())} of {self.budget} trials")
        return {
            "metric": self.sweep.metric, "direction": self.sweep.direction, "study": self.sweep.study_name,
            "best_trial": best.number, "best_value": best.value, "best_hyperparameters": best.hyperparameters,
            "best_job_id": best.job_id, "model_version_id": made.get("model_version_id"), "model": made.get("model"),
            "version": made.get("version"), "alias": alias, "trials": counts,
        }
