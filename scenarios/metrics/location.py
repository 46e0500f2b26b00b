"""Where a beneficiary would place a target's home: the rule lives in ``agencies.locating``
(an adaptive adversary uses it to decide it has found its target); re-exported here for
the metrics, which score the guess against the truth."""

from agencies.locating import (
           LOCATE_RADIUS_M,
           MIN_NIGHTS,
           NIGHT_FROM_HOUR,
           NIGHT_UNTIL_HOUR,
           Inference,
           infer_home,
           night_number,
)

__all__ = ["LOCATE_RADIUS_M", "MIN_NIGHTS", "NIGHT_FROM_HOUR", "NIGHT_UNTIL_HOUR", "Inference", "infer_home",
           "night_number"]
