"""cameras: placement, capture, plate images, the recogniser, misread models, acoustic sensors."""

from cameras.capture import CaptureSpec, capture
from cameras.misread import ConfusionMisreadModel, MisreadModel, default_misread_model

__all__ = ["CaptureSpec", "ConfusionMisreadModel", "MisreadModel", "capture", "default_misread_model"]
