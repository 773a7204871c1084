"""Deterministic sample data for the finance tasks.

Every generator is `fn(*, rows: int, seed: int) -> pyarrow.Table`: the same arguments give the
same table (a sample job stores it content-addressed, so a rerun makes no new version), and a
numpy `Generator` seeded with `seed` is the only source of randomness. The people, companies
and transactions are invented; the relations between columns follow how the field works, with
enough noise that a model has something to learn and cannot be perfect.
"""
import string
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from indus_finance.plugin import FRAUD_LABELS, RISK_BANDS, SENTIMENTS

# --------------------------------------------------------------------------------------------
# Helpers shared by the generators


def _identifiers(prefix: str, rows: int) -> pa.Array:
    return pa.array([f"{prefix}-{number:07d}" for number in range(1, rows + 1)], pa.string())


def _per_row(table: dict[str, float], keys: np.ndarray) -> np.ndarray:
    """Look up a per-category effect for every row."""
    return np.array([table[key] for key in keys], dtype=np.float64)


def _choose(rng: np.random.Generator, weighted: dict[str, float], size: int) -> np.ndarray:
    """Draw `size` keys of `weighted` with probabilities proportional to its values."""
    keys = list(weighted)
    weights = np.array(list(weighted.values()))
    return rng.choice(np.array(keys, dtype=object), size=size, p=weights / weights.sum())


def _fill(template: str, rng: np.random.Generator, slots: dict[str, tuple[str, ...]]) -> str:
    """Replace every `{slot}` of the template by a random value of that slot."""
    names = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    return template.format(**{name: slots[name][rng.integers(len(slots[name]))] for name in names})


# --------------------------------------------------------------------------------------------
# finance.credit_scoring

# Cumulative shares of the bands: 40% low, 30% medium, 20% high, 10% very high, roughly the
# shape of a consumer lender's book once the clearly unacceptable applications are declined.
RISK_BAND_CUMULATIVE_SHARES = (0.40, 0.70, 0.90)

EMPLOYMENT_TYPES = {"salaried": 0.60, "self_employed": 0.13, "contract": 0.14, "unemployed": 0.05, "retired": 0.08}
EMPLOYMENT_INCOME_FACTOR = {"salaried": 1.0, "self_employed": 1.1, "contract": 0.9, "unemployed": 0.35, "retired": 0.7}
EMPLOYMENT_RISK = {"salaried": 0.0, "self_employed": 0.35, "contract": 0.3, "unemployed": 1.1, "retired": 0.1}
HOUSING_RISK = {"own": -0.3, "mortgage": -0.15, "rent": 0.15, "living_with_family": 0.05}

# What people borrow for: how often, the typical amount, and how much riskier than the
# applicant's figures alone the purpose makes a loan. The purpose is never a column: a model
# can only read it from the applicant's own words.
LOAN_PURPOSES = {
    #                     share, typical amount, risk
    "debt_consolidation": (0.27, 14_000, 0.25),
    "home_improvement": (0.16, 20_000, -0.35),
    "car": (0.17, 16_000, -0.2),
    "education": (0.08, 11_000, 0.0),
    "medical": (0.07, 6_000, 0.4),
    "business": (0.08, 28_000, 0.55),
    "holiday_or_wedding": (0.09, 7_000, 0.3),
    "arrears": (0.08, 2_500, 1.1),
}
PURPOSE_TEMPLATES = {
    "debt_consolidation": (
        "consolidate my {count} credit cards into one payment",
        "Debt consolidation - {count} cards at {apr}% APR",
        "paying off store cards and my overdraft",
        "one lower monthly payment instead of {count} loans",
        "clear my credit card balances",
    ),
    "home_improvement": (
        "new kitchen for our house",
        "replace the roof before winter",
        "solar panels and a heat pump",
        "bathroom renovation",
        "Home improvements: {project}",
    ),
    "car": (
        "buy a used {car}",
        "replacing my car, the old one failed its inspection",
        "deposit on a new {car} for commuting",
        "car purchase",
    ),
    "education": (
        "tuition for my {degree} degree",
        "coding bootcamp fees",
        "professional certification course",
        "pay for my daughter's university fees",
    ),
    "medical": (
        "dental surgery not covered by insurance",
        "hospital bills after my {relative}'s operation",
        "medical bills",
        "physio and treatment costs after an accident",
    ),
    "business": (
        "start a {trade} business",
        "stock for my online shop",
        "expand my {trade} business - new equipment",
        "working capital until a big client pays",
    ),
    "holiday_or_wedding": (
        "our wedding in {month}",
        "family holiday to {place}",
        "honeymoon trip",
        "celebration for my {relative}'s birthday",
    ),
    "arrears": (
        "behind on rent, need to catch up before eviction",
        "cover bills until next paycheck",
        "pay back a payday loan",
        "urgent - {count} months of rent arrears",
        "council tax and energy bill arrears",
    ),
}
PURPOSE_SLOTS = {
    "count": ("2", "3", "4", "5"),
    "apr": ("19.9", "22", "24.9", "29.9", "34"),
    "project": ("new windows", "loft conversion", "extension", "new boiler"),
    "car": ("hatchback", "family car", "van", "electric car", "Toyota"),
    "degree": ("master's", "nursing", "MBA", "engineering"),
    "relative": ("mother", "father", "wife", "husband", "son", "partner"),
    "trade": ("bakery", "cleaning", "landscaping", "catering", "plumbing", "hair salon"),
    "month": ("June", "August", "September", "May"),
    "place": ("Spain", "Florida", "Thailand", "the coast"),
}
# One applicant in ten writes nothing a reader could use: the model must rely on the figures.
VAGUE_PURPOSES = ("personal", "other", "misc expenses", "family reasons", "n/a", "personal use")
VAGUE_PURPOSE_SHARE = 0.10
PURPOSE_AFTERTHOUGHTS = (" thanks", " - can repay early", ", pls", ". Stable job", "!!")


def _applicant_wording(text: str, rng: np.random.Generator) -> str:
    """Applicants type the purpose on a form: some in lower case, some with a slip of the
    finger, some with a remark that says nothing about the risk."""
    if rng.random() < 0.3:
        text = text.lower()
    if rng.random() < 0.08 and len(text) > 6:
        # Two neighbouring letters swapped, the commonest typing slip.
        at = int(rng.integers(1, len(text) - 2))
        text = text[:at] + text[at + 1] + text[at] + text[at + 2:]
    if rng.random() < 0.12:
        text += PURPOSE_AFTERTHOUGHTS[rng.integers(len(PURPOSE_AFTERTHOUGHTS))]
    return text


def _purpose_in_own_words(purpose: str, rng: np.random.Generator) -> str:
    if rng.random() < VAGUE_PURPOSE_SHARE:
        return VAGUE_PURPOSES[rng.integers(len(VAGUE_PURPOSES))]
    templates = PURPOSE_TEMPLATES[purpose]
    return _applicant_wording(_fill(templates[rng.integers(len(templates))], rng, PURPOSE_SLOTS), rng)


def _employment_by_age(age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    employment = _choose(rng, EMPLOYMENT_TYPES, len(age))
    retiring = (age >= 63) & (rng.random(len(age)) < 0.7)
    employment[retiring] = "retired"
    employment[(age < 55) & (employment == "retired")] = "salaried"
    return employment


def _housing_by_age(age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # Young applicants rent or live with family; home ownership grows with age.
    owns = rng.random(len(age)) < np.clip((age - 25) / 45, 0.02, 0.9)
    housing = np.where(owns, np.where(age > 55, "own", "mortgage"), "rent").astype(object)
    with_family = (age < 30) & (rng.random(len(age)) < 0.35)
    housing[with_family] = "living_with_family"
    return housing


def credit_applications(*, rows: int, seed: int) -> pa.Table:
    """Consumer loan applications with a risk band, for `finance.credit_scoring`.

    Columns:
    - `application_id`: APP-0000001, APP-0000002...
    - `age` (integer, 21-75); `employment_type` (salaried, self_employed, contract, unemployed,
      retired; retirement follows age); `employment_years` (0 when not working);
      `annual_income` (currency units, log-normal, scaled by employment and years in work);
      `home_ownership` (own, mortgage, rent, living_with_family; ownership grows with age).
    - Credit-bureau figures, all driven by one hidden "financial strain" so that they move
      together as they do in life: `debt_to_income` (existing monthly debt payments over
      monthly income), `credit_utilization` (revolving balance over limit; above 1 when over
      the limit), `delinquencies_2y` (payments 30+ days late in two years),
      `recent_inquiries` (credit searches in six months), `credit_history_years`.
    - `loan_amount`, `loan_term_months` (12-60; larger loans run longer).
    - `loan_purpose`: the applicant's own words ("consolidate my 3 credit cards...", "behind
      on rent..."), lower-cased or mistyped now and then, and vague ("personal") for 10%.

    Label: a risk score adds debt-to-income, utilisation, delinquencies, inquiries, loan size
    against income, short credit history and time in work, employment type, housing and age
    under 25, plus the risk of the purpose (found only in the text: arrears and new
    businesses are riskier, home improvement and cars safer) and logistic noise for all that
    an application does not show. The score is cut at its 40th, 70th and 90th percentiles into
    `risk_band` low / medium / high / very_high, so the bands hold about 40/30/20/10% of rows.
    The figures alone predict the band well but not perfectly; the text adds to them.
    """
    rng = np.random.default_rng(seed)
    age = np.clip(rng.normal(41, 12, rows).round(), 21, 75).astype(np.int64)
    employment = _employment_by_age(age, rng)
    working = np.isin(employment, ("salaried", "self_employed", "contract"))
    employment_years = np.where(working, np.minimum(age - 18, rng.gamma(2.0, 3.5, rows)), 0.0).round(1)
    annual_income = (
        rng.lognormal(np.log(46_000), 0.45, rows)
        * _per_row(EMPLOYMENT_INCOME_FACTOR, employment)
        * (1 + 0.015 * np.minimum(employment_years, 20))
    ).round(-2)
    home_ownership = _housing_by_age(age, rng)

    strain = rng.normal(0, 1, rows)
    debt_to_income = np.clip(rng.beta(2.2, 7, rows) + 0.06 * strain, 0.0, 0.9).round(3)
    credit_utilization = np.clip(rng.beta(2, 5, rows) + 0.13 * strain, 0.0, 1.2).round(3)
    delinquencies_2y = rng.poisson(0.25 * np.exp(0.8 * strain)).astype(np.int64)
    recent_inquiries = rng.poisson(np.exp(0.2 + 0.35 * strain)).astype(np.int64)
    credit_history_years = np.clip(age - 18 - rng.exponential(5, rows), 0, None).round(1)

    purpose = _choose(rng, {name: share for name, (share, _, _) in LOAN_PURPOSES.items()}, rows)
    typical_amount = np.array([LOAN_PURPOSES[p][1] for p in purpose])
    loan_amount = np.clip(rng.lognormal(np.log(typical_amount), 0.5), 500, 60_000).round(-1)
    term_index = np.clip(np.digitize(loan_amount, (3_000, 8_000, 15_000, 25_000)) + rng.integers(-1, 2, rows), 0, 4)
    loan_term_months = np.array((12, 24, 36, 48, 60), dtype=np.int64)[term_index]
    loan_purpose = [_purpose_in_own_words(p, rng) for p in purpose]

    risk_score = (
        3.0 * debt_to_income
        + 1.8 * credit_utilization
        + 0.55 * np.minimum(delinquencies_2y, 3)
        + 0.15 * np.minimum(recent_inquiries, 6)
        + 1.3 * np.log1p(loan_amount / np.maximum(annual_income, 1_000))
        - 0.03 * np.minimum(credit_history_years, 25)
        - 0.03 * np.minimum(employment_years, 15)
        + _per_row(EMPLOYMENT_RISK, employment)
        + _per_row(HOUSING_RISK, home_ownership)
        + 0.3 * (age < 25)
        + np.array([LOAN_PURPOSES[p][2] for p in purpose])
        + rng.logistic(0, 0.35, rows)
    )
    band_edges = np.quantile(risk_score, RISK_BAND_CUMULATIVE_SHARES)
    risk_band = np.array(RISK_BANDS, dtype=object)[np.searchsorted(band_edges, risk_score)]

    return pa.table({
        "application_id": _identifiers("APP", rows),
        "age": pa.array(age, pa.int64()),
        "employment_type": pa.array(employment, pa.string()),
        "employment_years": pa.array(employment_years, pa.float64()),
        "annual_income": pa.array(annual_income, pa.float64()),
        "home_ownership": pa.array(home_ownership, pa.string()),
        "debt_to_income": pa.array(debt_to_income, pa.float64()),
        "credit_utilization": pa.array(credit_utilization, pa.float64()),
        "delinquencies_2y": pa.array(delinquencies_2y, pa.int64()),
        "recent_inquiries": pa.array(recent_inquiries, pa.int64()),
        "credit_history_years": pa.array(credit_history_years, pa.float64()),
        "loan_amount": pa.array(loan_amount, pa.float64()),
        "loan_term_months": pa.array(loan_term_months, pa.int64()),
        "loan_purpose": pa.array(loan_purpose, pa.string()),
        "risk_band": pa.array(risk_band, pa.string()),
    })


# --------------------------------------------------------------------------------------------
# finance.fraud_detection

FRAUD_RATE = 0.02
# Never fewer frauds than the platform's minimum rows per class, even in a tiny sample.
MIN_FRAUD_ROWS = 5

MERCHANT_CATEGORIES = {
    "grocery": 0.26, "fuel": 0.12, "restaurant": 0.17, "online_retail": 0.18, "electronics": 0.04,
    "travel": 0.05, "cash_withdrawal": 0.09, "jewelry": 0.01, "gambling": 0.02, "utilities": 0.06,
}
CHANNELS = ("chip", "contactless", "online", "manual_entry")
# How a genuine customer pays at each kind of merchant: shares of chip, contactless, online
# and manually keyed payments.
CHANNEL_SHARES_BY_CATEGORY = {
    "grocery": (0.45, 0.50, 0.05, 0.0),
    "fuel": (0.60, 0.40, 0.0, 0.0),
    "restaurant": (0.45, 0.45, 0.10, 0.0),
    "online_retail": (0.0, 0.0, 0.97, 0.03),
    "electronics": (0.35, 0.15, 0.48, 0.02),
    "travel": (0.20, 0.05, 0.70, 0.05),
    "cash_withdrawal": (1.0, 0.0, 0.0, 0.0),
    "jewelry": (0.70, 0.20, 0.08, 0.02),
    "gambling": (0.10, 0.0, 0.90, 0.0),
    "utilities": (0.0, 0.0, 0.85, 0.15),
}
# Genuine spending is larger than the customer's usual basket at these merchants.
BIG_TICKET_FACTOR = {"electronics": 4.0, "travel": 5.0, "jewelry": 6.0, "cash_withdrawal": 2.0}


class FraudScheme(NamedTuple):
    share: float  # of all frauds
    categories: dict[str, float]  # where the fraudster spends
    channels: dict[str, float] | None  # how; None: as genuine customers pay at that merchant
    amount_ratio: tuple[float, float]  # median and log-spread of the amount over the customer's usual
    night_share: float  # at 0-6 in the morning
    distance_km: tuple[float, float]  # median and log-spread
    foreign_share: float
    transactions_24h: tuple[int, float]  # a floor plus a Poisson mean
    declines_24h: float  # a Poisson mean
    new_device_share: float


FRAUD_SCHEMES = {
    # A stolen card number used online for goods that resell.
    "card_not_present": FraudScheme(
        0.55, {"online_retail": 0.4, "electronics": 0.3, "travel": 0.15, "gambling": 0.15},
        {"online": 0.85, "manual_entry": 0.15}, (2.5, 0.9), 0.35, (150, 1.6), 0.2, (0, 3.5), 0.4, 0.5,
    ),
    # A cloned card or stolen credentials emptying the account in cash and valuables.
    "account_takeover": FraudScheme(
        0.25, {"cash_withdrawal": 0.5, "jewelry": 0.2, "electronics": 0.3},
        None, (6.0, 0.7), 0.6, (1500, 1.0), 0.5, (0, 5.0), 0.9, 0.4,
    ),
    # Many tiny online charges to learn whether a stolen number works.
    "card_testing": FraudScheme(
        0.20, {"online_retail": 0.5, "gambling": 0.2, "utilities": 0.3},
        {"online": 1.0}, (0.08, 0.6), 0.5, (500, 1.5), 0.4, (6, 8.0), 3.0, 0.5,
    ),
}


def _genuine_channels(categories: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.array([rng.choice(CHANNELS, p=CHANNEL_SHARES_BY_CATEGORY[c]) for c in categories], dtype=object)


def card_transactions(*, rows: int, seed: int) -> pa.Table:
    """Card transactions, about 2% of them fraudulent, for `finance.fraud_detection`.

    Columns:
    - `transaction_id`: TXN-0000001...
    - `amount` and `amount_vs_customer_median` (the amount over the customer's usual one):
      genuine payments scatter around the customer's habit, larger at electronics, travel and
      jewelry merchants.
    - `merchant_category` (grocery, fuel, restaurant, online_retail, electronics, travel,
      cash_withdrawal, jewelry, gambling, utilities) and `channel` (chip, contactless, online,
      manual_entry), which follows the category for genuine payments.
    - `hour_of_day` (0-23; genuine spending peaks at lunch and in the evening, 5% at night),
      `distance_from_home_km`, `is_foreign` (3% of genuine payments, travellers far from home),
      `transactions_last_24h`, `declined_last_24h` (one customer in ten has a busy day: many
      payments, a decline or two), `new_device` (a device the customer has not used before;
      8% of genuine online payments), `account_age_days`.

    Label: `fraud_status` is "fraud" for round(2% of rows) transactions (never fewer than 5),
    "legit" for the rest. A fraud follows one of three schemes (card not present, account
    takeover, card testing, see `FRAUD_SCHEMES`), each with its own signature; every signal
    also occurs in genuine payments (night-shift workers, travellers, new phones), so no single
    column decides, and a model must combine them. The imbalance is deliberate: it is why the
    task trains with class weights and is judged by PR AUC.
    """
    rng = np.random.default_rng(seed)
    category = _choose(rng, MERCHANT_CATEGORIES, rows)
    channel = _genuine_channels(category, rng)
    amount_ratio = rng.lognormal(0.0, 0.6, rows) * np.array([BIG_TICKET_FACTOR.get(c, 1.0) for c in category])
    daytime = np.where(rng.random(rows) < 0.72, rng.normal(13, 3.5, rows), rng.normal(19.5, 2, rows))
    night_owl = rng.random(rows) < 0.05
    hour = np.where(night_owl, rng.uniform(0, 6, rows), daytime)
    is_foreign = rng.random(rows) < np.where(category == "travel", 0.25, 0.02)
    distance_km = np.where(is_foreign, rng.lognormal(np.log(900), 0.8, rows), rng.lognormal(np.log(6), 1.0, rows))
    # One customer in ten is on a spending spree or a trip today: many payments, a decline or two.
    busy_day = rng.random(rows) < 0.1
    transactions_24h = rng.poisson(np.where(busy_day, 6.0, 2.2))
    declines_24h = rng.poisson(np.where(busy_day, 0.5, 0.08))
    new_device = rng.random(rows) < 0.08
    account_age_days = 30 + rng.exponential(1400, rows)

    n_fraud = min(max(round(rows * FRAUD_RATE), MIN_FRAUD_ROWS), rows)
    fraud_rows = rng.choice(rows, size=n_fraud, replace=False)
    scheme_of_fraud = _choose(rng, {name: scheme.share for name, scheme in FRAUD_SCHEMES.items()}, n_fraud)
    for name, scheme in FRAUD_SCHEMES.items():
        at = fraud_rows[scheme_of_fraud == name]
        count = len(at)
        category[at] = _choose(rng, scheme.categories, count)
        channel[at] = _choose(rng, scheme.channels, count) if scheme.channels else _genuine_channels(category[at], rng)
        amount_ratio[at] = rng.lognormal(np.log(scheme.amount_ratio[0]), scheme.amount_ratio[1], count)
        hour[at] = np.where(rng.random(count) < scheme.night_share, rng.normal(3, 2.5, count), hour[at])
        distance_km[at] = rng.lognormal(np.log(scheme.distance_km[0]), scheme.distance_km[1], count)
        is_foreign[at] = rng.random(count) < scheme.foreign_share
        transactions_24h[at] = scheme.transactions_24h[0] + rng.poisson(scheme.transactions_24h[1], count)
        declines_24h[at] = rng.poisson(scheme.declines_24h, count)
        new_device[at] = rng.random(count) < scheme.new_device_share
    # Device history only exists for payments made from a device.
    new_device &= np.isin(channel, ("online", "manual_entry"))
    legit, fraud = FRAUD_LABELS
    fraud_status = np.full(rows, legit, dtype=object)
    fraud_status[fraud_rows] = fraud

    customer_median = rng.lognormal(np.log(45), 0.7, rows)
    return pa.table({
        "transaction_id": _identifiers("TXN", rows),
        "amount": pa.array(np.maximum(customer_median * amount_ratio, 0.5).round(2), pa.float64()),
        "amount_vs_customer_median": pa.array(amount_ratio.round(3), pa.float64()),
        "merchant_category": pa.array(category, pa.string()),
        "channel": pa.array(channel, pa.string()),
        "hour_of_day": pa.array(np.floor(hour % 24).astype(np.int64), pa.int64()),
        "distance_from_home_km": pa.array(distance_km.round(1), pa.float64()),
        "is_foreign": pa.array(is_foreign, pa.bool_()),
        "transactions_last_24h": pa.array(transactions_24h.astype(np.int64), pa.int64()),
        "declined_last_24h": pa.array(declines_24h.astype(np.int64), pa.int64()),
        "new_device": pa.array(new_device, pa.bool_()),
        "account_age_days": pa.array(account_age_days.astype(np.int64), pa.int64()),
        "fraud_status": pa.array(fraud_status, pa.string()),
    })


# --------------------------------------------------------------------------------------------
# finance.news_sentiment

SENTIMENT_SHARES = dict(zip(SENTIMENTS, (0.2, 0.5, 0.3)))
# Annotators disagree on some headlines; this share of labels moves to a neighbouring class.
ANNOTATOR_DISAGREEMENT = 0.05

COMPANIES = (
    ("Northwind Holdings", "NWH"), ("Helios Renewables", "HLR"), ("Brightwater Bank", "BWB"),
    ("Kestrel Motors", "KSM"), ("Aurelia Pharma", "AUR"), ("Ironbridge Mining", "IRB"),
    ("Larkspur Retail", "LSR"), ("Quantis Software", "QNT"), ("Meridian Air", "MRA"),
    ("Copperfield Foods", "CPF"), ("Solent Telecom", "SLT"), ("Tamarind Insurance", "TMI"),
)
# What happened, by how the market would read it. Some sentences carry words of the other
# sentiment ("despite record revenue", "no longer plans to cut jobs") so that counting words
# is not enough.
SENTIMENT_EVENTS = {
    "positive": (
        "beats {quarter} profit forecasts",
        "raises full-year guidance",
        "wins {money} contract with {partner}",
        "shares jump {pct}% on strong {quarter} sales",
        "announces {money} share buyback",
        "gets regulatory approval for {product}",
        "upgraded to buy at {broker}",
        "reports record quarterly revenue",
        "lifts dividend by {pct}%",
        "loss narrower than expected as costs fall",
        "shares rise despite weak {quarter} sales",
        "no longer plans to cut jobs after order surge",
    ),
    "negative": (
        "misses {quarter} earnings estimates",
        "cuts outlook as demand weakens",
        "shares slide {pct}% after profit warning",
        "faces {regulator} probe over {issue}",
        "downgraded to sell at {broker}",
        "suspends dividend to preserve cash",
        "to cut {jobs} jobs in restructuring",
        "CEO resigns amid accounting review",
        "shares fall despite record revenue",
        "fails to win approval for {product}",
        "profit beat overshadowed by weak guidance",
        "recalls {product} over safety concerns",
    ),
    "neutral": (
        "to report {quarter} results on {weekday}",
        "appoints new chief financial officer",
        "completes previously announced acquisition of {partner}",
        "shares little changed ahead of central bank decision",
        "to hold annual shareholder meeting in {city}",
        "launches {product} in {city}",
        "moves headquarters to {city}",
        "revenue in line with estimates",
        "denies report of takeover talks",
        "files annual report",
        "says {quarter} outlook unchanged",
        "prices {money} bond offering",
    ),
}
HEADLINE_SLOTS = {
    "quarter": ("Q1", "Q2", "Q3", "Q4", "first-quarter", "third-quarter", "half-year"),
    "money": ("$120 million", "$2.1 billion", "EUR 450 million", "$75m", "GBP 1.3bn"),
    "partner": ("a government agency", "Fenwick Logistics", "the Navy", "a European utility", "Orion Health"),
    "pct": ("3", "4.5", "7", "12", "18"),
    "product": ("its new drug", "the X5 platform", "a budget airline route", "its flagship SUV", "a savings app"),
    "broker": ("Morgan & Pryce", "Halden Securities", "Vantage Capital"),
    "regulator": ("SEC", "FCA", "antitrust", "EU competition", "DOJ"),
    "issue": ("pricing", "data privacy", "accounting practices", "sales practices", "emissions"),
    "jobs": ("500", "1,200", "3,000", "250"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "city": ("Chicago", "Singapore", "Frankfurt", "Dublin", "Austin", "Dubai"),
}
HEADLINE_FORMATS = (
    "{company} {event}",
    "{company} ({ticker}) {event}",
    "{ticker}: {company} {event}",
    "UPDATE 1-{company} {event}",
    "{company} {event} - sources",
    "{company} {event}, report says",
)


# A share of positive and negative headlines pair two events of opposite sentiment with
# "but"; the market follows the second ("beats Q3 profit forecasts but cuts outlook"), so the
# order of the words decides, not which words occur.
CONTRAST_SHARE = 0.35
OPPOSITE_SENTIMENT = {"positive": "negative", "negative": "positive"}


def _event(label: str, rng: np.random.Generator) -> str:
    events = SENTIMENT_EVENTS[label]
    return _fill(events[rng.integers(len(events))], rng, HEADLINE_SLOTS)


def _title_case(headline: str) -> str:
    """Capitalise each word as some wires do, keeping tickers and acronyms in capitals."""
    return " ".join(word if word.isupper() else word[:1].upper() + word[1:] for word in headline.split(" "))


def _neighbouring_sentiment(label: str, rng: np.random.Generator) -> str:
    if label == "neutral":
        return ("negative", "positive")[rng.integers(2)]
    return "neutral"


def news_headlines(*, rows: int, seed: int) -> pa.Table:
    """Financial news headlines with their market sentiment, for `finance.news_sentiment`.

    Columns:
    - `headline_id`: NEWS-0000001...
    - `headline`: an invented company (and sometimes its ticker) and an event, in one of six
      wire-service formats ("UPDATE 1-...", "... - sources"); one in five is in Title Case.

    Label: `sentiment` (negative, neutral, positive; about 20/50/30%) is how the market reads
    the event: results against forecasts, guidance, contracts, buybacks and upgrades are
    positive; misses, warnings, probes, cuts and recalls negative; dates, appointments,
    filings and in-line results neutral. A quarter of the events carry words of another
    sentiment ("shares fall despite record revenue", "denies report of takeover talks"); a
    third of the positive and negative headlines join an event of the opposite sentiment with
    "but", and the second event, which the market follows, decides. 5% of labels are moved to
    a neighbouring class, as annotators disagree. A bag of words gets most headlines right;
    the contrasts need word order.
    """
    rng = np.random.default_rng(seed)
    intended = _choose(rng, SENTIMENT_SHARES, rows)
    headlines, sentiments = [], []
    for label in intended:
        company, ticker = COMPANIES[rng.integers(len(COMPANIES))]
        event = _event(label, rng)
        if label in OPPOSITE_SENTIMENT and rng.random() < CONTRAST_SHARE:
            event = f"{_event(OPPOSITE_SENTIMENT[label], rng)} but {event}"
        headline = HEADLINE_FORMATS[rng.integers(len(HEADLINE_FORMATS))].format(company=company, ticker=ticker, event=event)
        if rng.random() < 0.2:
            headline = _title_case(headline)
        headlines.append(headline)
        sentiments.append(_neighbouring_sentiment(label, rng) if rng.random() < ANNOTATOR_DISAGREEMENT else label)
    return pa.table({
        "headline_id": _identifiers("NEWS", rows),
        "headline": pa.array(headlines, pa.string()),
        "sentiment": pa.array(sentiments, pa.string()),
    })
