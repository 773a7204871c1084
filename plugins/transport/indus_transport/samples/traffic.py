"""Hourly readings from road loop detectors, for `transport.traffic_flow`."""
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from indus_transport.samples._day_profile import bump
from indus_transport.samples._tables import stacked

LAST_HOUR = np.datetime64("2024-03-31T23", "h")
HOURS_PER_SENSOR = 504  # three weeks: enough for daily and weekly patterns and 12-hour windows


@dataclass(frozen=True)
class RoadType:
    lanes: tuple[int, ...]
    capacity_per_lane: float  # vehicles an hour at which queues start
    free_speed: float  # km/h on an empty road


ROAD_TYPES = {
    "motorway": RoadType(lanes=(2, 3, 4), capacity_per_lane=2000, free_speed=110),
    "arterial": RoadType(lanes=(1, 2), capacity_per_lane=850, free_speed=50),
}
MOTORWAY_SHARE = 0.55

# Each detector counts one direction. Commuters drive in in the morning and out in the evening.
PEAK_SIZES = {"inbound": (0.75, 0.45), "outbound": (0.45, 0.75)}  # morning, evening; share of capacity

RAIN_STARTS_PER_HOUR, RAIN_HOURS = 0.02, (2, 9)
RAIN_CAPACITY, RAIN_SPEED = 0.90, 0.88  # wet roads: longer headways, slower driving
INCIDENTS_PER_HOUR, INCIDENT_HOURS = 1 / 96, (1, 5)  # about one every four days, 1-4 hours long
INCIDENT_CAPACITY_LOSS = (0.35, 0.65)
CAPACITY_DROP = 0.92  # a queue discharges below the road's nominal capacity
VEHICLE_LENGTH_KM = 0.0065  # effective length seen by a detector: vehicle plus loop

SCHEMA = pa.schema([
    ("sensor_id", pa.string()),
    ("road_type", pa.string()),
    ("direction", pa.string()),
    ("lanes", pa.int64()),
    ("timestamp", pa.timestamp("ms")),
    ("speed_kmh", pa.float64()),
    ("occupancy", pa.float64()),
    ("raining", pa.bool_()),
    ("incident", pa.bool_()),
    ("flow", pa.int64()),
])


def sensor_readings(*, rows: int, seed: int) -> pa.Table:
    """Synthetic hourly detector readings, one row per sensor per hour (long format).

    Columns:
      sensor_id   text, "D101"...: the detector (about rows / 504 of them, 1 to 40).
      road_type   text: motorway (2-4 lanes, 2000 veh/h a lane, 110 km/h) or arterial
                  (1-2 lanes, 850 veh/h a lane, 50 km/h).
      direction   text: inbound or outbound.
      lanes       int64: lanes in the measured direction.
      timestamp   timestamp[ms], hourly, local time; every sensor's last reading is
                  2024-03-31 23:00.
      speed_kmh   float64: mean speed in the hour.
      occupancy   float64, 0-1: share of the hour a vehicle stood over the loop.
      raining     bool: city-wide rain spells (about 2-8 hours, a few a week).
      incident    bool: an incident near the sensor (about one every four days, 1-4 hours).
      flow        int64: vehicles counted in the hour; the target.

    How the target depends on the features: demand, as a share of the road's capacity,
    follows the clock: quiet nights (~6%), on weekdays a morning peak at 8:00 and an evening
    peak at 17:30 (the larger one towards the centre in the morning, away from it in the
    evening; Friday's evening peak comes earlier), a midday plateau, and on weekends one
    broad midday hump (Sunday quieter). Demand varies from day to day and drifts hour to
    hour (AR(1)). Rain cuts capacity by 10% and speed by 12%; an incident cuts capacity by
    35-65%. Where demand exceeds capacity a queue forms: flow is held just below capacity,
    speed collapses and occupancy climbs, so peak flow is capped on busy inbound motorways.
    Speed follows a BPR-style curve below capacity; occupancy is flow per lane over speed
    times an effective vehicle length. A forecast from the same hour last week beats the
    sensor's mean.
    """
    rng = np.random.default_rng(seed)
    sensor_count = int(np.clip(round(rows / HOURS_PER_SENSOR), 1, 40))
    lengths = np.full(sensor_count, rows // sensor_count)
    lengths[: rows % sensor_count] += 1
    hours = LAST_HOUR - np.arange(lengths.max())[::-1]
    raining = _rain(len(hours), rng)
    citywide_day = np.exp(rng.normal(0, 0.04, len(hours) // 24 + 2))  # school holidays, events

    readings = [
        _sensor(f"D{101 + n}", hours[-length:], raining[-length:], citywide_day, rng)
        for n, length in enumerate(lengths)
    ]
    return stacked(readings, SCHEMA)


def _sensor(sensor_id: str, hours: np.ndarray, raining: np.ndarray, citywide_day: np.ndarray, rng) -> dict:
    road_type = "motorway" if rng.random() < MOTORWAY_SHARE else "arterial"
    road = ROAD_TYPES[road_type]
    direction = "inbound" if rng.random() < 0.5 else "outbound"
    lanes = int(rng.choice(road.lanes))
    nominal_capacity = lanes * road.capacity_per_lane

    day_number = hours.astype("datetime64[D]").view("int64")
    day_index = day_number - day_number[0]
    weekday = (day_number + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    hour_of_day = (hours.view("int64") % 24).astype(float)
    own_day = np.exp(rng.normal(0, 0.05, day_index.max() + 1))
    demand = (
        _demand_share(hour_of_day, weekday, direction)
        * nominal_capacity
        * own_day[day_index]
        * citywide_day[day_index]
        * np.exp(_drift(len(hours), rng))
    )

    incident, capacity_loss = _incidents(len(hours), rng)
    capacity = nominal_capacity * (1 - capacity_loss) * np.where(raining, RAIN_CAPACITY, 1.0)
    free_speed = road.free_speed * np.where(raining, RAIN_SPEED, 1.0)
    load = demand / capacity
    queued = load > 1
    flow = np.where(queued, CAPACITY_DROP * capacity, demand)
    speed = np.where(
        queued,
        free_speed * 0.55 / load**1.5,  # the longer the queue, the slower it crawls
        free_speed / (1 + 0.3 * load**4),
    )
    counted = np.maximum(0, np.round(flow + rng.normal(0, 1.2 * np.sqrt(flow))))
    speed = np.clip(speed + rng.normal(0, 2.5, len(hours)), 5, None)
    occupancy = np.clip(counted / lanes / speed * VEHICLE_LENGTH_KM + rng.normal(0, 0.004, len(hours)), 0, 0.95)

    size = len(hours)
    return {
        "sensor_id": np.full(size, sensor_id),
        "road_type": np.full(size, road_type),
        "direction": np.full(size, direction),
        "lanes": np.full(size, lanes),
        "timestamp": hours.astype("datetime64[ms]"),
        "speed_kmh": np.round(speed, 1),
        "occupancy": np.round(occupancy, 3),
        "raining": raining,
        "incident": incident,
        "flow": counted.astype(np.int64),
    }


def _demand_share(hour: np.ndarray, weekday: np.ndarray, direction: str) -> np.ndarray:
    """Demand as a share of capacity, by hour of day and day of week."""
    morning, evening = PEAK_SIZES[direction]
    friday = weekday == 4
    evening_centre = np.where(friday, 16.5, 17.5)
    workday = (
        0.06
        + 0.30 * bump(hour, 13, 3.5)
        + morning * bump(hour, 8, 1.1)
        + evening * np.where(friday, 1.08, 1.0) * bump(hour, evening_centre, 1.4)
    )
    weekend = 0.06 + np.where(weekday == 5, 0.50, 0.42) * bump(hour, 14, 3.5)
    return np.where(weekday >= 5, weekend, workday)


def _drift(length: int, rng: np.random.Generator) -> np.ndarray:
    """Hour-to-hour wander of demand around the daily pattern: AR(1) in log terms."""
    drift = np.zeros(length)
    shocks = rng.normal(0, 0.05, length)
    for t in range(1, length):
        drift[t] = 0.6 * drift[t - 1] + shocks[t]
    return drift


def _runs(length: int, starts_per_hour: float, hours: tuple[int, int], rng: np.random.Generator) -> list[slice]:
    """Stretches of hours that start at random and last `hours[0]` to `hours[1] - 1` hours."""
    starts = np.flatnonzero(rng.random(length) < starts_per_hour)
    return [slice(start, start + rng.integers(*hours)) for start in starts]


def _rain(length: int, rng: np.random.Generator) -> np.ndarray:
    raining = np.zeros(length, dtype=bool)
    for spell in _runs(length, RAIN_STARTS_PER_HOUR, RAIN_HOURS, rng):
        raining[spell] = True
    return raining


def _incidents(length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Incident hours, and the share of capacity the worst incident at the time takes away."""
    capacity_loss = np.zeros(length)
    for incident in _runs(length, INCIDENTS_PER_HOUR, INCIDENT_HOURS, rng):
        capacity_loss[incident] = np.maximum(capacity_loss[incident], rng.uniform(*INCIDENT_CAPACITY_LOSS))
    return capacity_loss > 0, capacity_loss
