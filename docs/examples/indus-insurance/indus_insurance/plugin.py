"""What the plugin declares. This module is imported by every Indus process, so it stays
light: no torch, no data loading; the head is named by its dotted path."""
from indus.plugins.contract import (
    Column,
    ColumnType,
    Head,
    Modality,
    Presentation,
    SampleDataset,
    Target,
    TargetKind,
    Task,
)
from indus.plugins.hookspecs import hookimpl

ROUTES = ("fast_track", "standard", "investigate")


@hookimpl
def indus_heads():
    return [
        Head(
            name="insurance.cost_sensitive",
            title="Classification that weighs costly mistakes (a missed investigation) more",
            factory="indus_insurance.heads:CostSensitiveHead",
            target_kinds=(TargetKind.CLASSES,),
        )
    ]


@hookimpl
def indus_tasks():
    return [
        Task(
            name="insurance.claim_triage",
            title="Claim triage",
            description="Route a claim to fast-track payment, standard handling or a fraud investigation.",
            modality=Modality.TEXT,
            inputs=(Column("description", ColumnType.TEXT, "the claimant's account of the loss"),),
            target=Target(TargetKind.CLASSES, "route", labels=ROUTES),
            head="insurance.cost_sensitive",
            backbone="minilm",
            metrics=("accuracy", "macro_f1"),
            id_column="claim_id",
            presentation=Presentation(explanation="tokens"),
        )
    ]


@hookimpl
def indus_sample_datasets():
    return [
        SampleDataset(
            name="insurance.claims",
            task="insurance.claim_triage",
            title="Synthetic claims",
            description="Short claim descriptions whose wording signals the right route.",
            generator="indus_insurance.samples:claims",
            default_rows=600,
        )
    ]
