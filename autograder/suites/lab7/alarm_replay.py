"""A CloudWatch alarm replayed on series of metric values, period by period (no AWS account).

CloudWatch reduces each period's data points to one number with the alarm's statistic, compares
it with the threshold, and goes to ALARM when at least `DatapointsToAlarm` of the last
`EvaluationPeriods` periods breach. A period without data counts as `TreatMissingData` says:
`notBreaching`, `breaching`, or (`missing`, `ignore`, the default) not at all: the periods that
have data are looked at instead, and none at all is INSUFFICIENT_DATA, never ALARM.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

COMPARISONS = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


def period_value(values: Sequence[float], properties: dict) -> float | None:
    """One period's data points reduced by the alarm's statistic (None for a period without data)."""
    if not values:
        return None
    ordered = sorted(values)
    statistic = properties.get("Statistic")
    extended = str(properties.get("ExtendedStatistic", ""))
    if statistic == "Maximum":
        return ordered[-1]
    if statistic == "Minimum":
        return ordered[0]
    if statistic == "Average":
        return sum(ordered) / len(ordered)
    if statistic == "Sum":
        return sum(ordered)
    if statistic == "SampleCount":
        return float(len(ordered))
    if extended.startswith("p"):
        rank = float(extended[1:]) / 100 * (len(ordered) - 1)
        return ordered[math.floor(rank)] + (rank - math.floor(rank)) * (ordered[math.ceil(rank)] - ordered[math.floor(rank)])
    raise ValueError(f"the alarm has no statistic CloudWatch knows ({statistic!r}, {extended!r})")


def in_alarm(properties: dict, periods: Sequence[Sequence[float]]) -> bool:
    """Whether the alarm is in ALARM after the last of `periods` (oldest first)."""
    compare = COMPARISONS[properties["ComparisonOperator"]]
    threshold = float(properties["Threshold"])
    evaluation = int(properties["EvaluationPeriods"])
    needed = int(properties.get("DatapointsToAlarm", evaluation))
    missing = properties.get("TreatMissingData", "missing")
    values = [period_value(list(period), properties) for period in periods]
    if missing in ("notBreaching", "breaching"):
        window = values[-evaluation:]
        breaches = [compare(v, threshold) if v is not None else missing == "breaching" for v in window]
    else:
        window = [v for v in values if v is not None][-evaluation:]
        breaches = [compare(v, threshold) for v in window]
    return bool(window and sum(breaches) >= needed)
