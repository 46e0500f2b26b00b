"""lookup: the shared-lookup service: read store, sharing, policies, search, audit log.

The HTTP app lives in ``lookup.api`` (imported on its own, so that the domain does not
pull in the web stack).
"""

from lookup.audit import AuditLog, AuditRow
from lookup.policy import Decision, Policy, PolicyError, PolicyPack
from lookup.requests import Organization, ReadQuery, SearchRequest
from lookup.search import LookupService, SearchOutcome
from lookup.sharing import SharingGraph
from lookup.store import ReadStore

__all__ = ["AuditLog", "AuditRow", "Decision", "LookupService", "Organization", "Policy", "PolicyError", "PolicyPack",
           "ReadQuery", "ReadStore", "SearchOutcome", "SearchRequest", "SharingGraph"]
