"""The transport plugin: it loads without torch, its samples are reproducible and valid for
their tasks, and they behave as roads and timetables do: rush hours, queues, delays that
carry from stop to stop, incident reports that need more than one keyword."""
import re
import subprocess
import sys
from collections import Counter
from importlib.metadata import EntryPoint

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from indus.plugins.contract import resolve_factory
from indus.plugins.dataset_validation import errors, validate_table
from indus.plugins.manager import build_registry
from indus_transport.samples import arrivals, incidents, traffic

TRANSPORT_SAMPLES = {
    "transport.sensor_readings": "transport.traffic_flow",
    "transport.stop_arrivals": "transport.arrival_delay",
    "transport.incident_reports": "transport.incident_classification",
}


@pytest.fixture(scope="module")
def transport():
    return build_registry(
        entry_points_=[EntryPoint(name="transport", value="indus_transport.plugin", group="indus")], allow=None
    )


def as_arrays(table: pa.Table) -> dict[str, np.ndarray]:
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}


def test_the_plugin_loads_every_task_with_its_sample(transport):
    plugin = transport.plugins["transport"]
    assert plugin.errors == [] and plugin.enabled
    assert {name: transport.samples[name].task for name in plugin.samples} == TRANSPORT_SAMPLES
    assert sorted(plugin.tasks) == sorted(TRANSPORT_SAMPLES.values())


def test_the_task_declarations_stay_light():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, indus_transport.plugin; print(*sorted({'torch', 'numpy'} & set(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert loaded.split() == []


@pytest.mark.parametrize("sample_name", TRANSPORT_SAMPLES)
def test_a_sample_of_any_usable_size_is_valid_and_repeatable(transport, sample_name):
    task = transport.tasks[TRANSPORT_SAMPLES[sample_name]]
    generator = resolve_factory(transport.samples[sample_name].generator)
    declared = {column.name for column in task.columns} | {task.target.column}
    for rows in (task.min_rows, 3 * task.min_rows):
        first, again, other_seed = (generator(rows=rows, seed=seed) for seed in (4, 4, 5))
        assert first.num_rows == rows and set(first.column_names) == declared
        assert first.equals(again) and not first.equals(other_seed)
        assert validate_table(task, first) == []
    if task.id_column:
        assert pc.count_distinct(first.column(task.id_column)).as_py() == first.num_rows


def replace_column(table: pa.Table, name: str, values) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, values)


BREAKAGES = {
    "no timestamps": ("transport.sensor_readings", "timestamp", lambda t: t.drop_columns("timestamp")),
    "lanes as decimals": ("transport.sensor_readings", "lanes", lambda t: replace_column(t, "lanes", pc.cast(t["lanes"], pa.float64()))),
    "flow as text": ("transport.sensor_readings", "flow", lambda t: replace_column(t, "flow", pc.cast(t["flow"], pa.string()))),
    "no upstream delay": ("transport.stop_arrivals", "upstream_delay_min", lambda t: t.drop_columns("upstream_delay_min")),
    "delays all missing": ("transport.stop_arrivals", "delay_min", lambda t: replace_column(t, "delay_min", pa.nulls(len(t), pa.float64()))),
    "reports as numbers": ("transport.incident_reports", "report", lambda t: replace_column(t, "report", pa.array(range(len(t))))),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_validation_names_the_column_of_a_broken_copy(transport, breakage):
    sample_name, column, break_table = BREAKAGES[breakage]
    table = resolve_factory(transport.samples[sample_name].generator)(rows=500, seed=9)
    problems = errors(validate_table(transport.tasks[TRANSPORT_SAMPLES[sample_name]], break_table(table)))
    assert column in [problem.column for problem in problems]


# --- traffic flow -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def readings():
    data = as_arrays(traffic.sensor_readings(rows=6048, seed=17))
    hours = data["timestamp"].astype("datetime64[h]").view("int64")
    data["hour"] = hours % 24
    data["weekday"] = (hours // 24 + 3) % 7  # Monday 0
    data["sensor_rows"] = {sensor: np.flatnonzero(data["sensor_id"] == sensor) for sensor in np.unique(data["sensor_id"])}
    return data


def test_each_sensor_reports_every_hour_up_to_the_same_last_hour(readings):
    assert 8 <= len(readings["sensor_rows"]) <= 20
    last = {readings["timestamp"][rows[-1]] for rows in readings["sensor_rows"].values()}
    assert len(last) == 1
    for rows in readings["sensor_rows"].values():
        assert len(rows) >= 300
        assert np.all(np.diff(readings["timestamp"][rows]) == np.timedelta64(1, "h"))


def test_weekday_flow_peaks_at_rush_hours_and_weekends_are_calmer(readings):
    flow, hour, weekday = readings["flow"], readings["hour"], readings["weekday"]
    workday = weekday < 5
    rush = workday & np.isin(hour, (7, 8, 17, 18))
    night = np.isin(hour, (1, 2, 3, 4))
    assert flow[rush].mean() > 4 * flow[night].mean()
    assert flow[rush].mean() > 1.3 * flow[~workday & np.isin(hour, (7, 8, 17, 18))].mean()


def test_commuters_drive_in_in_the_morning_and_out_in_the_evening(readings):
    def morning_over_evening(direction):
        ratios = []
        for rows in readings["sensor_rows"].values():
            if readings["direction"][rows[0]] == direction:
                weekday_rows = rows[readings["weekday"][rows] < 5]
                hour = readings["hour"][weekday_rows]
                flow = readings["flow"][weekday_rows]
                ratios.append(flow[hour == 8].mean() / flow[hour == 17].mean())
        return np.mean(ratios)

    assert morning_over_evening("inbound") > 1.1 * morning_over_evening("outbound")


def test_speed_drops_when_the_detector_fills_up_and_during_incidents(readings):
    for rows in readings["sensor_rows"].values():
        speed, occupancy = readings["speed_kmh"][rows], readings["occupancy"][rows]
        crowded = occupancy >= np.quantile(occupancy, 0.95)
        assert speed[crowded].mean() < np.median(speed)
    incident = readings["incident"]
    normal_speed = {sensor: np.median(readings["speed_kmh"][rows]) for sensor, rows in readings["sensor_rows"].items()}
    relative = readings["speed_kmh"] / np.array([normal_speed[s] for s in readings["sensor_id"]])
    assert incident.any() and relative[incident].mean() < 0.9 * relative[~incident].mean()


def test_the_same_hour_last_week_forecasts_better_than_the_sensor_mean(transport, readings):
    horizon = transport.tasks["transport.traffic_flow"].target.horizon
    week = 7 * 24
    last_week_errors, mean_errors = [], []
    for rows in readings["sensor_rows"].values():
        flow = readings["flow"][rows].astype(float)
        for origin in range(len(flow) - week, len(flow) - horizon + 1, horizon):
            actual = flow[origin:origin + horizon]
            last_week_errors.append(np.abs(actual - flow[origin - week:origin - week + horizon]).mean())
            mean_errors.append(np.abs(actual - flow[:origin].mean()).mean())
    assert np.mean(last_week_errors) < 0.5 * np.mean(mean_errors)


# --- arrival delays -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stops():
    return as_arrays(arrivals.stop_arrivals(rows=4000, seed=23))


def test_trips_are_runs_of_stops_that_hand_their_delay_on(stops):
    trip = np.array([event.rsplit("-", 1)[0] for event in stops["stop_event_id"]])
    continues = trip[1:] == trip[:-1]
    assert np.all(stops["stop_sequence"][1:][continues] == stops["stop_sequence"][:-1][continues] + 1)
    assert np.all(stops["stop_sequence"][1:][~continues] == 1)
    assert np.all(stops["upstream_delay_min"][1:][continues] == stops["delay_min"][:-1][continues])


def test_delay_carries_over_and_grows_at_peaks_and_in_snow(stops):
    delay, upstream = stops["delay_min"], stops["upstream_delay_min"]
    assert np.corrcoef(upstream, delay)[0, 1] > 0.9
    added = delay - upstream
    weekday = ~np.isin(stops["weekday"], ("sat", "sun"))
    peak = weekday & np.isin(stops["scheduled_hour"], (7, 8, 17, 18))
    quiet = np.isin(stops["scheduled_hour"], (5, 6, 21, 22, 23))
    assert added[peak].mean() > added[quiet].mean() + 0.2
    assert added[stops["weather"] == "snow"].mean() > added[stops["weather"] == "clear"].mean() + 0.3
    early = upstream < -0.5
    assert np.abs(delay[early]).mean() < np.abs(upstream[early]).mean()  # drivers hold at timing points


def test_boosting_beats_both_the_mean_and_carrying_the_delay_over(stops):
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    categorical = ("route_id", "vehicle_type", "weekday", "weather")
    numeric = ("stop_sequence", "scheduled_hour", "distance_km", "upstream_delay_min")
    features = np.column_stack(
        [np.unique(stops[name], return_inverse=True)[1] for name in categorical] + [stops[name] for name in numeric]
    )
    delay, upstream = stops["delay_min"], stops["upstream_delay_min"]
    train, test = slice(0, 3000), slice(3000, None)
    # Learn what each segment adds to the delay carried in: the natural target for trees.
    model = HistGradientBoostingRegressor(categorical_features=list(range(len(categorical))), random_state=0)
    with threadpool_limits(1):  # OpenMP threads fighting over a shared CPU slow it tenfold
        model.fit(features[train], (delay - upstream)[train])
    predicted = upstream[test] + model.predict(features[test])

    def mae(guess):
        return np.abs(delay[test] - guess).mean()

    assert mae(predicted) < 0.5 * mae(delay[train].mean())
    assert mae(predicted) < 0.95 * mae(upstream[test])


# --- incident reports -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reports():
    return as_arrays(incidents.incident_reports(rows=3000, seed=31))


def test_incident_types_come_in_their_documented_shares(transport, reports):
    counts = Counter(reports["incident_type"])
    assert set(counts) == set(transport.tasks["transport.incident_classification"].target.labels)
    for incident_type, share in incidents.TYPE_SHARES.items():
        # Exact shares, give or take the 2% of reports filed under a random type.
        assert counts[incident_type] / len(reports["incident_type"]) == pytest.approx(share, abs=0.01)


def test_a_negated_cause_is_not_the_label(reports):
    # Operators drop articles: "not a collision" is often logged as "not collision".
    negated = [bool(re.search(r"not (a )?collision", report, re.IGNORECASE)) for report in reports["report"]]
    ruled_out = reports["incident_type"][negated]
    assert len(ruled_out) >= 10
    assert np.mean(ruled_out == "breakdown") > 0.8


def test_word_counts_sort_most_reports_but_not_all(reports):
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    counts = CountVectorizer(lowercase=True).fit_transform(reports["report"])
    truth = reports["incident_type"]
    classifier = LogisticRegression(max_iter=2000).fit(counts[:2000], truth[:2000])
    macro_f1 = f1_score(truth[2000:], classifier.predict(counts[2000:]), average="macro")
    assert max(incidents.TYPE_SHARES.values()) + 0.4 < macro_f1 < 0.98
