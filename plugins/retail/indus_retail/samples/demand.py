"""Daily unit sales per store and product family, for `retail.demand_forecasting`."""
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

LAST_DAY = np.datetime64("2024-12-31")
DAYS_PER_SERIES = 480  # about sixteen months: two Christmases and a full year of seasons


@dataclass(frozen=True)
class Family:
    weekly: tuple[float, ...]  # demand by weekday, Monday first, relative to the week's mean
    units_per_day: float  # a typical store's sales on an ordinary day
    price: float
    elasticity: float  # how strongly demand answers a price cut
    yearly_swing: float  # amplitude of the seasonal cycle, as a share of demand
    peak_day: int  # day of the year when the seasonal cycle peaks


FAMILIES = {
    # Weekend shopping dominates fresh food and drink; Sunday trading hours are short.
    "grocery": Family((0.80, 0.78, 0.82, 0.92, 1.20, 1.55, 0.93), 60, 2.49, 1.2, 0.05, 350),
    "beverages": Family((0.72, 0.70, 0.78, 0.92, 1.30, 1.65, 0.93), 45, 1.79, 1.8, 0.25, 200),
    "dairy": Family((0.90, 0.88, 0.90, 0.98, 1.10, 1.30, 0.94), 50, 1.19, 0.9, 0.04, 30),
    "household": Family((0.92, 0.88, 0.90, 0.95, 1.05, 1.35, 0.95), 20, 4.49, 1.6, 0.06, 90),
    "personal_care": Family((0.95, 0.92, 0.95, 0.98, 1.05, 1.25, 0.90), 15, 4.99, 1.4, 0.05, 160),
    "snacks": Family((0.72, 0.70, 0.78, 0.92, 1.35, 1.60, 0.93), 35, 1.49, 2.0, 0.12, 355),
}
STORE_SIZES = {"S01": 1.4, "S02": 1.0, "S03": 0.8, "S04": 1.2, "S05": 0.6, "S06": 0.9}

# Fixed-date public holidays (month, day). Shops open short hours on the day and are busy
# the day before, when people stock up.
HOLIDAYS = ((1, 1), (5, 1), (10, 3), (12, 25), (12, 26))
HOLIDAY_EFFECT = 0.45
EVE_EFFECT = 1.4

PROMOTION_STARTS_PER_DAY = 0.03
PROMOTION_DAYS = (3, 8)  # a run lasts 3 to 7 days
PROMOTION_DISCOUNT = (0.15, 0.30)
DISPLAY_LIFT = 1.15  # end-of-aisle placement lifts sales beyond what the price cut explains
PANTRY_DIP, PANTRY_DAYS = 0.85, 3  # shoppers who stocked up buy less right after a promotion
DISPERSION = 100.0  # gamma-Poisson shape: family-level counts are somewhat noisier than Poisson


def store_sales(*, rows: int, seed: int) -> pa.Table:
    """Synthetic daily sales, one row per store-product series per day (long format).

    Columns:
      series_id       text, "S02-dairy": the series, a store and a product family.
      store_id        text: six stores of different sizes.
      product_family  text: grocery, beverages, dairy, household, personal_care, snacks.
      date            timestamp[ms], one per day; every series ends on 2024-12-31, and series
                      start on different days, as products are listed at different times.
      on_promotion    bool: the product is on promotion (about 13% of days, in runs of 3-7).
      is_holiday      bool: a public holiday (five fixed dates a year).
      price           float64: the shelf price, drifting up ~3% a year, 15-30% lower on
                      promotion.
      units_sold      int64: the target.

    How the target depends on the features: the expected demand is the series' level (family
    x store size x the product's own scale) times the family's weekly profile (Saturdays
    25-65% above the week's mean, Fridays above it, Mondays to Wednesdays below), a yearly cycle (beverages peak in
    summer, snacks at Christmas), a per-series trend, the price response
    (price / regular price) ** -elasticity and a display lift while on promotion, a dip for
    three days after a promotion, 0.45x on holidays and 1.4x the day before one, and a slowly
    wandering AR(1) factor. Units are drawn gamma-Poisson around it. A seasonal-naive forecast
    (the same weekday, averaged over the last four weeks) beats the series mean; promotions
    and holidays explain much of what it misses. There are about `rows / 480` series (1 to
    36), so that each is long enough for windows of several weeks.
    """
    rng = np.random.default_rng(seed)
    combinations = [(store, family) for store in STORE_SIZES for family in FAMILIES]
    series_count = int(np.clip(round(rows / DAYS_PER_SERIES), 1, len(combinations)))
    lengths = np.full(series_count, rows // series_count)
    lengths[: rows % series_count] += 1
    order = rng.permutation(len(combinations))

    parts = [_series(*combinations[i], int(length), rng) for i, length in zip(order, lengths)]
    return pa.table({
        name: pa.array(np.concatenate([part[name] for part in parts]), arrow_type)
        for name, arrow_type in (
            ("series_id", pa.string()),
            ("store_id", pa.string()),
            ("product_family", pa.string()),
            ("date", pa.timestamp("ms")),
            ("on_promotion", pa.bool_()),
            ("is_holiday", pa.bool_()),
            ("price", pa.float64()),
            ("units_sold", pa.int64()),
        )
    })


def _series(store: str, family_name: str, length: int, rng: np.random.Generator) -> dict:
    family = FAMILIES[family_name]
    days = LAST_DAY - np.arange(length)[::-1]
    weekday = (days.astype("datetime64[D]").view("int64") + 3) % 7  # 1970-01-01 was a Thursday
    day_of_year = (days - days.astype("datetime64[Y]")).astype(int) + 1
    holiday = _holidays(days)
    eve = np.append(holiday[1:], False) & ~holiday

    promoted, discount = _promotions(length, rng)
    regular_price = family.price * np.exp(rng.normal(0, 0.15)) * (1.03 ** (np.arange(length) / 365))
    price = np.round(regular_price * (1 - discount), 2)
    after_promotion = _days_after(promoted, PANTRY_DAYS)

    level = family.units_per_day * STORE_SIZES[store] * np.exp(rng.normal(0, 0.3))
    season = 1 + family.yearly_swing * np.cos(2 * np.pi * (day_of_year - family.peak_day) / 365.25)
    trend = np.exp(rng.normal(0.03, 0.10) * np.arange(length) / 365)
    expected = (
        level
        * np.array(family.weekly)[weekday]
        * season
        * trend
        * (price / regular_price) ** -family.elasticity
        * np.where(promoted, DISPLAY_LIFT, 1.0)
        * np.where(after_promotion, PANTRY_DIP, 1.0)
        * np.where(holiday, HOLIDAY_EFFECT, 1.0)
        * np.where(eve, EVE_EFFECT, 1.0)
        * np.exp(_wander(length, rng))
    )
    units = rng.poisson(rng.gamma(DISPERSION, expected / DISPERSION))
    return {
        "series_id": np.full(length, f"{store}-{family_name}"),
        "store_id": np.full(length, store),
        "product_family": np.full(length, family_name),
        "date": days.astype("datetime64[ms]"),
        "on_promotion": promoted,
        "is_holiday": holiday,
        "price": price,
        "units_sold": units,
    }


def _holidays(days: np.ndarray) -> np.ndarray:
    month_day = [(d.month, d.day) for d in days.astype(object)]
    return np.array([md in HOLIDAYS for md in month_day])


def _promotions(length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Promotion runs at random starts, each with its own discount depth."""
    promoted = np.zeros(length, dtype=bool)
    discount = np.zeros(length)
    for start in np.flatnonzero(rng.random(length) < PROMOTION_STARTS_PER_DAY):
        end = start + rng.integers(*PROMOTION_DAYS)
        promoted[start:end] = True
        discount[start:end] = rng.uniform(*PROMOTION_DISCOUNT)
    return promoted, discount


def _days_after(flags: np.ndarray, window: int) -> np.ndarray:
    """True on the `window` days that follow the end of each run of True in `flags`."""
    ends = np.flatnonzero(flags[:-1] & ~flags[1:]) + 1
    after = np.zeros_like(flags)
    for end in ends:
        after[end:end + window] = True
    return after & ~flags


def _wander(length: int, rng: np.random.Generator, persistence: float = 0.7, step: float = 0.06) -> np.ndarray:
    """An AR(1) path: demand drifts from the pattern for days at a time (weather, local events)."""
    shocks = rng.normal(0, step, length)
    path = np.empty(length)
    path[0] = shocks[0]
    for t in range(1, length):
        path[t] = persistence * path[t - 1] + shocks[t]
    return path
