"""Bus and tram arrivals at stops, from vehicle-location records, for `transport.arrival_delay`."""
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from indus_transport.samples._day_profile import bump
from indus_transport.samples._tables import stacked


@dataclass(frozen=True)
class Line:
    route_id: str
    vehicle_type: str
    stops: int
    spacing_km: float  # mean distance between stops
    exposure: float  # how much road congestion reaches it: trams on their own track, little


LINES = (
    Line("1", "bus", 28, 0.45, 1.0),
    Line("4", "bus", 22, 0.60, 0.8),
    Line("12", "bus", 35, 0.50, 1.2),  # crosses the centre on the busiest streets
    Line("19", "bus", 18, 0.90, 0.6),  # suburban
    Line("27", "bus", 30, 0.55, 1.0),
    Line("33", "bus", 24, 0.70, 0.9),
    Line("X3", "bus", 12, 1.80, 0.7),  # express: few stops, long gaps
    Line("T1", "tram", 24, 0.50, 0.3),
    Line("T2", "tram", 20, 0.60, 0.35),
    Line("T4", "tram", 26, 0.45, 0.4),
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_SHARES = (0.16, 0.16, 0.16, 0.16, 0.16, 0.12, 0.08)  # fewer trips run at weekends
# Trips per hour of the day (service 05:00-23:59): the timetable is densest at the peaks.
TRIPS_BY_HOUR = np.array([0, 0, 0, 0, 0, 2, 4, 8, 9, 6, 5, 5, 5, 5, 5, 6, 8, 9, 7, 5, 4, 3, 3, 2], float)
WEATHER_SHARES = {"clear": 0.65, "rain": 0.24, "fog": 0.06, "snow": 0.05}
WEATHER_MIN_PER_KM = {"clear": 0.0, "rain": 0.35, "fog": 0.25, "snow": 1.2}
SCHEDULED_KMH = {"bus": 18.0, "tram": 20.0}  # timetabled speeds, stops included
SLACK_MIN_PER_KM = 0.5  # recovery time the timetable builds in
CONGESTION_MIN_PER_KM = 0.6  # minutes lost per km at congestion 1 on a fully exposed line
DISRUPTION_CHANCE, DISRUPTION_MEAN_MIN = 0.008, 5.0  # a blocked road, a ramp that will not fold
# A late bus meets more waiting passengers at every stop and falls further behind (bunching);
# a tram's wide doors absorb them. An early vehicle waits at timing points to get back on time.
LATE_GROWTH = {"bus": 1.02, "tram": 0.97}
EARLY_HOLDING = 0.4

SCHEMA = pa.schema([
    ("stop_event_id", pa.string()),
    ("route_id", pa.string()),
    ("vehicle_type", pa.string()),
    ("stop_sequence", pa.int64()),
    ("scheduled_hour", pa.int64()),
    ("weekday", pa.string()),
    ("weather", pa.string()),
    ("distance_km", pa.float64()),
    ("upstream_delay_min", pa.float64()),
    ("delay_min", pa.float64()),
])


def stop_arrivals(*, rows: int, seed: int) -> pa.Table:
    """Synthetic stop arrivals, one row per vehicle per stop, trips in order.

    Columns:
      stop_event_id       text, "12-00031-07": line, trip and stop sequence.
      route_id            text: ten lines (seven bus, three tram).
      vehicle_type        text: bus or tram.
      stop_sequence       int64: the stop's position on the trip, from 1.
      scheduled_hour      int64, 0-23: the hour of the timetabled arrival (trips start 05-23h,
                          most at the peaks).
      weekday             text: mon ... sun (fewer trips at weekends).
      weather             text: clear 65%, rain 24%, fog 6%, snow 5%, one for each trip.
      distance_km         float64: from the previous stop (lognormal around the line's spacing).
      upstream_delay_min  float64: the delay at the previous stop (for the first stop, at
                          departure from the terminus); negative is early.
      delay_min           float64: the delay at this stop, the target.

    How the target depends on the features: the delay carried in grows by 2% on a late bus
    (bunching), shrinks by 3% on a late tram, and shrinks to 40% when early (drivers hold).
    On top, each segment adds distance x (congestion x the line's exposure x the city-centre
    factor x 0.6 min/km + the weather's minutes per km: rain 0.35, fog 0.25, snow 1.2) minus
    0.5 min/km of timetable slack, extra dwell time at busy
    hours, normal noise (sd 0.35 min) and, rarely (0.8% of segments), a disruption of several
    minutes. Congestion follows the clock (weekday peaks at 8:00 and 17:15, a midday hump,
    lighter weekends) and the city centre (the middle of each line). So the upstream delay
    explains most of the variance, and the rest needs the interactions of hour, weekday,
    position, line and weather: a model beats both the mean and carrying the delay over.
    """
    rng = np.random.default_rng(seed)
    trips: list[dict] = []
    logged = 0
    while logged < rows:
        trips.append(_trip(len(trips) + 1, rng))
        logged += len(trips[-1]["stop_event_id"])
    return stacked(trips, SCHEMA, rows=rows)  # the last trip is cut off where the log ends


def _congestion(hour: np.ndarray, weekend: bool) -> np.ndarray:
    """Road congestion by (fractional) hour of day, 0.3 at night to about 1.4 at the peaks."""
    if weekend:
        return 0.3 + 0.45 * bump(hour, 14, 3.5)
    return 0.3 + 1.0 * bump(hour, 8, 1.2) + 1.1 * bump(hour, 17.25, 1.5) + 0.4 * bump(hour, 13, 3)


def _trip(number: int, rng: np.random.Generator) -> dict:
    line = LINES[rng.integers(len(LINES))]
    weekday = int(rng.choice(7, p=WEEKDAY_SHARES))
    weather = str(rng.choice(list(WEATHER_SHARES), p=list(WEATHER_SHARES.values())))
    start = rng.choice(24, p=TRIPS_BY_HOUR / TRIPS_BY_HOUR.sum()) + rng.random()
    stops = line.stops

    distance = line.spacing_km * rng.lognormal(0, 0.35, stops)
    hour = (start + np.cumsum(distance) / SCHEDULED_KMH[line.vehicle_type]) % 24
    position = np.arange(1, stops + 1) / stops
    city_centre = 0.5 + np.exp(-(((position - 0.5) / 0.22) ** 2))
    busy = _congestion(hour, weekend=weekday >= 5)
    added = (
        distance * (busy * line.exposure * city_centre * CONGESTION_MIN_PER_KM + WEATHER_MIN_PER_KM[weather] - SLACK_MIN_PER_KM)
        + rng.gamma(1.5, 0.08 * busy)  # boarding at busy hours
        + rng.normal(0, 0.35, stops)
        + np.where(rng.random(stops) < DISRUPTION_CHANCE, rng.exponential(DISRUPTION_MEAN_MIN, stops), 0.0)
    )

    delay = np.empty(stops + 1)
    delay[0] = rng.gamma(1.2, 0.8) - 0.5  # leaving the terminus: sometimes a little early
    for stop in range(stops):
        carried = delay[stop]
        carried *= LATE_GROWTH[line.vehicle_type] if carried > 0 else EARLY_HOLDING
        delay[stop + 1] = carried + added[stop]

    return {
        "stop_event_id": np.array([f"{line.route_id}-{number:05d}-{s:02d}" for s in range(1, stops + 1)]),
        "route_id": np.full(stops, line.route_id),
        "vehicle_type": np.full(stops, line.vehicle_type),
        "stop_sequence": np.arange(1, stops + 1),
        "scheduled_hour": np.floor(hour).astype(int),
        "weekday": np.full(stops, WEEKDAYS[weekday]),
        "weather": np.full(stops, weather),
        "distance_km": np.round(distance, 2),
        "upstream_delay_min": np.round(delay[:-1], 2),
        "delay_min": np.round(delay[1:], 2),
    }
