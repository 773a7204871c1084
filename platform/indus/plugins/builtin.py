"""The heads and backbones that ship with the platform, declared like any plugin's.

Their factories live in the `indus-workers` distribution; only a worker imports them.
"""
from indus.plugins.contract import Backbone, ColumnType, Head, Modality, Presentation, TargetKind, TaskTemplate
from indus.plugins.hookspecs import hookimpl

HEADS = "indus_workers.heads"
BACKBONES = "indus_workers.backbones"


@hookimpl
def indus_heads():
    return [
        Head("classification", "Classification (softmax over classes)", f"{HEADS}.classification:ClassificationHead", (TargetKind.CLASSES,)),
        Head("multi_label", "Multi-label (one sigmoid per label)", f"{HEADS}.classification:MultiLabelHead", (TargetKind.MULTI_LABEL,)),
        Head("ordinal", "Ordinal levels (cumulative logits)", f"{HEADS}.ordinal:OrdinalHead", (TargetKind.ORDINAL,)),
        Head("regression", "Regression", f"{HEADS}.regression:RegressionHead", (TargetKind.REGRESSION,)),
        Head("quantile", "Quantile regression (pinball loss)", f"{HEADS}.regression:QuantileHead", (TargetKind.QUANTILES,)),
        Head("token_classification", "Token tagging (BIO)", f"{HEADS}.token_classification:TokenClassificationHead", (TargetKind.TOKEN_TAGS,)),
        Head("ranking", "Retrieval and ranking over a catalogue", f"{HEADS}.ranking:RankingHead", (TargetKind.RANKING,)),
        Head("forecasting", "Multi-horizon forecasting with quantiles", f"{HEADS}.forecasting:ForecastingHead", (TargetKind.FORECAST,)),
    ]


# Defaults by backbone family. A pretrained text encoder is only fine-tuned: a small learning
# rate for a few epochs. An encoder that starts from random weights has to learn everything:
# with 5e-5 and 3 epochs the tabular encoder learnt nothing on five public tables out of five
# (issue 14), with 1e-3 and up to 30 epochs it matched gradient-boosted trees on most.
PRETRAINED = {"learning_rate": 5e-5, "epochs": 3.0, "batch_size": 32, "warmup_ratio": 0.06, "early_stopping_patience": 2}
FROM_SCRATCH = {"learning_rate": 1e-3, "epochs": 30.0, "batch_size": 64, "warmup_ratio": 0.0, "early_stopping_patience": 5}


@hookimpl
def indus_backbones():
    return [
        Backbone(
            "minilm", "all-MiniLM-L6-v2 text encoder", f"{BACKBONES}.text:build_text_encoder", (Modality.TEXT,),
            description="A 22.7M-parameter BERT sentence encoder that ships in a Python package: nothing downloads.",
            # 6 layers x (~24 hidden-sized tensors of 384 fp32 values kept for the backward pass)
            parameter_count=22_700_000, activation_bytes_per_token=6 * 24 * 384 * 4, max_length=512,
            hyperparameter_defaults=PRETRAINED,
        ),
        Backbone(
            "tabular_mlp", "Tabular encoder (numeric + categorical embeddings)",
            f"{BACKBONES}.tabular:build_tabular_encoder", (Modality.TABULAR,),
            hyperparameter_defaults=FROM_SCRATCH,
        ),
        Backbone(
            "time_series_gru", "Time-series encoder (GRU over a window)",
            f"{BACKBONES}.time_series:build_time_series_encoder", (Modality.TIME_SERIES,),
            hyperparameter_defaults=FROM_SCRATCH,
        ),
        Backbone(
            "text_tabular_fusion", "Text + tabular fusion (MiniLM and the tabular encoder)",
            f"{BACKBONES}.fusion:build_fusion_encoder", (Modality.TEXT_TABULAR,),
            parameter_count=22_800_000, activation_bytes_per_token=6 * 24 * 384 * 4, max_length=512,
            hyperparameter_defaults=PRETRAINED,
        ),
    ]


# The column types each encoder reads as inputs: the tabular encoder standardises numbers (and
# dates, as seconds) and embeds categories; the text encoder reads text; fusion reads both.
TABULAR_TYPES = (ColumnType.NUMBER, ColumnType.INTEGER, ColumnType.DATETIME, ColumnType.CATEGORY,
                 ColumnType.BOOLEAN, ColumnType.IDENTIFIER)
CLASS_METRICS = ("macro_f1", "accuracy", "balanced_accuracy")


@hookimpl
def indus_task_templates():
    """Generic templates, so that any table trains with no plugin: a binding names the columns
    and reads the labels from the data."""
    return [
        TaskTemplate(
            "indus.tabular_classification", "Tabular classification",
            "Predict one label of several (or a yes/no) from numbers, categories, dates and flags.",
            Modality.TABULAR, TargetKind.CLASSES, TABULAR_TYPES, "classification", "tabular_mlp", CLASS_METRICS,
            presentation=Presentation(explanation="features"),
        ),
        TaskTemplate(
            "indus.tabular_ordinal", "Tabular ordinal levels",
            "Predict an ordered level (a risk band, a rating) from tabular columns; the binding orders the labels.",
            Modality.TABULAR, TargetKind.ORDINAL, TABULAR_TYPES, "ordinal", "tabular_mlp",
            ("quadratic_kappa", "macro_f1", "accuracy", "mae_levels"),
            presentation=Presentation(explanation="features"),
        ),
        TaskTemplate(
            "indus.tabular_regression", "Tabular regression",
            "Predict a number from numbers, categories, dates and flags.",
            Modality.TABULAR, TargetKind.REGRESSION, TABULAR_TYPES, "regression", "tabular_mlp", ("mae", "rmse", "r2"),
            presentation=Presentation(show_probabilities=False, explanation="features"),
        ),
        TaskTemplate(
            "indus.text_classification", "Text classification",
            "Predict one label of several from free text; several text columns are read joined.",
            Modality.TEXT, TargetKind.CLASSES, (ColumnType.TEXT,), "classification", "minilm", CLASS_METRICS,
            presentation=Presentation(explanation="tokens"), needs_one_of=(ColumnType.TEXT,),
        ),
        TaskTemplate(
            "indus.text_multi_label", "Text multi-label classification",
            "Predict any subset of labels from free text; the target is a list of labels per row.",
            Modality.TEXT, TargetKind.MULTI_LABEL, (ColumnType.TEXT,), "multi_label", "minilm",
            ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"), needs_one_of=(ColumnType.TEXT,),
        ),
        TaskTemplate(
            "indus.token_tagging", "Token tagging",
            "Tag each word of pre-split text (BIO tags); the target is a list of tags per row.",
            Modality.TEXT, TargetKind.TOKEN_TAGS, (ColumnType.TOKENS,), "token_classification", "minilm",
            ("seqeval_f1", "seqeval_precision", "seqeval_recall", "token_accuracy"),
            presentation=Presentation(show_probabilities=False), needs_one_of=(ColumnType.TOKENS,),
        ),
        TaskTemplate(
            "indus.text_tabular_classification", "Text + tabular classification",
            "Predict one label of several from free text together with numbers, categories and flags.",
            Modality.TEXT_TABULAR, TargetKind.CLASSES, (ColumnType.TEXT, *TABULAR_TYPES), "classification",
            "text_tabular_fusion", CLASS_METRICS, presentation=Presentation(explanation="features"),
            needs_one_of=(ColumnType.TEXT,),
        ),
    ]
