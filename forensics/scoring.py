"""Precision and recall of purpose labels against a truth (simulated logs, hand-labelled examples)."""

from __future__ import annotations

from collections.abc import Iterable

LABELS = ("immigration", "federal", "out_of_state", "assist_other", "own_case", "vague", "missing")


def precision_recall(labels_pred: Iterable[str], labels_true: Iterable[str]) -> dict[str, dict[str, float]]:
    """Per-label precision, recall, F1 and support, plus "macro" and "accuracy"."""
    pred, true = list(labels_pred), list(labels_true)
    if len(pred) != len(true):
        raise ValueError(f"{len(pred)} predicted labels but {len(true)} true labels")
    out: dict[str, dict[str, float]] = {}
    for label in LABELS:
        tp = sum(p == label and t == label for p, t in zip(pred, true, strict=True))
        fp = sum(p == label and t != label for p, t in zip(pred, true, strict=True))
        fn = sum(p != label and t == label for p, t in zip(pred, true, strict=True))
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / (tp + fn) if tp + fn else float("nan")
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        out[label] = {"precision": precision, "recall": recall, "f1": f1, "support": float(tp + fn)}
    present = [v for v in out.values() if v["support"]]

    def mean(key: str) -> float:  # a label never predicted counts as precision 0
        values = [0.0 if v[key] != v[key] else v[key] for v in present]
        return sum(values) / len(values) if values else float("nan")

    out["macro"] = {k: mean(k) for k in ("precision", "recall", "f1")} | {"support": float(len(true))}
    out["accuracy"] = {"value": sum(p == t for p, t in zip(pred, true, strict=True)) / len(true) if true else float("nan")}
    return out
