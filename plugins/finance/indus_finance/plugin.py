"""The finance plugin's hooks: its tasks and their sample datasets.

Loaded by the control plane at start-up, so it imports only the platform's plugin API: no
numpy, no torch. The built-in heads and backbones serve every task here; the sample
generators live in `indus_finance.samples`, which only a worker imports.
"""
from indus.plugins.contract import Column, ColumnType, Modality, Presentation, SampleDataset, Target, TargetKind, Task
from indus.plugins.hookspecs import hookimpl

SAMPLES = "indus_finance.samples"

# The label sets, shared with the sample generators so that the two cannot drift apart.
RISK_BANDS = ("low", "medium", "high", "very_high")  # lowest risk first, as ordinal levels go
FRAUD_LABELS = ("legit", "fraud")
SENTIMENTS = ("negative", "neutral", "positive")

CREDIT_SCORING = Task(
    name="finance.credit_scoring",
    title="Credit scoring",
    description=(
        "Place a loan application in a risk band from the applicant's figures and the loan "
        "purpose in their own words. The bands are ordered, so a 'low' predicted as 'very_high' "
        "costs more than one predicted as 'medium'; predictions come with reason codes, the "
        "features that pushed the band up, as lending rules require adverse-action reasons."
    ),
    modality=Modality.TEXT_TABULAR,
    inputs=(
        Column("age", ColumnType.INTEGER, "Applicant's age in years"),
        Column("employment_type", ColumnType.CATEGORY, "salaried, self_employed, contract, unemployed or retired"),
        Column("employment_years", ColumnType.NUMBER, "Years with the current employer or business"),
        Column("annual_income", ColumnType.NUMBER, "Gross annual income"),
        Column("home_ownership", ColumnType.CATEGORY, "own, mortgage, rent or living_with_family"),
        Column("debt_to_income", ColumnType.NUMBER, "Existing monthly debt payments over monthly income"),
        Column("credit_utilization", ColumnType.NUMBER, "Revolving balances over credit limits (above 1: over limit)"),
        Column("delinquencies_2y", ColumnType.INTEGER, "Payments 30 or more days late in the last two years"),
        Column("recent_inquiries", ColumnType.INTEGER, "Credit searches in the last six months"),
        Column("credit_history_years", ColumnType.NUMBER, "Age of the oldest credit account"),
        Column("loan_amount", ColumnType.NUMBER, "Amount applied for"),
        Column("loan_term_months", ColumnType.INTEGER, "Repayment term"),
        Column("loan_purpose", ColumnType.TEXT, "What the loan is for, as the applicant wrote it"),
    ),
    target=Target(TargetKind.ORDINAL, "risk_band", RISK_BANDS),
    head="ordinal",
    backbone="text_tabular_fusion",
    metrics=("quadratic_kappa", "macro_f1", "accuracy", "mae"),
    id_column="application_id",
    min_rows=200,
    presentation=Presentation(explanation="features"),
)

FRAUD_DETECTION = Task(
    name="finance.fraud_detection",
    title="Card fraud detection",
    description=(
        "Flag fraudulent card transactions. Fraud is rare (about 2% of transactions), so "
        "training weights the classes by their inverse frequency, accuracy is meaningless, and "
        "the model is judged by the area under the precision-recall curve; choose the alert "
        "threshold on the fraud probability to fit the review team's capacity."
    ),
    modality=Modality.TABULAR,
    inputs=(
        Column("amount", ColumnType.NUMBER, "Transaction amount"),
        Column("amount_vs_customer_median", ColumnType.NUMBER, "Amount over the customer's median transaction"),
        Column("merchant_category", ColumnType.CATEGORY, "Kind of merchant, e.g. grocery, electronics, cash_withdrawal"),
        Column("channel", ColumnType.CATEGORY, "chip, contactless, online or manual_entry"),
        Column("hour_of_day", ColumnType.INTEGER, "Local hour, 0-23"),
        Column("distance_from_home_km", ColumnType.NUMBER, "Distance between the merchant (or IP address) and home"),
        Column("is_foreign", ColumnType.BOOLEAN, "Merchant in another country"),
        Column("transactions_last_24h", ColumnType.INTEGER, "Transactions on the card in the previous 24 hours"),
        Column("declined_last_24h", ColumnType.INTEGER, "Declined attempts in the previous 24 hours"),
        Column("new_device", ColumnType.BOOLEAN, "Paid from a device the customer has not used before"),
        Column("account_age_days", ColumnType.INTEGER, "Days since the card account was opened"),
    ),
    target=Target(TargetKind.CLASSES, "fraud_status", FRAUD_LABELS),
    head="classification",
    backbone="tabular_mlp",
    metrics=("pr_auc", "roc_auc", "macro_f1"),
    id_column="transaction_id",
    min_rows=500,
    presentation=Presentation(explanation="features", positive_label="fraud"),
)

NEWS_SENTIMENT = Task(
    name="finance.news_sentiment",
    title="Financial news sentiment",
    description=(
        "Read a news headline the way the market would: negative, neutral or positive for the "
        "company it names. Explanations highlight the words that decided."
    ),
    modality=Modality.TEXT,
    inputs=(Column("headline", ColumnType.TEXT, "A news headline about one company"),),
    target=Target(TargetKind.CLASSES, "sentiment", SENTIMENTS),
    head="classification",
    backbone="minilm",
    metrics=("accuracy", "macro_f1"),
    id_column="headline_id",
    min_rows=100,
    presentation=Presentation(explanation="tokens"),
)


@hookimpl
def indus_tasks():
    return [CREDIT_SCORING, FRAUD_DETECTION, NEWS_SENTIMENT]


def _sample(generator: str, task: Task, title: str, description: str, default_rows: int) -> SampleDataset:
    """A sample dataset named after its generator in `indus_finance.samples`."""
    return SampleDataset(f"finance.{generator}", task.name, title, description, f"{SAMPLES}:{generator}", default_rows)


@hookimpl
def indus_sample_datasets():
    return [
        _sample(
            "credit_applications", CREDIT_SCORING, "Consumer loan applications",
            "Applicant figures, credit-bureau data and the loan purpose in the applicant's words; "
            "risk bands of about 40/30/20/10%.",
            3000,
        ),
        _sample(
            "card_transactions", FRAUD_DETECTION, "Card transactions with 2% fraud",
            "Card-not-present, account-takeover and card-testing fraud hidden among genuine "
            "spending that sometimes looks the same.",
            10_000,  # 2% of it gives 200 frauds: enough to learn three schemes, still minutes on a CPU
        ),
        _sample(
            "news_headlines", NEWS_SENTIMENT, "Financial news headlines",
            "Wire-style headlines about invented companies, about 20/50/30% negative/neutral/positive, "
            "with contrasts that word counts cannot settle.",
            2000,
        ),
    ]
