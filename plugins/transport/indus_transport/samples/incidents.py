"""Traffic control-room incident reports, for `transport.incident_classification`."""
import re

import numpy as np
import pyarrow as pa

# Congestion with no cause found and breakdowns are the daily bread of a control room.
TYPE_SHARES = {
    "congestion": 0.26,
    "breakdown": 0.24,
    "collision": 0.20,
    "roadworks": 0.12,
    "obstruction": 0.11,
    "weather": 0.07,
}
MISFILED_SHARE = 0.02  # logs filed under a random type by a busy operator

# What happened, by type. Causes cross types on purpose: a collision in the rain is a
# collision, a tree brought down by wind is an obstruction, queues behind a crash on the other
# carriageway are congestion.
EVENTS = {
    "collision": (
        "RTC involving {count} vehicles",
        "{vehicle} and {other} in collision",
        "shunt, {count} vehicles, minor damage",
        "rear-end collision in {lane}",
        "car overturned on the verge",
        "multi-vehicle collision",
        "{vehicle} hit the central barrier",
        "{vehicle} clipped {other} changing lanes, both stopped in {lane}",
        "collision in wet conditions, {vehicle} spun",
        "two vehicles collided at the lights",
    ),
    "breakdown": (
        "broken down {vehicle} in {lane}",
        "{vehicle} stalled",
        "{vehicle} with a flat tyre on the hard shoulder",
        "vehicle out of fuel in {lane}",
        "{vehicle} broken down, recovery requested",
        "{vehicle} smoking from the engine, driver out and safe",
        "stranded {vehicle} with hazard lights on",
        "not a collision, {vehicle} has broken down",
        "{vehicle} lost power and rolled to a stop in {lane}",
    ),
    "roadworks": (
        "planned resurfacing",
        "overrunning roadworks, cones still out",
        "temporary traffic lights for utility works",
        "contraflow in place for bridge repairs",
        "emergency gas main repair",
        "barrier repairs after last week's crash",
        "{lane} closed for a bridge inspection",
        "night works not cleared by 06:00",
        "works vehicle and crew in {lane}",
    ),
    "weather": (
        "heavy rain, standing water across {lane}",
        "flooding under the bridge",
        "fog, visibility below 50 m",
        "ice reported, gritters requested",
        "snow settling on the carriageway",
        "strong winds, high-sided vehicles advised not to travel",
        "spray reducing visibility",
        "black ice, several vehicles sliding, none collided",
    ),
    "congestion": (
        "heavy traffic, no incident found",
        "queuing traffic due to volume",
        "slow moving traffic, peak flow",
        "event traffic leaving the stadium",
        "congestion at the lane drop",
        "rubbernecking at an RTC on the opposite carriageway",
        "queue, cause unknown, nothing seen on camera",
        "stop-start traffic, no breakdown or collision seen",
    ),
    "obstruction": (
        "debris in {lane}",
        "tyre in the road",
        "fallen tree blocking {lane} after strong winds",
        "load shed from {vehicle}",
        "sheep on the carriageway",
        "pedestrian walking on the hard shoulder",
        "mattress in {lane}",
        "ladder lying across {lane}",
        "oil spill in {lane}, no vehicles involved",
    ),
}

# Terse first reports that say little about the cause; several fit more than one type.
VAGUE_EVENTS = {
    "collision": ("vehicle stopped in {lane}", "{lane} blocked", "emergency services on scene", "vehicles on the hard shoulder"),
    "breakdown": ("vehicle stopped in {lane}", "vehicle on the hard shoulder", "{vehicle} stopped, hazards on", "{lane} blocked"),
    "roadworks": ("cones in {lane}", "{lane} coned off", "lane restrictions in place", "slow traffic"),
    "weather": ("slow traffic, poor conditions", "reduced visibility", "surface water", "slow traffic"),
    "congestion": ("slow traffic", "queue forming", "busy, traffic slow"),
    "obstruction": ("object in road", "{lane} blocked", "something in {lane}, caller unsure what", "vehicles swerving in {lane}"),
}
VAGUE_SHARE = 0.25
# A first call is often wrong; the log keeps what was first said beside what was found.
FIRST_SAID = {
    "collision": "an RTC", "breakdown": "a breakdown", "roadworks": "roadworks",
    "weather": "flooding", "congestion": "congestion", "obstruction": "debris",
}
CORRECTED_SHARE = 0.08

# What follows any incident: queues, closures and responses. Shared by every type, though the
# response that is sent depends on the type.
EFFECTS = (
    "queue {km} km", "{lane} closed", "lanes 1 and 2 blocked", "traffic slow", "delays of {minutes} mins",
    "hard shoulder only", "queue back to J{junction}",
)
# Logs are updated as an incident clears.
CLEARED = ("update: all lanes open", "update: no delays at present", "update: scene clear")
RESPONSES = {
    "collision": ("police on scene", "ambulance requested", "recovery requested", "traffic officers attending"),
    "breakdown": ("recovery ETA 30 mins", "traffic officers attending", "awaiting recovery", "driver called own recovery"),
    "roadworks": ("contractor contacted", "signs set", "works manager informed"),
    "weather": ("gritters dispatched", "signs set: SLOW", "highways team informed", "traffic officers attending"),
    "congestion": ("monitoring", "signs set: QUEUE AHEAD", "awaiting CCTV"),
    "obstruction": ("traffic officers attending", "police on scene", "clearance team requested", "rolling road block in place"),
}

ROADS = ("M4", "M25", "M62", "A406", "A12", "A1(M)", "Ring Rd", "Harbour Bridge", "Route 9", "B1050")
DIRECTIONS = ("northbound", "southbound", "eastbound", "westbound", "clockwise", "anti-clockwise")
VEHICLES = ("car", "van", "HGV", "bus", "motorbike", "coach", "tractor", "taxi")
LANES = ("lane 1", "lane 2", "lane 3", "the outside lane", "the nearside lane", "the hard shoulder")
SOURCES = ("CCTV:", "Caller reports", "Traffic officer patrol:", "Police:", "999 call:", "Bus driver reports", "ANPR alert:", "")

# Control-room shorthand: what operators type instead of the words.
SHORTHAND = (
    (r"\bvehicles\b", "vehs"), (r"\bvehicle\b", "veh"), (r"\bnorthbound\b", "NB"), (r"\bsouthbound\b", "SB"),
    (r"\beastbound\b", "EB"), (r"\bwestbound\b", "WB"), (r"\bclockwise\b", "cw"), (r"\blane (\d)\b", r"L\1"),
    (r"\bhard shoulder\b", "HS"), (r"\bcarriageway\b", "c/way"), (r"\btraffic officers?\b", "TO"),
    (r"\bpolice\b", "pol"), (r"\bambulance\b", "amb"), (r"\brecovery\b", "rec"), (r"\breported\b", "rptd"),
    (r"\bwith\b", "w/"), (r"\bjunction (\d+)", r"J\1"), (r"\bapproximately\b", "approx"), (r"\bminutes\b", "mins"),
)
ARTICLES = re.compile(r"\b(the|a|an) ", flags=re.IGNORECASE)


def incident_reports(*, rows: int, seed: int) -> pa.Table:
    """Synthetic incident reports as logged in a traffic control room, with their type.

    Columns:
      report_id      text, "INC-000001"...: the log entry's key.
      report         text: sometimes a clock time and a source ("CCTV:", "999 call:"), the
                     location (road, direction, junctions or a km marker), what happened,
                     often its effects (queues, closed lanes), the response (police,
                     recovery, gritters) and an update when it clears. Operators write in shorthand (veh, NB, L2, HS, c/way,
                     TO), drop articles, sometimes type in capitals, and slip on keys.
      incident_type  text: congestion 26%, breakdown 24%, collision 20%, roadworks 12%,
                     obstruction 11%, weather 7% (exact to the nearest row, before the 2%
                     misfiled).

    How the target depends on the text: the type is the primary cause that the event phrase
    describes. Effects are shared by every type, and the response depends on the type only
    loosely (traffic officers attend most things). Causes cross types on purpose ("collision
    in wet conditions" is a collision, "fallen tree ... after strong winds" an obstruction,
    "rubbernecking at an RTC on the opposite carriageway" congestion) and some phrases negate
    another type ("not a collision, van has broken down", "no breakdown or collision seen").
    25% of reports are terse ("vehicle stopped in lane 2" may be a breakdown or a collision),
    8% say what was first reported before what was found ("initially reported as debris, on
    arrival: ..."), and 2% are filed under a random type.
    """
    rng = np.random.default_rng(seed)
    types = tuple(TYPE_SHARES)
    # Stratified, not independent draws: even a small sample holds every type in proportion.
    cumulative = np.cumsum(tuple(TYPE_SHARES.values()))
    drawn = rng.permutation(np.minimum(np.searchsorted(cumulative, (np.arange(rows) + 0.5) / rows), len(types) - 1))
    reports = [_report(types[i], rng) for i in drawn]
    misfiled = rng.random(rows) < MISFILED_SHARE
    filed = np.where(misfiled, rng.integers(len(types), size=rows), drawn)
    return pa.table({
        "report_id": pa.array([f"INC-{i + 1:06d}" for i in range(rows)], pa.string()),
        "report": pa.array(reports, pa.string()),
        "incident_type": pa.array([types[i] for i in filed], pa.string()),
    })


def _report(incident_type: str, rng: np.random.Generator) -> str:
    def one_of(options):
        return options[rng.integers(len(options))]

    slots = {
        "vehicle": one_of(VEHICLES),
        "other": one_of(VEHICLES),
        "lane": one_of(LANES),
        "count": int(rng.integers(2, 6)),
        "km": round(float(rng.gamma(2.0, 1.2)), 1),
        "minutes": int(rng.integers(2, 9)) * 5,
        "junction": int(rng.integers(1, 31)),
    }
    parts = []
    if rng.random() < 0.5:
        parts.append(f"{int(rng.integers(0, 24)):02d}{one_of((':', '', '.'))}{int(rng.integers(0, 60)):02d}")
    parts.append(one_of(SOURCES))
    parts.append(_location(rng, one_of) + ",")
    if rng.random() < CORRECTED_SHARE:
        mistaken = one_of([said for kind, said in FIRST_SAID.items() if kind != incident_type])
        parts.append(f"initially reported as {mistaken}, on arrival:")
    events = VAGUE_EVENTS if rng.random() < VAGUE_SHARE else EVENTS
    parts.append(one_of(events[incident_type]) + ".")
    for effect in rng.choice(len(EFFECTS), size=rng.binomial(2, 0.45), replace=False):
        parts.append(EFFECTS[effect] + ".")
    if rng.random() < 0.6:
        response = one_of(RESPONSES[incident_type])
        parts.append(response[0].upper() + response[1:] + ".")
    if rng.random() < 0.15:
        parts.append(one_of(CLEARED) + ".")
    text = " ".join(p for p in parts if p).format(**slots)
    return _as_logged(text, rng)


def _location(rng: np.random.Generator, one_of) -> str:
    road, direction = one_of(ROADS), one_of(DIRECTIONS)
    junction = int(rng.integers(1, 30))
    where = one_of((
        f"between junction {junction} and {junction + 1}",
        f"at junction {junction}",
        f"near km {rng.uniform(1, 80):.1f}",
        f"on the exit slip at junction {junction}",
        "on the roundabout",
    ))
    return f"{road} {direction} {where}"


def _as_logged(text: str, rng: np.random.Generator) -> str:
    """How a busy operator types it: shorthand, no articles, capitals, a slipped key."""
    if rng.random() < 0.7:
        for pattern, short in SHORTHAND:
            if rng.random() < 0.8:
                text = re.sub(pattern, short, text)
    if rng.random() < 0.5:
        text = ARTICLES.sub("", text)
    if rng.random() < 0.08:
        text = _slipped_key(text, rng)
    if rng.random() < 0.2:
        text = text.upper()
    return text


def _slipped_key(text: str, rng: np.random.Generator) -> str:
    """One long word with a vowel missing, as in 'colision' or 'brokn'."""
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
    if not long_words:
        return text
    at = long_words[rng.integers(len(long_words))]
    word = words[at]
    vowels = [i for i, c in enumerate(word) if c in "aeiou" and i > 0]
    if vowels:
        cut = vowels[rng.integers(len(vowels))]
        words[at] = word[:cut] + word[cut + 1:]
    return " ".join(words)
