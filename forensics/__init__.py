"""forensics: real audit logs and sharing lists: importers, the purpose classifier, policy
replay, the sharing-list compliance scan. Its vocabulary is the real world's (FACTS.md),
not the simulator's reason writer's, so scores on simulated logs mean something."""

from forensics.classifier import classify, precision_recall

__all__ = ["classify", "precision_recall"]
