"""The words the health samples are written with: symptoms as patients and clinicians say
them, drugs, diseases and the conditions' symptom profiles.

Invented for the samples, from general medical knowledge; not from any patient record. The
profiles are plausible, not clinical guidance.
"""
from typing import NamedTuple


class Symptom(NamedTuple):
    plain: str  # plain English, fits "no ...": "no fever"
    lay: tuple[str, ...]  # a patient's words, fits "I've had ...": "a high temperature"
    clinical: tuple[str, ...]  # a clinician's words, abbreviations included: "SOB"


SYMPTOMS = {
    "fever": Symptom("fever", ("a fever", "a high temperature", "a temperature"), ("fever", "pyrexia", "high temperature")),
    "chills": Symptom("chills", ("chills", "the shivers", "cold sweats"), ("chills", "rigors")),
    "cough": Symptom("cough", ("a cough", "a dry cough", "a tickly cough"), ("cough", "dry cough", "non-productive cough")),
    "productive_cough": Symptom(
        "phlegm", ("a chesty cough", "a cough bringing up green phlegm"), ("productive cough", "purulent sputum", "green sputum"),
    ),
    "sore_throat": Symptom("sore throat", ("a sore throat", "a scratchy throat"), ("sore throat", "throat pain")),
    "runny_nose": Symptom("runny nose", ("a runny nose", "a blocked nose", "a stuffy nose"), ("rhinorrhoea", "nasal congestion", "coryza")),
    "sneezing": Symptom("sneezing", ("sneezing fits", "lots of sneezing"), ("sneezing",)),
    "body_aches": Symptom("aches", ("aches all over", "sore muscles", "body aches"), ("myalgia", "generalised aches", "body aches")),
    "fatigue": Symptom("tiredness", ("no energy at all", "exhaustion", "tiredness"), ("fatigue", "lethargy", "malaise")),
    "headache": Symptom("headache", ("a headache", "a pounding headache", "a throbbing headache on one side"), ("headache", "unilateral headache", "HA")),
    "light_sensitivity": Symptom("light sensitivity", ("sensitivity to light", "eyes that hurt in bright light"), ("photophobia",)),
    "visual_aura": Symptom("flashing lights", ("zigzag lines in my vision", "flashing lights before the pain"), ("visual aura", "scintillating scotoma")),
    "dizziness": Symptom("dizziness", ("dizziness", "light-headedness"), ("dizziness", "vertigo")),
    "shortness_of_breath": Symptom(
        "shortness of breath", ("trouble breathing", "breathlessness"), ("shortness of breath", "dyspnoea", "SOB"),
    ),
    "chest_pain": Symptom("chest pain", ("chest pain when I breathe in", "a tight chest"), ("pleuritic chest pain", "chest pain")),
    "nausea": Symptom("nausea", ("nausea", "a queasy stomach"), ("nausea",)),
    "vomiting": Symptom("vomiting", ("vomiting", "bouts of being sick"), ("vomiting", "emesis")),
    "diarrhoea": Symptom("diarrhoea", ("diarrhoea", "the runs", "watery poo"), ("diarrhoea", "loose stools", "watery diarrhoea")),
    "abdominal_pain": Symptom("stomach pain", ("stomach cramps", "tummy ache", "belly pain"), ("abdominal pain", "abdominal cramps", "abdo pain")),
    "lower_abdominal_pain": Symptom("lower tummy pain", ("pain low in my belly", "lower tummy pain"), ("suprapubic pain", "lower abdominal pain")),
    "dysuria": Symptom("pain passing urine", ("burning when I pee", "pain passing urine"), ("dysuria", "burning on micturition")),
    "urinary_frequency": Symptom("frequent urination", ("constant trips to the toilet", "a constant need to pee"), ("urinary frequency", "urgency")),
    "cloudy_urine": Symptom("cloudy urine", ("cloudy urine", "smelly urine"), ("cloudy urine", "malodorous urine")),
    "flank_pain": Symptom("back pain", ("pain in my side", "back pain on one side"), ("flank pain", "loin pain")),
}


class Condition(NamedTuple):
    share: float  # how common it is among the notes
    symptoms: dict[str, float]  # the chance that a patient with it reports each symptom
    days: tuple[float, float]  # how long people have had it when they come (uniform range)
    female_share: float
    age: tuple[float, float]  # mean and spread


# Cold, influenza and pneumonia share most symptoms; so do influenza and gastroenteritis, and
# migraine and gastroenteritis. The symptoms that tell them apart are often left unsaid.
CONDITION_PROFILES = {
    "common_cold": Condition(
        0.24,
        {"runny_nose": 0.85, "sneezing": 0.55, "sore_throat": 0.6, "cough": 0.5, "headache": 0.25, "fever": 0.12,
         "fatigue": 0.35, "body_aches": 0.1},
        (2, 10), 0.5, (30, 18),
    ),
    "influenza": Condition(
        0.20,
        {"fever": 0.9, "chills": 0.55, "body_aches": 0.75, "fatigue": 0.75, "cough": 0.65, "headache": 0.55,
         "sore_throat": 0.35, "runny_nose": 0.3, "nausea": 0.1},
        (1, 7), 0.5, (38, 18),
    ),
    "pneumonia": Condition(
        0.10,
        {"cough": 0.75, "productive_cough": 0.6, "fever": 0.8, "shortness_of_breath": 0.7, "chest_pain": 0.5,
         "fatigue": 0.55, "chills": 0.45, "nausea": 0.1},
        (3, 14), 0.5, (62, 16),
    ),
    "migraine": Condition(
        0.15,
        {"headache": 0.97, "light_sensitivity": 0.7, "nausea": 0.6, "visual_aura": 0.3, "vomiting": 0.25,
         "dizziness": 0.25, "fatigue": 0.2},
        (0.2, 3), 0.72, (35, 12),
    ),
    "gastroenteritis": Condition(
        0.17,
        {"diarrhoea": 0.85, "vomiting": 0.6, "nausea": 0.75, "abdominal_pain": 0.7, "fever": 0.3, "fatigue": 0.3,
         "headache": 0.15, "body_aches": 0.1},
        (0.5, 4), 0.5, (30, 20),
    ),
    "urinary_tract_infection": Condition(
        0.14,
        {"dysuria": 0.85, "urinary_frequency": 0.8, "lower_abdominal_pain": 0.5, "cloudy_urine": 0.35, "fever": 0.2,
         "flank_pain": 0.12, "nausea": 0.12, "fatigue": 0.15},
        (1, 5), 0.85, (40, 18),
    ),
}

# What a clinician asks about and writes down when it is absent.
PERTINENT_NEGATIVES = ("fever", "cough", "vomiting", "chest_pain", "shortness_of_breath", "diarrhoea", "headache", "dysuria")

# The usual doses of each drug: a dose written after a drug is one of its own.
DRUG_DOSES = {
    "metformin": ("500 mg", "1 g"), "insulin glargine": ("10 units", "20 units"), "gliclazide": ("40 mg", "80 mg"),
    "lisinopril": ("10 mg", "20 mg"), "amlodipine": ("5 mg", "10 mg"), "ramipril": ("2.5 mg", "5 mg"),
    "salbutamol": ("2 puffs",), "tiotropium": ("18 micrograms",), "prednisolone": ("30 mg", "40 mg"),
    "beclometasone": ("2 puffs",), "montelukast": ("10 mg",), "apixaban": ("2.5 mg", "5 mg"),
    "warfarin": ("3 mg", "5 mg"), "bisoprolol": ("2.5 mg", "5 mg"), "furosemide": ("40 mg", "80 mg"),
    "atorvastatin": ("20 mg", "80 mg"), "aspirin": ("75 mg",), "glyceryl trinitrate": ("400 micrograms",),
    "levothyroxine": ("50 micrograms", "100 micrograms"), "amoxicillin": ("500 mg",), "clarithromycin": ("500 mg",),
    "co-amoxiclav": ("625 mg",), "nitrofurantoin": ("100 mg",), "trimethoprim": ("200 mg",), "sumatriptan": ("50 mg",),
    "propranolol": ("40 mg",), "oral rehydration salts": ("1 sachet",), "loperamide": ("2 mg",),
    "sertraline": ("50 mg",), "citalopram": ("20 mg",), "paracetamol": ("500 mg", "1 g"), "naproxen": ("250 mg", "500 mg"),
    "ibuprofen": ("400 mg",), "codeine": ("30 mg",), "omeprazole": ("20 mg",), "lansoprazole": ("30 mg",),
    "ferrous sulfate": ("200 mg",), "folic acid": ("5 mg",), "alfacalcidol": ("0.25 micrograms",), "oseltamivir": ("75 mg",),
}
# What each disease is commonly treated with, so that a note's drug fits its disease.
TREATMENTS = {
    "type 2 diabetes": ("metformin", "insulin glargine", "gliclazide"),
    "hypertension": ("lisinopril", "amlodipine", "ramipril"),
    "COPD": ("salbutamol", "tiotropium", "prednisolone"),
    "asthma": ("salbutamol", "beclometasone", "montelukast"),
    "atrial fibrillation": ("apixaban", "warfarin", "bisoprolol"),
    "heart failure": ("furosemide", "bisoprolol", "ramipril"),
    "ischaemic heart disease": ("atorvastatin", "aspirin", "glyceryl trinitrate"),
    "hypothyroidism": ("levothyroxine",),
    "pneumonia": ("amoxicillin", "clarithromycin", "co-amoxiclav"),
    "urinary tract infection": ("nitrofurantoin", "trimethoprim"),
    "migraine": ("sumatriptan", "propranolol"),
    "gastroenteritis": ("oral rehydration salts", "loperamide"),
    "depression": ("sertraline", "citalopram"),
    "osteoarthritis": ("paracetamol", "naproxen", "ibuprofen"),
    "GORD": ("omeprazole", "lansoprazole"),
    "anaemia": ("ferrous sulfate", "folic acid"),
    "chronic kidney disease": ("alfacalcidol",),
    "influenza": ("oseltamivir",),
}
PAIN_RELIEVERS = ("paracetamol", "ibuprofen", "naproxen", "codeine")
FREQUENCIES = ("OD", "BD", "TDS", "QDS", "nocte", "PRN", "once daily", "twice daily")
