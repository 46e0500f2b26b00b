"""agencies: who asks and why: registry, investigations, outside interest, forensic auditors."""

from agencies.forensics import classify, precision_recall
from agencies.interest import InterestSpec, PlannedSearch
from agencies.registry import Agency

__all__ = ["Agency", "InterestSpec", "PlannedSearch", "classify", "precision_recall"]
