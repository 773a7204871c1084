"""The transport tasks and their sample datasets, declared for the platform.

Declarations only: nothing heavy is imported here. Sample generators are named by dotted
path and imported only by the job that runs them.
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

GENERATORS = "indus_transport.samples"
INCIDENT_TYPES = ("collision", "breakdown", "roadworks", "weather", "congestion", "obstruction")

TRAFFIC_FLOW = Task(
    name="transport.traffic_flow",
    title="Traffic flow forecast per road sensor",
    description=(
        "Forecast the hourly vehicle count at each road sensor for the next twelve hours, with "
        "an 80% interval, from the recent history of flow, speed and occupancy. For signal "
        "timing plans, ramp metering and warning drivers before queues form."
    ),
    modality=Modality.TIME_SERIES,
    inputs=(
        Column("road_type", ColumnType.CATEGORY, "motorway or arterial."),
        Column("direction", ColumnType.CATEGORY, "inbound (towards the centre) or outbound."),
        Column("lanes", ColumnType.INTEGER, "Lanes in the measured direction."),
        Column("speed_kmh", ColumnType.NUMBER, "Mean speed of the vehicles counted in the hour."),
        Column("occupancy", ColumnType.NUMBER, "Share of the hour the detector was occupied, 0-1."),
        Column("raining", ColumnType.BOOLEAN, "Whether it rained in the hour."),
        Column("incident", ColumnType.BOOLEAN, "Whether an incident blocked lanes near the sensor."),
    ),
    target=Target(
        TargetKind.FORECAST,
        "flow",
        quantiles=(0.1, 0.5, 0.9),
        horizon=12,
        group_column="sensor_id",
        time_column="timestamp",
    ),
    head="forecasting",
    backbone="time_series_gru",
    metrics=("mae", "rmse", "mape", "pinball_loss", "coverage"),
    min_rows=300,
    presentation=Presentation(unit="veh/h", show_probabilities=False),
)

ARRIVAL_DELAY = Task(
    name="transport.arrival_delay",
    title="Bus and tram arrival delay",
    description=(
        "Predict how many minutes late (negative: early) a vehicle will reach a stop, from the "
        "route, the stop, the time, the weather and how late it left the stop before. For "
        "passenger information displays and for spotting where timetables need more slack."
    ),
    modality=Modality.TABULAR,
    inputs=(
        Column("route_id", ColumnType.CATEGORY, "The line, e.g. 12 or T2."),
        Column("vehicle_type", ColumnType.CATEGORY, "bus or tram."),
        Column("stop_sequence", ColumnType.INTEGER, "The stop's position on the trip, 1 first."),
        Column("scheduled_hour", ColumnType.INTEGER, "The hour (0-23) of the timetabled arrival."),
        Column("weekday", ColumnType.CATEGORY, "mon ... sun."),
        Column("weather", ColumnType.CATEGORY, "clear, rain, fog or snow."),
        Column("distance_km", ColumnType.NUMBER, "Distance from the previous stop."),
        Column("upstream_delay_min", ColumnType.NUMBER, "Delay at the previous stop, in minutes."),
    ),
    target=Target(TargetKind.REGRESSION, "delay_min"),
    head="regression",
    backbone="tabular_mlp",
    metrics=("mae", "rmse"),
    id_column="stop_event_id",
    min_rows=200,
    presentation=Presentation(unit="min", explanation="features", show_probabilities=False),
)

INCIDENT_CLASSIFICATION = Task(
    name="transport.incident_classification",
    title="Incident report type",
    description=(
        "Sort free-text incident reports from a traffic control room (operator logs, patrol and "
        "police messages, CCTV notes) by incident type, so that the right response is sent "
        "and incident statistics are kept without reading every log."
    ),
    modality=Modality.TEXT,
    inputs=(Column("report", ColumnType.TEXT, "The report as logged."),),
    target=Target(TargetKind.CLASSES, "incident_type", labels=INCIDENT_TYPES),
    head="classification",
    backbone="minilm",
    metrics=("accuracy", "macro_f1"),
    id_column="report_id",
    min_rows=100,
    presentation=Presentation(top_k=2, explanation="tokens"),
)


@hookimpl
def indus_tasks():
    return [TRAFFIC_FLOW, ARRIVAL_DELAY, INCIDENT_CLASSIFICATION]


@hookimpl
def indus_sample_datasets():
    return [
        SampleDataset(
            "transport.sensor_readings",
            TRAFFIC_FLOW.name,
            "Hourly road-sensor readings",
            "Twelve loop detectors on motorways and arterials over three weeks: morning and "
            "evening peaks by direction, quiet weekends, city-wide rain spells, incidents that cut "
            "capacity, and speed and occupancy that follow the flow as on real roads.",
            f"{GENERATORS}:sensor_readings",
            default_rows=6048,
        ),
        SampleDataset(
            "transport.stop_arrivals",
            ARRIVAL_DELAY.name,
            "Bus and tram stop arrivals",
            "Vehicle-location records of trips on ten lines: delay carried from stop to stop, "
            "rush-hour and city-centre congestion, weather, timetable slack, holding when "
            "early, and rare long disruptions.",
            f"{GENERATORS}:stop_arrivals",
            default_rows=5000,
        ),
        SampleDataset(
            "transport.incident_reports",
            INCIDENT_CLASSIFICATION.name,
            "Control-room incident reports",
            "Operator, patrol, police and CCTV log entries about collisions, breakdowns, "
            "roadworks, weather, congestion and obstructions, in control-room shorthand, with "
            "shared consequences (queues, lane closures) and causes that cross types.",
            f"{GENERATORS}:incident_reports",
            default_rows=2400,
        ),
    ]
