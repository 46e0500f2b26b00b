"""agencies: who asks and why: the registry, local investigations, outside interest and its channels."""

from agencies.interest import InterestSpec, PlannedSearch
from agencies.registry import Agency

__all__ = ["Agency", "InterestSpec", "PlannedSearch"]
