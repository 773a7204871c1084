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
# The tabular encoder meets small tables most (hundreds of rows), where its validation metric is
# measured on a few dozen rows: a step function that stays flat for epochs before it moves again.
# With 30 epochs and a patience of 5 it stopped at the first flat stretch (epoch 7 to 24 on
# scikit-learn's diabetes, breast cancer and wine), behind the better classical baseline on all
# three. A budget of 200 epochs that the validation metric ends (patience 20), in smaller steps
# (batches of 32 at 3e-4, so a table of 120 rows still takes 4 steps an epoch) brought breast
# cancer within 0.002 ROC AUC of logistic regression and wine level with it, both ahead of the
# trees; a large table stops early all the same. Followed as it came, the metric still stopped
# diabetes at its first flat stretch and left wine's accuracy to the initialisation; early
# stopping now follows it averaged over `patience` evaluations (`trainer.StoppingMetric`).
TABULAR_FROM_SCRATCH = {**FROM_SCRATCH, "learning_rate": 3e-4, "epochs": 200.0, "batch_size": 32,
                        "early_stopping_patience": 20}
# MiniLM's head starts from random weights: 3 epochs at 5e-5 give it some 27 steps on a table of a
# few hundred texts, and on Amazon fine-food reviews it predicted the majority class (macro F1
# 0.40, TF-IDF with logistic regression 0.45). At 1e-4 for up to 5 epochs it reached 0.86
# (accuracy 0.88 against 0.68), early stopping keeping the best epoch.
MINILM = {**PRETRAINED, "learning_rate": 1e-4, "epochs": 5.0}

# What a sweep searches by default, around each family's defaults: a pretrained encoder's
# learning rate a decade either side of 5e-5, one from scratch from 1e-4 to 1e-2; batches and
# weight decay for both. Epochs are not searched: early stopping ends each trial.
PRETRAINED_SPACE = {"learning_rate": {"low": 1e-5, "high": 2e-4, "log": True}, "batch_size": {"choices": [16, 32]},
                    "weight_decay": {"low": 0.0, "high": 0.1}, "warmup_ratio": {"low": 0.0, "high": 0.2}}
FROM_SCRATCH_SPACE = {"learning_rate": {"low": 1e-4, "high": 1e-2, "log": True},
                      "batch_size": {"choices": [32, 64, 128]}, "weight_decay": {"low": 0.0, "high": 0.1}}


@hookimpl
def indus_backbones():
    return [
        Backbone(
            "minilm", "all-MiniLM-L6-v2 text encoder", f"{BACKBONES}.text:build_text_encoder", (Modality.TEXT,),
            description="A 22.7M-parameter BERT sentence encoder that ships in a Python package: nothing downloads.",
            # 6 layers x (~24 hidden-sized tensors of 384 fp32 values kept for the backward pass)
            parameter_count=22_700_000, activation_bytes_per_token=6 * 24 * 384 * 4, max_length=512,
            hyperparameter_defaults=MINILM, search_space_defaults=PRETRAINED_SPACE,
        ),
        Backbone(
            "tabular_mlp", "Tabular encoder (numeric + categorical embeddings)",
            f"{BACKBONES}.tabular:build_tabular_encoder", (Modality.TABULAR,),
            hyperparameter_defaults=TABULAR_FROM_SCRATCH, search_space_defaults=FROM_SCRATCH_SPACE,
        ),
        Backbone(
            "time_series_gru", "Time-series encoder (GRU over a window)",
            f"{BACKBONES}.time_series:build_time_series_encoder", (Modality.TIME_SERIES,),
            hyperparameter_defaults=FROM_SCRATCH, search_space_defaults=FROM_SCRATCH_SPACE,
        ),
        Backbone(
            "text_tabular_fusion", "Text + tabular fusion (MiniLM and the tabular encoder)",
            f"{BACKBONES}.fusion:build_fusion_encoder", (Modality.TEXT_TABULAR,),
            parameter_count=22_800_000, activation_bytes_per_token=6 * 24 * 384 * 4, max_length=512,
            hyperparameter_defaults=PRETRAINED, search_space_defaults=PRETRAINED_SPACE,
        ),
    ]


# The column types each encoder reads as inputs: the tabular encoder standardises numbers (and
# dates, as seconds) and embeds categories; the text encoder reads text; fusion reads both.
TABULAR_TYPES = (ColumnType.NUMBER, ColumnType.INTEGER, ColumnType.DATETIME, ColumnType.CATEGORY,
                 ColumnType.BOOLEAN, ColumnType.IDENTIFIER)
CLASS_METRICS = ("macro_f1", "accuracy", "balanced_accuracy")
MULTI_LABEL_METRICS = ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss")
# The time-series encoder reads numbers and flags as values of a step and embeds categories and
# keys (a store, a series); the time column orders the steps and is no input.
TIME_SERIES_TYPES = (ColumnType.NUMBER, ColumnType.INTEGER, ColumnType.BOOLEAN, ColumnType.CATEGORY,
                     ColumnType.IDENTIFIER)


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
            MULTI_LABEL_METRICS, needs_one_of=(ColumnType.TEXT,),
        ),
        TaskTemplate(
            "indus.tabular_multi_label", "Tabular multi-label classification",
            "Predict any subset of labels from numbers, categories, dates and flags; the target is a list of labels per row.",
            Modality.TABULAR, TargetKind.MULTI_LABEL, TABULAR_TYPES, "multi_label", "tabular_mlp", MULTI_LABEL_METRICS,
            presentation=Presentation(explanation="features"),
        ),
        TaskTemplate(
            "indus.forecasting", "Time-series forecasting",
            "Forecast the next 7 values of each series, with an 80% interval, from its history and its other "
            "columns; the binding names the time column and the series column (none: one series).",
            Modality.TIME_SERIES, TargetKind.FORECAST, TIME_SERIES_TYPES, "forecasting", "time_series_gru",
            ("mae", "rmse", "mape", "pinball_loss", "coverage"), min_rows=50,
            presentation=Presentation(show_probabilities=False), horizon=7, quantiles=(0.1, 0.5, 0.9),
        ),
        TaskTemplate(
            "indus.item_ranking", "Item ranking",
            "Rank the items of a catalogue for a user or a query: the target is the item each row's user or query "
            "chose, the binding names the user or query column; the catalogue is read from the data.",
            Modality.TABULAR, TargetKind.RANKING, TABULAR_TYPES, "ranking", "tabular_mlp", ("recall_at_k", "ndcg_at_k"),
            min_rows=100, presentation=Presentation(top_k=10, show_probabilities=False),
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
