"""Fine-tuning with the Hugging Face Trainer: transfer learning from a backbone to a task head.

The Trainer brings the optimiser, schedule, mixed precision, checkpoints, resuming and DDP;
this module brings the data (splits, featurizers, length-grouped batches with dynamic padding),
the model (backbone + head), the task's metrics, and callbacks that report to the platform.
"""
import math
import os
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pa_parquet
import torch
from torch.utils.data import Dataset
from transformers import EarlyStoppingCallback, PrinterCallback, Trainer, TrainerCallback, TrainingArguments, set_seed
from transformers.trainer_pt_utils import LengthGroupedSampler
from transformers.trainer_utils import get_last_checkpoint

from indus.plugins.contract import JobInputError, TargetKind
from indus.plugins.verdict import judge, primary_metric
from indus_workers.backbones.columns import column_as_floats
from indus_workers.baselines import classical_baselines, trivial_baseline
from indus_workers.devices import choose_device
from indus_workers.evaluation import evaluate
from indus_workers.events import RunEvents
from indus_workers.model import IndusModel, build_model, load_model, save_model
from indus_workers.targets import complete_labels, inverse_frequency_weights
from indus_workers.task import ModelTask
from indus_workers.training.model_card import model_card
from indus_workers.training.predictions import evaluation_inputs, truth_of
from indus_workers.training.spec import TrainingSpec
from indus_workers.training.splits import STRATIFIED_KINDS, Splits, split_by_time, split_rows

PROGRESS_SHARE_OF_TRAINING = 0.9  # the rest is the final test and saving


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


class ExampleDataset(Dataset):
    def __init__(self, examples: list[dict]):
        self.examples = examples

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict:
        return self.examples[index]


class LengthGroupedTrainer(Trainer):
    """Batches of texts of similar length, so dynamic padding pads little; the lengths come
    from the featurizer instead of being recomputed from every example."""

    def _get_train_sampler(self, train_dataset=None):
        dataset = train_dataset or self.train_dataset
        lengths = [example.get("length") for example in dataset.examples]
        if None in lengths:
            return super()._get_train_sampler(train_dataset)
        generator = torch.Generator().manual_seed(self.args.seed)
        return LengthGroupedSampler(
            self.args.train_batch_size * self.args.gradient_accumulation_steps, lengths=lengths, generator=generator
        )


class RunEventsCallback(TrainerCallback):
    """Progress, metrics, checkpoint notices and cancellation, as Trainer callbacks."""

    def __init__(self, events: RunEvents):
        self.events = events

    def on_step_end(self, args, state, control, **kwargs):
        if state.is_world_process_zero and state.max_steps:
            share = PROGRESS_SHARE_OF_TRAINING * state.global_step / state.max_steps
            self.events.progress(share, f"step {state.global_step} of {state.max_steps}")
        if _agreed_stop(self.events.should_stop()):
            # Stop at this step and keep a checkpoint of it: cancelling keeps what was done.
            control.should_training_stop = True
            control.should_save = True

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero:
            return
        for name, value in (logs or {}).items():
            if isinstance(value, (int, float)) and math.isfinite(value) and name not in ("epoch", "total_flos"):
                self.events.metric(name, state.global_step, float(value))

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self.events.checkpoint(os.path.join(args.output_dir, f"checkpoint-{state.global_step}"), state.global_step)


class StoppingMetric:
    """What early stopping and the best checkpoint follow, chosen at the first evaluation with
    the verdict's rule (`primary_metric`): the task's first metric that goes one way and that
    the target kind computed, with a value, on the validation rows; else the validation loss
    (lower is better). The validation rows do not change during a run, so neither does the
    choice; it is logged, and so is a later evaluation where the metric is undefined.

    A metric is followed as its exponential moving average over `span` evaluations (the run's
    patience; weight 2 / (span + 1) on the newest), logged as `smoothed_<metric>`. On a few
    dozen validation rows a metric moves by noise as much as by learning: followed as it came,
    a patience of 20 stopped scikit-learn's diabetes by epoch 41 of 200 on seven initialisations
    of eight, 3% to 8% behind gradient-boosted trees, while the average kept falling to epoch 166
    and more (1% to 5% behind); wine's accuracy went from 0.81 to 1.0 with the initialisation
    alone, and is 1.0 on all six now. An undefined evaluation leaves the average where it was, so
    it can be neither the best nor reset the patience; a run resumed from a checkpoint starts the
    average again. The loss is followed as it comes: the Trainer adds it after this call."""

    def __init__(self, task: ModelTask, events: RunEvents, *, span: int = 1):
        self.task = task
        self.events = events
        self.span = max(span, 1)
        self.newest_weight = 2 / (self.span + 1)
        self.name: str | None = None
        self.greater_is_better = False
        self.smoothed: float | None = None

    def __call__(self, args: TrainingArguments, metrics: dict) -> dict:
        if self.name is None:
            chosen = primary_metric(self.task.metrics, metrics)
            self.name, self.greater_is_better = (chosen[0], chosen[1] > 0) if chosen else ("loss", False)
            # The Trainer and EarlyStoppingCallback read these at every evaluation.
            args.metric_for_best_model = self.followed_name
            args.greater_is_better = self.greater_is_better
            why = "" if chosen else f": none of the task's metrics {list(self.task.metrics)} has a value on the validation rows"
            how = f" averaged over about {self.span} evaluations" if self.followed_name != self.name else ""
            self.events.log(f"early stopping and the best checkpoint follow validation {self.name}{how} "
                            f"({'higher' if self.greater_is_better else 'lower'} is better){why}")
        elif self.name != "loss" and not isinstance(metrics.get(self.name), (int, float)):
            self.events.log(f"validation {self.name} is undefined at this evaluation: it counts as the worst")
            metrics[self.name] = -math.inf if self.greater_is_better else math.inf
        if self.followed_name != self.name:
            value = metrics[self.name]
            if math.isfinite(value):
                self.smoothed = value if self.smoothed is None else (
                    self.newest_weight * value + (1 - self.newest_weight) * self.smoothed)
            metrics[self.followed_name] = metrics[self.name] if self.smoothed is None else self.smoothed
        return metrics

    @property
    def followed_name(self) -> str:
        return self.name if self.name == "loss" or self.span == 1 else f"smoothed_{self.name}"


def _agreed_stop(requested_here: bool) -> bool:
    """Under DDP every process must stop at the same step, or the others wait forever in the
    next all-reduce: the main process decides and tells the rest."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return requested_here
    decision = torch.tensor([int(requested_here)])
    torch.distributed.broadcast(decision, src=0)
    return bool(decision.item())


class SilentRankEvents:
    """The events of a DDP rank other than the main one: it reports nothing (the main process
    speaks for the group) and only asks whether to stop."""

    def __init__(self, events: RunEvents):
        self.events = events

    def progress(self, fraction, message=""):
        pass

    def metric(self, name, step, value):
        pass

    def log(self, message):
        pass

    def checkpoint(self, path, step):
        pass

    def should_stop(self) -> bool:
        return self.events.should_stop()


def train(spec: TrainingSpec, events: RunEvents) -> dict:
    hp = spec.hyperparameters
    set_seed(hp.seed)
    if not is_main_process():
        events = SilentRankEvents(events)
    table = _read_table(spec)
    model, splits, datasets = _prepare(spec, table)
    if spec.parent_model_dir:
        kept = model.warm_start_from(load_model(spec.parent_model_dir))
        events.log(f"warm start: {kept} weight tensors taken from the parent version")
    task = model.task
    events.log(f"training on {len(datasets['train'])} examples, validating on {len(datasets['validation'])}")

    trainer = _build_trainer(spec, model, datasets, events)
    last_checkpoint = get_last_checkpoint(spec.checkpoint_dir) if os.path.isdir(spec.checkpoint_dir) else None
    if last_checkpoint:
        events.log(f"resuming from {os.path.basename(last_checkpoint)}")
    training = trainer.train(resume_from_checkpoint=last_checkpoint)
    if events.should_stop():
        return {"stopped": True}

    events.progress(PROGRESS_SHARE_OF_TRAINING, "testing")
    prediction = trainer.predict(datasets["test"])
    test_truth, test_predictions = evaluation_inputs(task, model.head, prediction.predictions, prediction.label_ids)
    evaluation = evaluate(task, test_truth, test_predictions)
    metrics = {f"test_{name}": value for name, value in evaluation.metrics.items()}
    metrics["test_loss"] = float(prediction.metrics["test_loss"])
    events.progress(PROGRESS_SHARE_OF_TRAINING, "fitting the baselines")
    # Only the main process writes the result; the other ranks need no baselines.
    baselines = (_baselines(spec, model, table, splits, datasets, test_truth, test_predictions, events)
                 if is_main_process() else {"candidates": []})
    verdict = judge(task.metrics, evaluation.metrics, baselines["candidates"])
    evaluation.reports["baselines"] = baselines
    evaluation.reports["verdict"] = verdict
    events.log(f"verdict: {verdict['title']}" + (f" on {verdict['metric']}" if "metric" in verdict else ""))
    history = [entry for entry in trainer.state.log_history if "eval_loss" in entry]
    card = model_card(task=task, spec=spec, splits=splits, metrics=metrics, history=history,
                      baselines=baselines, verdict=verdict)
    if is_main_process():
        save_model(model, spec.output_dir, backbone_factory=spec.backbone.factory)
        events.progress(1.0, "saved")
    return {
        "metrics": metrics,
        "reports": evaluation.reports,
        "labels": list(task.target.labels),
        "splits": splits.sizes(),
        "history": history,
        "model_card": card,
        "resumed_from": os.path.basename(last_checkpoint) if last_checkpoint else None,
        "processes": trainer.args.world_size,
        "training": {
            "runtime_seconds": training.metrics["train_runtime"],
            "samples_per_second": training.metrics["train_samples_per_second"],
            "padding_share": padding_share(trainer),
        },
    }


def _baselines(spec, model, table, splits, datasets, test_truth, test_predictions, events) -> dict:
    """The trivial and the classical baselines on the model's own splits (see indus_workers.baselines).
    A baseline that cannot be fitted is reported as skipped: it never costs the trained model."""
    task = model.task
    train_truth = truth_of(task, model.head, [example["labels"] for example in datasets["train"].examples])
    failures = (ValueError, TypeError, KeyError, IndexError, MemoryError)
    try:
        trivial = trivial_baseline(task, train_truth=train_truth, test_truth=test_truth,
                                   model_predictions=test_predictions)
    except failures as error:
        events.log(f"trivial baseline skipped: {type(error).__name__}: {error}")
        trivial = None
    try:
        classical = classical_baselines(
            task, table=table, train_rows=splits.train, train_truth=train_truth, test_rows=splits.test,
            test_truth=test_truth, test_examples=datasets["test"].examples, model_predictions=test_predictions,
            seed=spec.hyperparameters.seed,
        )
    except failures as error:  # TF-IDF over texts that share no word, say
        events.log(f"classical baseline skipped: {type(error).__name__}: {error}")
        classical = {"skipped": f"it could not be fitted ({type(error).__name__}: {error})"}
    return {**classical, "candidates": [*([trivial] if trivial else []), *classical.get("candidates", [])]}


def padding_share(trainer: Trainer) -> float | None:
    """The share of padding tokens in one epoch of training batches, in the sampler's order
    (None for examples without a length: they are not padded)."""
    examples = trainer.train_dataset.examples
    if not examples or "length" not in examples[0]:
        return None
    order = list(iter(trainer._get_train_sampler()))
    size = trainer.args.train_batch_size
    padded = real = 0
    for start in range(0, len(order), size):
        lengths = [examples[i]["length"] for i in order[start : start + size]]
        padded += max(lengths) * len(lengths)
        real += sum(lengths)
    return 1 - real / padded


def _read_table(spec: TrainingSpec) -> pa.Table:
    task = spec.task
    target = task.target
    wanted = {c.name for c in task.inputs} | {target.column}
    wanted |= {name for name in (task.id_column, target.group_column, target.time_column) if name}
    parquet = pa_parquet.ParquetFile(spec.data_path)
    missing = wanted - set(parquet.schema_arrow.names)
    if missing:
        raise JobInputError(f"the dataset has no column {', '.join(sorted(map(repr, missing)))}")
    table = parquet.read(columns=sorted(wanted))
    table = table.filter(pc.is_valid(table.column(target.column)))
    if table.num_rows == 0:
        raise JobInputError(f"column {target.column!r} (the target) is empty")
    return table


def _prepare(spec: TrainingSpec, table: pa.Table) -> tuple[IndusModel, Splits, dict[str, ExampleDataset]]:
    """Split the data, build the model on the training part only (featurizer, label set,
    target scaling, class weights), and encode every split."""
    hp = spec.hyperparameters
    task = spec.task
    kind = task.target.kind
    fractions = {"validation_fraction": hp.validation_fraction, "test_fraction": hp.test_fraction}
    if kind == TargetKind.FORECAST:
        # Windows, not rows, are the examples: fit on the earliest rows, hold out the latest windows.
        model = _build(spec, task, _earliest_rows(task, table, 1 - hp.validation_fraction - hp.test_fraction))
        examples = model.featurize(table)
        splits = split_by_time([example["origin"] for example in examples], **fractions)
        parts = {name: [examples[i] for i in getattr(splits, name)] for name in ("train", "validation", "test")}
    else:
        strata = table.column(task.target.column).to_pylist() if kind in STRATIFIED_KINDS else None
        splits = split_rows(table.num_rows, seed=hp.seed, strata=strata, **fractions)
        train_rows = table.take(splits.train)
        if hp.class_weighting and kind in STRATIFIED_KINDS:
            task = complete_labels(task, train_rows)
            task = replace(task, class_weights=inverse_frequency_weights(task, train_rows))
        model = _build(spec, task, train_rows)
        parts = {name: model.featurize(table.take(getattr(splits, name))) for name in ("train", "validation", "test")}
    if not all(parts.values()):
        raise JobInputError(f"too few rows to split into train, validation and test ({splits.sizes()})")
    return model, splits, {name: ExampleDataset(examples) for name, examples in parts.items()}


def _build(spec: TrainingSpec, task: ModelTask, fit_table: pa.Table) -> IndusModel:
    try:
        return build_model(
            task=task,
            backbone_factory=spec.backbone.factory,
            head_factory=spec.head.factory,
            train_table=fit_table,
            backbone_options={"max_length": spec.hyperparameters.max_length, **spec.backbone.options},
        )
    except ValueError as error:  # a target value the head cannot encode, say
        raise JobInputError(str(error)) from None


def _earliest_rows(task: ModelTask, table: pa.Table, share: float) -> pa.Table:
    """The rows of the first `share` of the time span: what a forecast model may learn from."""
    order = np.argsort(column_as_floats(table.column(task.target.time_column)), kind="stable")
    return table.take(np.sort(order[: max(1, int(len(order) * share))]))


def _build_trainer(spec: TrainingSpec, model: IndusModel, datasets: dict, events: RunEvents) -> Trainer:
    hp = spec.hyperparameters
    plan = choose_device()
    on_gpu = plan.device.type == "cuda"
    every_steps = hp.checkpoint_every_steps
    strategy = "steps" if every_steps else "epoch"
    stopping = StoppingMetric(model.task, events, span=hp.early_stopping_patience)
    args = TrainingArguments(
        output_dir=spec.checkpoint_dir,
        per_device_train_batch_size=hp.batch_size,
        per_device_eval_batch_size=hp.batch_size * 2,
        learning_rate=hp.learning_rate,
        num_train_epochs=hp.epochs,
        weight_decay=hp.weight_decay,
        warmup_steps=hp.warmup_ratio,
        eval_strategy=strategy,
        save_strategy=strategy,
        eval_steps=every_steps or None,
        save_steps=every_steps or 500,
        logging_strategy=strategy,
        logging_steps=every_steps or 500,
        save_total_limit=2,
        load_best_model_at_end=hp.early_stopping_patience > 0,
        metric_for_best_model="loss",  # until the first evaluation: see StoppingMetric
        greater_is_better=False,
        seed=hp.seed,
        data_seed=hp.seed,
        bf16=on_gpu and plan.dtype == torch.bfloat16,
        fp16=on_gpu and plan.dtype == torch.float16,
        use_cpu=plan.device.type == "cpu",
        report_to="none",
        disable_tqdm=True,
        remove_unused_columns=False,
        label_names=["labels"],
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,
    )
    callbacks = [RunEventsCallback(events)]
    if hp.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=hp.early_stopping_patience))
    trainer = LengthGroupedTrainer(
        model=model,
        args=args,
        train_dataset=datasets["train"],
        eval_dataset=datasets["validation"],
        data_collator=model.collate,
        callbacks=callbacks,
        compute_metrics=lambda prediction: stopping(trainer.args, evaluate(
            model.task, *evaluation_inputs(model.task, model.head, prediction.predictions, prediction.label_ids)
        ).metrics),
    )
    # Progress and metrics go to RunEvents; the Trainer's own printing would only flood logs.
    trainer.remove_callback(PrinterCallback)
    return trainer
