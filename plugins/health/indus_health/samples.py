"""Deterministic, synthetic sample data for the health tasks.

Every generator is `fn(*, rows: int, seed: int) -> pyarrow.Table`: the same arguments give the
same table (a sample job stores it content-addressed, so a rerun makes no new version), and a
numpy `Generator` seeded with `seed` is the only source of randomness. Every note, patient and
stay is invented from templates and the vocabularies in `clinical_vocabulary`; nothing comes
from a real record.
"""
import numpy as np
import pyarrow as pa

from indus_health.clinical_vocabulary import (
    CONDITION_PROFILES,
    DRUG_DOSES,
    FREQUENCIES,
    PAIN_RELIEVERS,
    PERTINENT_NEGATIVES,
    SYMPTOMS,
    TREATMENTS,
)
from indus_health.plugin import CONDITIONS, READMITTED

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Letters next to each other on a QWERTY keyboard: the slips people make when typing fast.
KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo", "k": "jl",
    "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "r": "et", "s": "ad", "t": "ry", "u": "yi", "w": "qe", "y": "tu",
}


def _pick(options, rng: np.random.Generator):
    return options[rng.integers(len(options))]


def _misspell(word: str, rng: np.random.Generator) -> str:
    """Hit a neighbouring key, or miss a letter out."""
    at = int(rng.integers(1, len(word)))
    neighbours = KEYBOARD_NEIGHBOURS.get(word[at].lower())
    if neighbours and rng.random() < 0.6:
        return word[:at] + _pick(neighbours, rng) + word[at + 1:]
    return word[:at] + word[at + 1:]


def _with_typos(text: str, rate: float, rng: np.random.Generator) -> str:
    return " ".join(
        _misspell(word, rng) if word.isalpha() and len(word) > 3 and rng.random() < rate else word
        for word in text.split(" ")
    )


def _listing(phrases: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} and {phrases[-1]}"


# --------------------------------------------------------------------------------------------
# health.diagnosis

# Some patients present atypically: their symptoms are those another condition would give.
ATYPICAL_SHARE = 0.08


def _reported_symptoms(condition: str, rng: np.random.Generator) -> list[str]:
    """The symptoms a patient with the condition mentions: each by its chance, at least the
    commonest one, two to four of them (no one lists everything), in no particular order."""
    if rng.random() < ATYPICAL_SHARE:
        condition = _pick(CONDITIONS, rng)
    chances = CONDITION_PROFILES[condition].symptoms
    reported = [symptom for symptom, chance in chances.items() if rng.random() < chance]
    if not reported:
        reported = [max(chances, key=chances.get)]
    order = rng.permutation(len(reported))
    return [reported[i] for i in order[: rng.integers(2, 5)]]


def _pertinent_negatives(reported: list[str], rng: np.random.Generator) -> list[str]:
    """Half the notes rule out one or two symptoms the patient does not have: words that, read
    without their 'no', point to another condition."""
    if rng.random() < 0.5:
        return []
    absent = [symptom for symptom in PERTINENT_NEGATIVES if symptom not in reported]
    return [absent[i] for i in rng.permutation(len(absent))[: rng.integers(1, 3)]]


def _spoken_duration(days: float, rng: np.random.Generator) -> str:
    if days < 1:
        return _pick(("since this morning", f"for {max(2, round(days * 24))} hours"), rng)
    if days < 2:
        return _pick(("since yesterday", "for a day or so"), rng)
    if days < 7:
        return _pick((f"for {int(days)} days", f"since {_pick(WEEKDAYS, rng)}"), rng)
    return _pick(("for about a week", f"for {int(days)} days", "for over a week"), rng)


def _patient_words(reported, negated, days, age, rng) -> str:
    phrases = [_pick(SYMPTOMS[s].lay, rng) for s in reported]
    when = _spoken_duration(days, rng)
    if len(phrases) > 1 and rng.random() < 0.3:
        text = f"It started with {phrases[0]}, now I have {_listing(phrases[1:])} too. Going on {when}."
    else:
        opener = _pick(("I've had", "Been suffering with", "My partner has had", "Really unwell with"), rng)
        text = f"{opener} {_listing(phrases)} {when}."
    if negated:
        plain = [SYMPTOMS[s].plain for s in negated]
        text += _pick((f" No {' or '.join(plain)} though.", f" Haven't had any {_listing(plain)}."), rng)
    if rng.random() < 0.3:
        text += f" {'They are' if text.startswith('My partner') else 'I am'} {age}."
    text = _with_typos(text, 0.04, rng)
    return text.lower() if rng.random() < 0.35 else text


def _triage_shorthand(condition, reported, negated, days, age, female, rng) -> str:
    complaints = ", ".join(_pick(SYMPTOMS[s].clinical, rng) for s in reported)
    duration = f"x{max(1, round(days * 24))}h" if days < 1 else f"x{int(days)}/7"
    text = f"{age}{'F' if female else 'M'} c/o {complaints} {duration}."
    if negated:
        text += f" denies {', '.join(SYMPTOMS[s].clinical[0] for s in negated)}."
    # Observations show what the patient did not mention: a fever or low oxygen is measured
    # whether or not it was reported, as often as the condition causes it.
    chances = CONDITION_PROFILES[condition].symptoms
    if rng.random() < 0.4:
        febrile = "fever" in reported or rng.random() < chances.get("fever", 0.0)
        text += f" T {rng.uniform(38.0, 39.6) if febrile else rng.uniform(36.3, 37.4):.1f}."
    if rng.random() < 0.3:
        hypoxic = "shortness_of_breath" in reported or rng.random() < chances.get("shortness_of_breath", 0.0)
        text += f" sats {rng.integers(89, 95) if hypoxic else rng.integers(96, 100)}% RA."
    text = _with_typos(text, 0.02, rng)
    return text.lower() if rng.random() < 0.5 else text


def _onset(days: float) -> str:
    return "today" if days < 1 else "yesterday" if days < 2 else f"{int(days)} days ago"


def _referral_letter(reported, negated, days, age, female, rng) -> str:
    person = f"{age}-year-old {'woman' if female else 'man'}"
    findings = _listing([_pick(SYMPTOMS[s].clinical, rng) for s in reported])
    text = _pick((
        f"{person} presenting with {findings}, onset {_onset(days)}.",
        f"Thank you for seeing this {person} with {findings} {_spoken_duration(days, rng)}.",
    ), rng)
    if negated:
        text += f" No {' or '.join(SYMPTOMS[s].clinical[0] for s in negated)}."
    return text


def symptom_notes(*, rows: int, seed: int) -> pa.Table:
    """Symptom descriptions and the condition behind them, for `health.diagnosis`.

    Columns:
    - `note_id`: NOTE-000001...
    - `description`, in one of three voices: a patient's own words (45%: "I've had a pounding
      headache and sensitivity to light since this morning. No fever though."; 4% of words
      mistyped, a third in lower case), a triage nurse's shorthand (35%: "34F c/o HA,
      photophobia x3h. denies fever. T 37.1."), or a referral letter (20%).

    Label: `condition`, one of common_cold, influenza, pneumonia, migraine, gastroenteritis and
    urinary_tract_infection, in about 24/20/10/15/17/14% of notes. Each note mentions two to
    four of the symptoms its condition produces, each by its own chance (see
    `CONDITION_PROFILES`), so the conditions overlap (cold, flu and pneumonia share cough and
    fever) and the telling symptom is often missing; 8% of patients present atypically, with
    another condition's symptoms. Half the notes rule out symptoms of other conditions
    ("denies vomiting"), a trap for keyword matching. Age, sex (UTI and migraine are commoner
    in women, pneumonia in the old), duration and measured temperature or oxygen saturation
    carry signal too. A bag of words puts the right condition first in about 85% of notes and
    in its top three in about 96%.
    """
    rng = np.random.default_rng(seed)
    shares = np.array([CONDITION_PROFILES[c].share for c in CONDITIONS])
    conditions = rng.choice(len(CONDITIONS), size=rows, p=shares / shares.sum())
    descriptions = []
    for index in conditions:
        profile = CONDITION_PROFILES[CONDITIONS[index]]
        reported = _reported_symptoms(CONDITIONS[index], rng)
        negated = _pertinent_negatives(reported, rng)
        days = rng.uniform(*profile.days)
        age = int(np.clip(rng.normal(*profile.age), 16, 95))
        female = bool(rng.random() < profile.female_share)
        voice = rng.random()
        if voice < 0.45:
            descriptions.append(_patient_words(reported, negated, days, age, rng))
        elif voice < 0.8:
            descriptions.append(_triage_shorthand(CONDITIONS[index], reported, negated, days, age, female, rng))
        else:
            descriptions.append(_referral_letter(reported, negated, days, age, female, rng))
    return pa.table({
        "note_id": pa.array([f"NOTE-{n:06d}" for n in range(1, rows + 1)], pa.string()),
        "description": pa.array(descriptions, pa.string()),
        "condition": pa.array([CONDITIONS[i] for i in conditions], pa.string()),
    })


# --------------------------------------------------------------------------------------------
# health.clinical_entities

# Clause templates, already split into words. DISEASE, DRUG, RELIEVER (a pain killer) and
# SYMPTOM slots are entities, tagged; lower-case slots are filled with words outside any
# entity. The last few clauses hold words that look like entities but are not ("pain clinic",
# "ST depression").
NOTE_CLAUSES = (
    "Pt is a {age} yo {sex} with PMH of {DISEASE} and {DISEASE} .",
    "{age} y/o {sex} , known {DISEASE} , presents with {SYMPTOM} x {days} days .",
    "Presents with {SYMPTOM} and {SYMPTOM} .",
    "C/o {SYMPTOM} , {SYMPTOM} and {SYMPTOM} since {weekday} .",
    "Denies {SYMPTOM} or {SYMPTOM} .",
    "No {SYMPTOM} .",
    "Started {DRUG} {dose} {frequency} for {DISEASE} .",
    "Stopped {DRUG} due to {SYMPTOM} .",
    "Known {DISEASE} on {DRUG} {dose} {frequency} .",
    "{DISEASE} : switched from {DRUG} to {DRUG} after {SYMPTOM} .",
    "CXR consistent with {DISEASE} .",
    "Family history of {DISEASE} .",
    "Take {RELIEVER} {dose} as needed for {SYMPTOM} .",
    "Continue {DRUG} and {DRUG} .",
    "Impression : {DISEASE} , likely triggered by {DISEASE} .",
    "Likely {DISEASE} ; start {DRUG} {dose} {frequency} for {days} days .",
    "Return if {SYMPTOM} worsens .",
    "Referred to pain clinic ; review in {days} weeks .",
    "ECG shows ST depression in V4 - V6 .",
    "Obs : BP {blood_pressure} , HR {heart_rate} , T {temperature} .",
    "Chest clear , heart sounds normal .",
    "NKDA , lives with {relative} .",
)
SYMPTOM_WORDS = tuple(sorted({form for symptom in SYMPTOMS.values() for form in (symptom.plain, *symptom.clinical)}))
DISEASES = tuple(TREATMENTS)
ALL_DRUGS = tuple(DRUG_DOSES)
FILLER_WORDS = {
    "age": tuple(str(age) for age in range(18, 95)),
    "sex": ("M", "F", "male", "female"),
    "days": ("2", "3", "5", "7", "10", "14"),
    "weekday": WEEKDAYS,
    "frequency": FREQUENCIES,
    "blood_pressure": ("118/76", "142/88", "165/95", "100/60"),
    "heart_rate": ("64", "88", "104", "122"),
    "temperature": ("36.8", "37.9", "38.6", "39.2"),
    "relative": ("wife", "husband", "daughter", "son", "carer"),
}


class _ClauseFiller:
    """Fills one clause's slots so that it reads like a note: the first disease is the
    clause's subject, its drugs are ones that treat it, and a dose belongs to its drug."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.subject = _pick(DISEASES, rng)
        self.diseases = [self.subject]
        treatments = TREATMENTS[self.subject]
        self.treatments = [treatments[i] for i in rng.permutation(len(treatments))]
        self.last_drug = None

    def entity(self, slot: str) -> tuple[str, str] | None:
        """The words and entity type for an entity slot; None for any other slot."""
        rng = self.rng
        if slot == "DISEASE":
            disease = self.diseases.pop() if self.diseases else _pick(DISEASES, rng)
            return disease, "DISEASE"
        if slot in ("DRUG", "RELIEVER"):
            if slot == "RELIEVER":
                self.last_drug = _pick(PAIN_RELIEVERS, rng)
            else:
                self.last_drug = self.treatments.pop() if self.treatments else _pick(ALL_DRUGS, rng)
            return self.last_drug, "DRUG"
        if slot == "SYMPTOM":
            return _pick(SYMPTOM_WORDS, rng), "SYMPTOM"
        return None

    def filler(self, slot: str) -> str:
        if slot == "dose":
            return _pick(DRUG_DOSES[self.last_drug], self.rng)
        return _pick(FILLER_WORDS[slot], self.rng)


def _tagged_clause(template: str, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    filler = _ClauseFiller(rng)
    tokens, tags = [], []
    for piece in template.split():
        slot = piece[1:-1] if piece.startswith("{") and piece.endswith("}") else None
        entity = filler.entity(slot) if slot else None
        if entity:
            words, entity_type = entity[0].split(), entity[1]
            tags += [f"B-{entity_type}"] + [f"I-{entity_type}"] * (len(words) - 1)
        else:
            words = filler.filler(slot).split() if slot else [piece]
            tags += ["O"] * len(words)
        tokens += words
    return tokens, tags


def clinical_sentences(*, rows: int, seed: int) -> pa.Table:
    """Sentences from clinical notes with their entities tagged, for `health.clinical_entities`.

    Columns:
    - `sentence_id`: SENT-000001...
    - `tokens` (list of strings): one to three note clauses ("Started metformin 500 mg BD for
      type 2 diabetes ."), split into words and punctuation. A quarter of the sentences are in
      lower case, as notes often are; 3% of entity words and 1% of other words are mistyped.
    - `tags` (list of strings, one per token): BIO tags over SYMPTOM, DRUG and DISEASE, e.g.
      B-DISEASE I-DISEASE I-DISEASE for "type 2 diabetes". Entities are tagged whether the
      finding is present or denied. Every tag list is valid BIO: an I- tag always continues a
      span of its own type.

    What makes it learnable but not trivial: entity words recur across many contexts, multi-
    word spans must be joined (B then I), some words are an entity in one clause and not in
    another ("pain" in "chest pain" but not in "pain clinic", "depression" the disease but not
    "ST depression"), pneumonia or migraine is a DISEASE while "headache" is a SYMPTOM, doses
    and frequencies next to a drug stay outside it, and typos change the spelling, not the tag.
    """
    rng = np.random.default_rng(seed)
    all_tokens, all_tags = [], []
    for _ in range(rows):
        tokens, tags = [], []
        for _ in range(rng.integers(1, 4)):
            clause_tokens, clause_tags = _tagged_clause(_pick(NOTE_CLAUSES, rng), rng)
            tokens += clause_tokens
            tags += clause_tags
        typo_rates = [0.03 if tag != "O" else 0.01 for tag in tags]
        tokens = [
            _misspell(token, rng) if token.isalpha() and len(token) > 3 and rng.random() < rate else token
            for token, rate in zip(tokens, typo_rates)
        ]
        if rng.random() < 0.25:
            tokens = [token.lower() for token in tokens]
        all_tokens.append(tokens)
        all_tags.append(tags)
    words = pa.list_(pa.string())
    return pa.table({
        "sentence_id": pa.array([f"SENT-{n:06d}" for n in range(1, rows + 1)], pa.string()),
        "tokens": pa.array(all_tokens, words),
        "tags": pa.array(all_tags, words),
    })


# --------------------------------------------------------------------------------------------
# health.readmission_risk

READMISSION_RATE = 0.13
ADMISSION_TYPES = ("emergency", "urgent", "elective")
DIAGNOSIS_GROUPS = ("circulatory", "respiratory", "diabetes", "digestive", "injury", "musculoskeletal", "genitourinary", "other")
# Planned admissions are mostly joints and bowels; emergencies mostly hearts and lungs.
DIAGNOSIS_SHARES = {
    "elective": (0.15, 0.03, 0.04, 0.25, 0.03, 0.35, 0.10, 0.05),
    "acute": (0.24, 0.20, 0.08, 0.14, 0.12, 0.05, 0.08, 0.09),
}
# Heart failure and COPD come back most; planned joint replacements least.
DIAGNOSIS_RISK = dict(zip(DIAGNOSIS_GROUPS, (0.35, 0.35, 0.2, 0.1, -0.1, -0.35, 0.0, 0.0)))
DESTINATIONS = ("home", "home_with_care", "care_facility", "self_discharge")
DESTINATION_RISK = dict(zip(DESTINATIONS, (0.0, 0.2, 0.35, 1.2)))


def _discharge_destinations(age: np.ndarray, length_of_stay: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Older patients after long stays go home with care or into a care facility; a few,
    mostly younger ones, leave against medical advice."""
    frailty = np.clip((age - 60) / 30, 0, 1) * np.clip(length_of_stay / 10, 0.2, 1)
    weights = np.column_stack([
        np.full(len(age), 0.75),
        0.05 + 0.35 * frailty,
        0.01 + 0.3 * frailty,
        np.where(age < 50, 0.06, 0.015),
    ])
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    choice = (rng.random(len(age))[:, None] > cumulative).sum(axis=1)
    return np.array(DESTINATIONS, dtype=object)[np.minimum(choice, len(DESTINATIONS) - 1)]


def discharges(*, rows: int, seed: int) -> pa.Table:
    """Hospital discharges and whether the patient came back within 30 days, for
    `health.readmission_risk`.

    Columns:
    - `encounter_id`: ENC-0000001...
    - `age` (18-100, mean 66), `sex`, `admission_type` (60% emergency, 20% urgent, 20%
      elective), `diagnosis_group` (circulatory, respiratory, diabetes, digestive, injury,
      musculoskeletal, genitourinary, other; planned and acute admissions differ).
    - `comorbidity_index` (Charlson-like, grows with age), and what it drives:
      `medication_count`, `admissions_last_year`, `emergency_visits_last_6m`;
      `length_of_stay_days` (longer for acute admissions and sicker patients),
      `procedure_count` (more for planned admissions).
    - `discharge_destination` (home, home_with_care, care_facility, self_discharge; older
      patients after long stays need care), `lives_alone` (commoner with age),
      `follow_up_booked` (an appointment within 7 days; commoner after planned admissions).

    Label: a LACE-like score (Length of stay, Acuity of admission, Comorbidity, Emergency
    visits) plus prior admissions, polypharmacy, diagnosis group, self-discharge and care
    needs, living alone and age, less a booked follow-up, plus logistic noise as large as the
    signal (readmission is hard to predict; published models reach ROC AUC 0.7-0.8, and a
    logistic regression on these columns about 0.76). The 13% highest scores are
    `readmitted_30d` = "yes", the rest "no".
    """
    rng = np.random.default_rng(seed)
    admission_type = rng.choice(np.array(ADMISSION_TYPES, dtype=object), size=rows, p=(0.6, 0.2, 0.2))
    acute = admission_type != "elective"
    age = np.clip(rng.normal(66, 15, rows).round(), 18, 100).astype(np.int64)
    sex = rng.choice(np.array(("female", "male"), dtype=object), size=rows)
    diagnosis_index = np.where(
        acute,
        rng.choice(len(DIAGNOSIS_GROUPS), size=rows, p=DIAGNOSIS_SHARES["acute"]),
        rng.choice(len(DIAGNOSIS_GROUPS), size=rows, p=DIAGNOSIS_SHARES["elective"]),
    )
    diagnosis_group = np.array(DIAGNOSIS_GROUPS, dtype=object)[diagnosis_index]

    comorbidity = rng.poisson(np.clip(0.4 + 0.05 * (age - 45), 0.2, None))
    length_of_stay = np.ceil(rng.gamma(2.0, 1.2 + 0.3 * np.minimum(comorbidity, 6) + 1.0 * acute)).astype(np.int64)
    medication_count = rng.poisson(3 + 1.2 * comorbidity)
    procedure_count = rng.poisson(np.where(acute, 0.9, 2.0))
    admissions_last_year = rng.poisson(0.25 + 0.2 * comorbidity)
    emergency_visits = rng.poisson(0.3 + 0.15 * comorbidity + 0.3 * (admissions_last_year > 0))
    destination = _discharge_destinations(age, length_of_stay, rng)
    lives_alone = rng.random(rows) < np.clip(0.15 + 0.006 * (age - 50), 0.05, 0.5)
    follow_up_booked = rng.random(rows) < np.where(acute, 0.5, 0.7)

    risk = (
        0.08 * np.minimum(length_of_stay, 14)
        + 0.5 * (admission_type == "emergency")
        + 0.15 * np.minimum(comorbidity, 8)
        + 0.3 * np.minimum(emergency_visits, 4)
        + 0.4 * np.minimum(admissions_last_year, 4)
        + 0.03 * medication_count
        + np.array([DIAGNOSIS_RISK[g] for g in diagnosis_group])
        + np.array([DESTINATION_RISK[d] for d in destination])
        + 0.25 * lives_alone
        - 0.4 * follow_up_booked
        + 0.01 * (age - 65)
        + rng.logistic(0, 0.85, rows)
    )
    readmitted = risk >= np.quantile(risk, 1 - READMISSION_RATE)
    not_readmitted, was_readmitted = READMITTED

    return pa.table({
        "encounter_id": pa.array([f"ENC-{n:07d}" for n in range(1, rows + 1)], pa.string()),
        "age": pa.array(age, pa.int64()),
        "sex": pa.array(sex, pa.string()),
        "admission_type": pa.array(admission_type, pa.string()),
        "diagnosis_group": pa.array(diagnosis_group, pa.string()),
        "length_of_stay_days": pa.array(length_of_stay, pa.int64()),
        "comorbidity_index": pa.array(comorbidity.astype(np.int64), pa.int64()),
        "medication_count": pa.array(medication_count.astype(np.int64), pa.int64()),
        "procedure_count": pa.array(procedure_count.astype(np.int64), pa.int64()),
        "admissions_last_year": pa.array(admissions_last_year.astype(np.int64), pa.int64()),
        "emergency_visits_last_6m": pa.array(emergency_visits.astype(np.int64), pa.int64()),
        "discharge_destination": pa.array(destination, pa.string()),
        "lives_alone": pa.array(lives_alone, pa.bool_()),
        "follow_up_booked": pa.array(follow_up_booked, pa.bool_()),
        "readmitted_30d": pa.array(np.where(readmitted, was_readmitted, not_readmitted), pa.string()),
    })
