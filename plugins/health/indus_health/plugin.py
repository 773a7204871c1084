"""The health plugin's hooks: its tasks and their sample datasets.

Loaded by the control plane at start-up, so it imports only the platform's plugin API: no
numpy, no torch. The built-in heads and backbones serve every task here; the sample
generators live in `indus_health.samples`, which only a worker imports.
"""
from indus.plugins.contract import Column, ColumnType, Modality, Presentation, SampleDataset, Target, TargetKind, Task
from indus.plugins.hookspecs import hookimpl

SAMPLES = "indus_health.samples"

# The label sets, shared with the sample generators so that the two cannot drift apart.
CONDITIONS = ("common_cold", "influenza", "pneumonia", "migraine", "gastroenteritis", "urinary_tract_infection")
ENTITY_TYPES = ("SYMPTOM", "DRUG", "DISEASE")
ENTITY_TAGS = ("O", *(f"{position}-{entity}" for entity in ENTITY_TYPES for position in ("B", "I")))
READMITTED = ("no", "yes")

DIAGNOSIS = Task(
    name="health.diagnosis",
    title="Triage diagnosis from a symptom description",
    description=(
        "Suggest the likely condition behind a symptom description: a patient's own words, a "
        "triage nurse's shorthand or a referral letter. The three most likely conditions are "
        "shown with their probabilities, to support a clinician's judgement, not to replace it."
    ),
    modality=Modality.TEXT,
    inputs=(Column("description", ColumnType.TEXT, "Symptoms as written by the patient or a clinician"),),
    target=Target(TargetKind.CLASSES, "condition", CONDITIONS),
    head="classification",
    backbone="minilm",
    metrics=("accuracy", "macro_f1", "top_k_accuracy"),
    id_column="note_id",
    min_rows=120,
    presentation=Presentation(top_k=3, explanation="tokens"),
)

CLINICAL_ENTITIES = Task(
    name="health.clinical_entities",
    title="Clinical entity tagging",
    description=(
        "Tag the symptoms, drugs and diseases in a clinical note, word by word, in BIO tags "
        "(B- begins an entity, I- continues it, O is outside any). Negated findings "
        "('denies chest pain') are still tagged: whether a finding is present is another task."
    ),
    modality=Modality.TEXT,
    inputs=(Column("tokens", ColumnType.TOKENS, "The note's words and punctuation, in order"),),
    target=Target(TargetKind.TOKEN_TAGS, "tags", ENTITY_TAGS),
    head="token_classification",
    backbone="minilm",
    metrics=("seqeval_f1",),
    id_column="sentence_id",
    min_rows=100,
)

READMISSION_RISK = Task(
    name="health.readmission_risk",
    title="30-day readmission risk",
    description=(
        "Estimate at discharge whether a patient will be readmitted within 30 days, so that "
        "follow-up calls and home visits go to those most at risk. About one discharge in eight "
        "is readmitted; the model is judged by ROC AUC and the explanation names the features "
        "behind each patient's risk."
    ),
    modality=Modality.TABULAR,
    inputs=(
        Column("age", ColumnType.INTEGER, "Age at admission"),
        Column("sex", ColumnType.CATEGORY, "female or male"),
        Column("admission_type", ColumnType.CATEGORY, "emergency, urgent or elective"),
        Column("diagnosis_group", ColumnType.CATEGORY, "Primary diagnosis group, e.g. circulatory, respiratory"),
        Column("length_of_stay_days", ColumnType.INTEGER, "Days in hospital"),
        Column("comorbidity_index", ColumnType.INTEGER, "Charlson comorbidity index"),
        Column("medication_count", ColumnType.INTEGER, "Distinct medications at discharge"),
        Column("procedure_count", ColumnType.INTEGER, "Procedures during the stay"),
        Column("admissions_last_year", ColumnType.INTEGER, "Inpatient admissions in the previous 12 months"),
        Column("emergency_visits_last_6m", ColumnType.INTEGER, "Emergency department visits in the previous 6 months"),
        Column("discharge_destination", ColumnType.CATEGORY, "home, home_with_care, care_facility or self_discharge"),
        Column("lives_alone", ColumnType.BOOLEAN, "Lives alone after discharge"),
        Column("follow_up_booked", ColumnType.BOOLEAN, "A follow-up appointment within 7 days is booked"),
    ),
    target=Target(TargetKind.CLASSES, "readmitted_30d", READMITTED),
    head="classification",
    backbone="tabular_mlp",
    metrics=("roc_auc", "pr_auc", "macro_f1"),
    id_column="encounter_id",
    min_rows=300,
    presentation=Presentation(explanation="features", positive_label="yes"),
)


@hookimpl
def indus_tasks():
    return [DIAGNOSIS, CLINICAL_ENTITIES, READMISSION_RISK]


def _synthetic_sample(generator: str, task: Task, title: str, description: str, default_rows: int) -> SampleDataset:
    """A sample dataset of `indus_health.samples`, named after its generator; the title says
    that it is synthetic, so that no one takes it for patient data."""
    return SampleDataset(f"health.{generator}", task.name, f"{title} (synthetic)", description, f"{SAMPLES}:{generator}", default_rows)


@hookimpl
def indus_sample_datasets():
    return [
        _synthetic_sample(
            "symptom_notes", DIAGNOSIS, "Symptom descriptions",
            "Patients' words, triage shorthand and referral letters for six common conditions with "
            "overlapping symptoms, negations, abbreviations and typos.",
            2000,
        ),
        _synthetic_sample(
            "clinical_sentences", CLINICAL_ENTITIES, "Tagged clinical note sentences",
            "Note sentences with symptom, drug and disease spans in BIO tags, including look-alike "
            "words outside any entity ('pain clinic', 'ST depression').",
            2000,
        ),
        _synthetic_sample(
            "discharges", READMISSION_RISK, "Hospital discharges",
            "Discharges with a LACE-like readmission risk; about 13% readmitted within 30 days.",
            5000,
        ),
    ]
