"""A web shop's interaction log, for `retail.product_recommendation`."""
import numpy as np
import pyarrow as pa

DEPARTMENTS = ("grocery", "electronics", "fashion", "beauty", "home", "sports", "toys", "books")
# Share of the catalogue in each department: groceries and clothes are most of a range.
DEPARTMENT_SIZES = (0.22, 0.10, 0.20, 0.10, 0.14, 0.09, 0.07, 0.08)

AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55+")
AGE_SHARES = (0.16, 0.27, 0.24, 0.18, 0.15)
# How much each age band leans towards each department (log-odds, DEPARTMENTS order). It is
# stronger than a shopper's own quirks (SHOPPER_QUIRKS), yet within a department the long tail
# of popularity leaves the exact item open: the profile helps without settling the choice.
AGE_TASTES = np.array([
    # groc  elec  fash  beau  home  sport toys  books
    [-0.8, 1.8, 2.0, 1.2, -1.6, 1.0, -1.2, 0.0],   # 18-24
    [0.4, 1.2, 1.2, 0.6, 0.4, 0.8, 0.6, -0.4],    # 25-34: new homes, young children
    [1.0, 0.4, 0.2, 0.0, 1.2, 0.2, 1.8, -0.2],    # 35-44: family shopping
    [1.2, 0.0, -0.4, 0.2, 1.4, -0.2, 0.0, 0.6],   # 45-54
    [1.6, -1.0, -1.0, 0.0, 1.0, -1.2, 0.4, 1.8],  # 55+: grandchildren's toys, books
])

REGIONS = ("north", "south", "east", "west", "capital")
REGION_SHARES = (0.22, 0.24, 0.16, 0.18, 0.20)
# Regional leanings are mild: city dwellers buy more gadgets and clothes, the north more sport.
REGION_TASTES = {"capital": {"electronics": 0.3, "fashion": 0.3, "grocery": -0.3}, "north": {"sports": 0.4}}

TIERS = ("none", "silver", "gold")
PRICE_BANDS = ("budget", "mid", "premium")
PRICE_BAND_SHARES = (0.45, 0.35, 0.20)
# Loyal customers spend more: log-odds of each price band by loyalty tier.
TIER_SPENDING = {"none": (1.0, 0.0, -1.2), "silver": (0.0, 0.4, -0.2), "gold": (-1.0, 0.2, 1.2)}

SHOPPER_QUIRKS = 0.7  # spread of a shopper's own department tastes around their age band's
MIN_INTERACTIONS = 3
MEAN_INTERACTIONS = 8
# Share of interactions that go back to something the shopper chose before (reorders, re-views).
RETURN_VISITS = 0.2


def shop_interactions(*, rows: int, seed: int) -> pa.Table:
    """Synthetic interactions (views, basket adds, purchases) between shoppers and items.

    Columns (one row per interaction, grouped by shopper):
      user_id        text, "U00001"...: the shopper; each has at least three interactions
                     (when rows allow) and about eight on average, with a long tail of heavy
                     users.
      age_band       text: 18-24, 25-34, 35-44, 45-54, 55+.
      region         text: north, south, east, west, capital.
      loyalty_tier   text: none, silver, gold; more likely the longer the account is open.
      device         text: app or web; younger shoppers use the app more.
      tenure_months  int64: months since the account was opened.
      item_id        text, e.g. "ELEC-0012": the item interacted with (the target). The
                     catalogue has rows/25 items (40 to 400) across eight departments.

    How the target depends on the features: each shopper's taste for a department is the
    age band's leaning plus mild regional ones plus the shopper's own quirks (normal, sd
    0.7); loyalty tier shifts the price band they buy in; within a
    department, popularity falls off as 1/rank (a long tail). A fifth of interactions revisit
    an earlier item. So the profile predicts the department well and the exact item weakly:
    a profile-aware ranking beats global best-sellers, and no ranking is near perfect.
    """
    rng = np.random.default_rng(seed)
    catalogue = _catalogue(max(40, min(400, rows // 25)), rng)
    counts = _interactions_per_shopper(rows, rng)
    shoppers = _shoppers(len(counts), rng)

    chosen_items = [_choose_items(shopper, int(count), catalogue, rng) for shopper, count in zip(shoppers, counts)]
    user_ids = [f"U{i + 1:05d}" for i in range(len(counts))]
    columns = {"user_id": pa.array(np.repeat(user_ids, counts), pa.string())}
    for name in ("age_band", "region", "loyalty_tier", "device"):
        columns[name] = pa.array(np.repeat([s[name] for s in shoppers], counts), pa.string())
    columns["tenure_months"] = pa.array(np.repeat([s["tenure_months"] for s in shoppers], counts), pa.int64())
    columns["item_id"] = pa.array(np.concatenate(chosen_items), pa.string())
    return pa.table(columns)


def _catalogue(size: int, rng: np.random.Generator) -> dict:
    """Items with a department, a price band and a popularity that falls off as 1/rank."""
    departments = rng.choice(len(DEPARTMENTS), size=size, p=DEPARTMENT_SIZES)
    price_bands = rng.choice(len(PRICE_BANDS), size=size, p=PRICE_BAND_SHARES)
    popularity = np.empty(size)
    ids = np.empty(size, dtype=object)
    for department in range(len(DEPARTMENTS)):
        members = np.flatnonzero(departments == department)
        popularity[members] = 1.0 / (1.0 + rng.permutation(len(members)))
        code = DEPARTMENTS[department][:4].upper()
        ids[members] = [f"{code}-{n + 1:04d}" for n in range(len(members))]
    return {"ids": ids, "departments": departments, "price_bands": price_bands, "log_popularity": np.log(popularity)}


def _interactions_per_shopper(rows: int, rng: np.random.Generator) -> np.ndarray:
    """Counts that add up to `rows`: a floor for everyone, the rest by a skewed activity."""
    shoppers = max(1, rows // MEAN_INTERACTIONS)
    floor = min(MIN_INTERACTIONS, rows // shoppers)
    activity = rng.gamma(1.2, size=shoppers)
    return floor + rng.multinomial(rows - floor * shoppers, activity / activity.sum())


def _shoppers(count: int, rng: np.random.Generator) -> list[dict]:
    shoppers = []
    for _ in range(count):
        age = int(rng.choice(len(AGE_BANDS), p=AGE_SHARES))
        region = REGIONS[rng.choice(len(REGIONS), p=REGION_SHARES)]
        tenure = int(rng.gamma(2.0, 14.0)) + 1
        # Tiers are earned over time: the odds of silver and gold grow with tenure.
        loyalty = np.log1p(tenure / 12) + rng.normal(0, 0.6)
        tier = TIERS[int(np.searchsorted((1.0, 1.7), loyalty))]
        app_share = 0.8 - 0.12 * age
        tastes = AGE_TASTES[age] + rng.normal(0, SHOPPER_QUIRKS, len(DEPARTMENTS))
        for department, lean in REGION_TASTES.get(region, {}).items():
            tastes[DEPARTMENTS.index(department)] += lean
        shoppers.append({
            "age_band": AGE_BANDS[age],
            "region": region,
            "loyalty_tier": tier,
            "device": "app" if rng.random() < app_share else "web",
            "tenure_months": tenure,
            "department_tastes": tastes,
        })
    return shoppers


def _choose_items(shopper: dict, count: int, catalogue: dict, rng: np.random.Generator) -> np.ndarray:
    spending = np.array(TIER_SPENDING[shopper["loyalty_tier"]])
    appeal = (
        shopper["department_tastes"][catalogue["departments"]]
        + spending[catalogue["price_bands"]]
        + catalogue["log_popularity"]
    )
    weights = np.exp(appeal - appeal.max())
    picks = rng.choice(len(weights), size=count, p=weights / weights.sum())
    for n in range(1, count):
        if rng.random() < RETURN_VISITS:
            picks[n] = picks[rng.integers(n)]
    return catalogue["ids"][picks]
