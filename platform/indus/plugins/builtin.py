"""The heads and backbones that ship with the platform, declared like any plugin's.

Their factories live in the `indus-workers` distribution; only a worker imports them.
"""
from indus.plugins.contract import Backbone, Head, Modality, TargetKind
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


@hookimpl
def indus_backbones():
    return [
        Backbone(
            "minilm", "all-MiniLM-L6-v2 text encoder", f"{BACKBONES}.text:build_text_encoder", (Modality.TEXT,),
            description="A 22.7M-parameter BERT sentence encoder that ships in a Python package: nothing downloads.",
            # 6 layers x (~24 hidden-sized tensors of 384 fp32 values kept for the backward pass)
            parameter_count=22_700_000, activation_bytes_per_token=6 * 24 * 384 * 4, max_length=512,
        ),
        Backbone(
            "tabular_mlp", "Tabular encoder (numeric + categorical embeddings)",
            f"{BACKBONES}.tabular:build_tabular_encoder", (Modality.TABULAR,),
        ),
        Backbone(
            "time_series_gru", "Time-series encoder (GRU over a window)",
            f"{BACKBONES}.time_series:build_time_series_encoder", (Modality.TIME_SERIES,),
        ),
        Backbone(
            "text_tabular_fusion", "Text + tabular fusion (MiniLM and the tabular encoder)",
            f"{BACKBONES}.fusion:build_fusion_encoder", (Modality.TEXT_TABULAR,),
            parameter_count=22_800_000, activation_bytes_per_token=6 * 24 * 384 * 4, max_length=512,
        ),
    ]
