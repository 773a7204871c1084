"""The retail tasks and their sample datasets, declared for the platform.

Declarations only: this module imports the platform's contract types and nothing heavy. The
sample generators are named by dotted path and imported only by the job that runs them.
"""
from indus.plugins.contract import (
    Column,
    ColumnType,
    Modality,
    Presentation,
    SampleDataset,
    Target,
    TargetKind,
    Task,
)
from indus.plugins.hookspecs import hookimpl

SAMPLES = "indus_retail.samples"
STAR_LEVELS = ("1", "2", "3", "4", "5")
SUPPORT_INTENTS = (
    "order_status",
    "cancel_order",
    "return_item",
    "refund_status",
    "damaged_or_wrong_item",
    "payment_issue",
    "change_delivery_address",
    "product_question",
)

# Star ratings are ordered levels, not unrelated classes: mistaking a 5 for a 4 is a smaller
# error than mistaking it for a 1, and the ordinal head's cumulative logits learn exactly that.
# Keeping the shop's own 1-5 scale (rather than folding it into negative/neutral/positive)
# also means a shop uploads its review export as it is, with nothing to relabel.
REVIEW_SENTIMENT = Task(
    name="retail.review_sentiment",
    title="Review star rating",
    description=(
        "Predict the 1-5 star rating a customer gave from the text of their product review. "
        "Useful for scoring reviews that arrive without a rating (social posts, survey comments, "
        "emails) and for finding reviews whose text disagrees with their stars."
    ),
    modality=Modality.TEXT,
    inputs=(Column("review_text", ColumnType.TEXT, "The review as the customer wrote it."),),
    target=Target(TargetKind.ORDINAL, "stars", labels=STAR_LEVELS),
    head="ordinal",
    backbone="minilm",
    metrics=("accuracy", "macro_f1", "mae"),
    id_column="review_id",
    min_rows=100,
    presentation=Presentation(top_k=1, explanation="tokens"),
)

PRODUCT_RECOMMENDATION = Task(
    name="retail.product_recommendation",
    title="Product recommendation",
    description=(
        "Rank the catalogue for a shopper: learn from the interaction log (one row per view, "
        "add-to-basket or purchase) which items shoppers with a given profile go on to choose, "
        "and return the ten most likely. The catalogue is the set of items seen in training."
    ),
    modality=Modality.TABULAR,
    inputs=(
        Column("age_band", ColumnType.CATEGORY, "The shopper's age band, e.g. 25-34."),
        Column("region", ColumnType.CATEGORY, "Where the shopper's delivery address is."),
        Column("loyalty_tier", ColumnType.CATEGORY, "none, silver or gold."),
        Column("device", ColumnType.CATEGORY, "app or web: where the shopper browses."),
        Column("tenure_months", ColumnType.INTEGER, "Months since the shopper's account was opened."),
    ),
    target=Target(TargetKind.RANKING, "item_id", group_column="user_id"),
    head="ranking",
    backbone="tabular_mlp",
    metrics=("recall_at_k", "ndcg_at_k"),
    min_rows=200,
    presentation=Presentation(top_k=10, show_probabilities=False),
)

DEMAND_FORECASTING = Task(
    name="retail.demand_forecasting",
    title="Daily demand forecast per store and product",
    description=(
        "Forecast the units each store will sell of each product over the next seven days, "
        "with an 80% interval (10th to 90th percentile) for setting safety stock. Promotions "
        "and public holidays are known in advance and shift demand."
    ),
    modality=Modality.TIME_SERIES,
    inputs=(
        Column("store_id", ColumnType.CATEGORY, "The store."),
        Column("product_family", ColumnType.CATEGORY, "The product's family, e.g. beverages."),
        Column("on_promotion", ColumnType.BOOLEAN, "Whether the product is on promotion that day."),
        Column("is_holiday", ColumnType.BOOLEAN, "Whether the day is a public holiday."),
        Column("price", ColumnType.NUMBER, "The shelf price that day, after any promotion."),
    ),
    target=Target(
        TargetKind.FORECAST,
        "units_sold",
        quantiles=(0.1, 0.5, 0.9),
        horizon=7,
        group_column="series_id",
        time_column="date",
    ),
    head="forecasting",
    backbone="time_series_gru",
    metrics=("mae", "rmse", "mape", "pinball_loss", "coverage"),
    min_rows=200,
    presentation=Presentation(unit="units", show_probabilities=False),
)

SUPPORT_INTENT = Task(
    name="retail.support_intent",
    title="Customer-service intent",
    description=(
        "Route a customer's message to the right queue or automated answer: where is my "
        "order, cancel, return, refund, damaged or wrong item, payment, address change, or a "
        "question about a product. Shows the three most likely intents for an agent to pick."
    ),
    modality=Modality.TEXT,
    inputs=(Column("message", ColumnType.TEXT, "The customer's message (chat or email body)."),),
    target=Target(TargetKind.CLASSES, "intent", labels=SUPPORT_INTENTS),
    head="classification",
    backbone="minilm",
    metrics=("accuracy", "macro_f1"),
    id_column="ticket_id",
    min_rows=100,
    presentation=Presentation(top_k=3, explanation="tokens"),
)


@hookimpl
def indus_tasks():
    return [REVIEW_SENTIMENT, PRODUCT_RECOMMENDATION, DEMAND_FORECASTING, SUPPORT_INTENT]


@hookimpl
def indus_sample_datasets():
    return [
        SampleDataset(
            "retail.product_reviews",
            REVIEW_SENTIMENT.name,
            "Product reviews with star ratings",
            "Synthetic reviews of electronics, homeware, clothing, beauty and toys: aspect "
            "comments (quality, delivery, value, fit, packaging, service), mixed and sarcastic "
            "reviews, phone typing slips; ratings skewed towards 5 stars as on real shops.",
            f"{SAMPLES}:product_reviews",
            default_rows=2000,
        ),
        SampleDataset(
            "retail.shop_interactions",
            PRODUCT_RECOMMENDATION.name,
            "Web-shop interaction log",
            "Shoppers with a profile (age band, region, loyalty tier, device, tenure) and the "
            "items they viewed or bought from a catalogue of eight departments with a long tail "
            "of popularity; tastes follow the profile plus each shopper's own quirks.",
            f"{SAMPLES}:shop_interactions",
            default_rows=6000,
        ),
        SampleDataset(
            "retail.store_sales",
            DEMAND_FORECASTING.name,
            "Daily store sales",
            "Twelve store-product series over about sixteen months: weekly and yearly "
            "seasonality, promotions with a post-promotion dip, public holidays with pre-holiday "
            "shopping, price elasticity, trends and over-dispersed counts.",
            f"{SAMPLES}:store_sales",
            default_rows=5760,
        ),
        SampleDataset(
            "retail.support_messages",
            SUPPORT_INTENT.name,
            "Customer-service messages",
            "Chat and email messages to an online shop's support desk in eight intents, with "
            "order numbers, carriers, shared vocabulary between intents, negations ('I don't "
            "want to cancel, just change the address') and a little mislabelling.",
            f"{SAMPLES}:support_messages",
            default_rows=2400,
        ),
    ]
