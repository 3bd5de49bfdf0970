"""Which MedlinePlus topic explains a lab result: the test itself, or the condition a flag points to.

Pure Python: no Django. Titles are MedlinePlus health-topic titles (2025-10-01 corpus);
``knowledge.services.topic_link_for_lab`` resolves them against the loaded version and
falls back to search for analytes not listed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.lay_terms import normalise_words


@dataclass(frozen=True)
class LabTopics:
    test: tuple[str, ...]
    low: tuple[str, ...] = ()
    high: tuple[str, ...] = ()


_BLOOD_COUNT = LabTopics(("Blood Count Tests", "Laboratory Tests"))
_KIDNEY = LabTopics(("Kidney Tests", "Chronic Kidney Disease"), high=("Chronic Kidney Disease", "Kidney Diseases"))
_LIVER = LabTopics(("Liver Diseases", "Laboratory Tests"), high=("Liver Diseases", "Hepatitis"))
_GLUCOSE = LabTopics(("Blood Glucose", "Diabetes"), low=("Hypoglycemia",), high=("Hyperglycemia", "Diabetes"))
_THYROID = LabTopics(("Thyroid Tests", "Thyroid Diseases"))

_BY_ANALYTE: dict[str, LabTopics] = {
    "hemoglobin": LabTopics(("Blood Count Tests", "Anemia"), low=("Anemia",)),
    "hematocrit": LabTopics(("Blood Count Tests", "Anemia"), low=("Anemia",)),
    "red blood cells": LabTopics(("Blood Count Tests",), low=("Anemia",)),
    "rbc": LabTopics(("Blood Count Tests",), low=("Anemia",)),
    "mcv": LabTopics(("Blood Count Tests", "Anemia"), low=("Iron", "Anemia"), high=("B Vitamins", "Anemia")),
    "white blood cells": _BLOOD_COUNT,
    "wbc": _BLOOD_COUNT,
    "neutrophils": _BLOOD_COUNT,
    "lymphocytes": _BLOOD_COUNT,
    "platelets": LabTopics(("Blood Count Tests", "Platelet Disorders"), low=("Platelet Disorders",)),
    "platelet count": LabTopics(("Blood Count Tests", "Platelet Disorders"), low=("Platelet Disorders",)),
    "complete blood count": _BLOOD_COUNT,
    "ferritin": LabTopics(("Iron",), low=("Anemia", "Iron"), high=("Hemochromatosis",)),
    "iron": LabTopics(("Iron",), low=("Anemia", "Iron"), high=("Hemochromatosis",)),
    "vitamin b12": LabTopics(("B Vitamins",), low=("B Vitamins", "Anemia")),
    "folate": LabTopics(("Folic Acid", "B Vitamins")),
    "vitamin d": LabTopics(("Vitamin D",), low=("Vitamin D Deficiency",)),
    "glucose": _GLUCOSE,
    "fasting glucose": _GLUCOSE,
    "blood sugar": _GLUCOSE,
    "hba1c": LabTopics(("A1C",), high=("Diabetes", "Prediabetes")),
    "a1c": LabTopics(("A1C",), high=("Diabetes", "Prediabetes")),
    "glycated hemoglobin": LabTopics(("A1C",), high=("Diabetes", "Prediabetes")),
    "cholesterol": LabTopics(("Cholesterol Levels: What You Need to Know", "Cholesterol")),
    "total cholesterol": LabTopics(("Cholesterol Levels: What You Need to Know", "Cholesterol")),
    "ldl": LabTopics(('LDL: The "Bad" Cholesterol', "Cholesterol")),
    "hdl": LabTopics(('HDL: The "Good" Cholesterol', "Cholesterol")),
    "vldl": LabTopics(("VLDL Cholesterol", "Cholesterol")),
    "triglycerides": LabTopics(("Triglycerides",)),
    "creatinine": _KIDNEY,
    "egfr": LabTopics(("Kidney Tests",), low=("Chronic Kidney Disease", "Kidney Diseases")),
    "urea": _KIDNEY,
    "bun": _KIDNEY,
    "blood urea nitrogen": _KIDNEY,
    "albumin": LabTopics(("Kidney Tests", "Liver Diseases")),
    "urine albumin": LabTopics(("Kidney Tests",), high=("Diabetic Kidney Problems", "Kidney Diseases")),
    "alt": _LIVER,
    "ast": _LIVER,
    "alkaline phosphatase": _LIVER,
    "bilirubin": LabTopics(("Liver Diseases", "Jaundice"), high=("Jaundice", "Liver Diseases")),
    "tsh": LabTopics(("Thyroid Tests",), low=("Hyperthyroidism",), high=("Hypothyroidism",)),
    "free t4": LabTopics(("Thyroid Tests",), low=("Hypothyroidism",), high=("Hyperthyroidism",)),
    "t4": LabTopics(("Thyroid Tests",), low=("Hypothyroidism",), high=("Hyperthyroidism",)),
    "t3": _THYROID,
    "sodium": LabTopics(("Sodium", "Fluid and Electrolyte Balance")),
    "potassium": LabTopics(("Potassium", "Fluid and Electrolyte Balance")),
    "chloride": LabTopics(("Fluid and Electrolyte Balance",)),
    "bicarbonate": LabTopics(("Fluid and Electrolyte Balance",)),
    "calcium": LabTopics(("Calcium",), high=("Parathyroid Disorders", "Calcium")),
    "uric acid": LabTopics(("Gout",)),
    "psa": LabTopics(("Prostate Cancer Screening", "Prostate Diseases")),
    "prostate specific antigen": LabTopics(("Prostate Cancer Screening", "Prostate Diseases")),
    "inr": LabTopics(("Blood Thinners", "Bleeding Disorders")),
    "prothrombin time": LabTopics(("Blood Thinners", "Bleeding Disorders")),
    "crp": LabTopics(("Laboratory Tests",)),
    "c reactive protein": LabTopics(("Laboratory Tests",)),
    "urinalysis": LabTopics(("Urinalysis",)),
    "urine protein": LabTopics(("Urinalysis", "Kidney Tests")),
    "blood pressure": LabTopics(("Vital Signs",), low=("Low Blood Pressure",), high=("High Blood Pressure",)),
}

_SPELLINGS = {"haemoglobin": "hemoglobin", "haematocrit": "hematocrit", "hgb": "hemoglobin", "hb": "hemoglobin"}


def analyte_key(name: str) -> str:
    words = [_SPELLINGS.get(word, word) for word in normalise_words(name)]
    return " ".join(words)


def _lookup(analyte_name: str) -> LabTopics | None:
    """Try the whole name, then its parts: "Haemoglobin (Hb)" -> "hemoglobin", "hb"; "LDL, calculated" -> "ldl"."""
    parts = [analyte_name, *re.split(r"[(),;/]", analyte_name)]
    for key in (analyte_key(part) for part in parts):
        if key in _BY_ANALYTE:
            return _BY_ANALYTE[key]
    return None


def candidate_titles(analyte_name: str, flag: str | None = None) -> tuple[str, ...]:
    """Topic titles to try, best first: the flagged condition, then the test."""
    topics = _lookup(analyte_name)
    if topics is None:
        return ()
    flagged = {"low": topics.low, "l": topics.low, "high": topics.high, "h": topics.high}
    return tuple(dict.fromkeys([*flagged.get((flag or "").strip().lower(), ()), *topics.test]))
