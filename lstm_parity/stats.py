"""The studies' statistics, from scipy: an interval for a share of runs, and an exact test between two."""
from __future__ import annotations

CONFIDENCE = 0.95


def proportion_interval(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval for the share successes / trials: good at small counts and at 0 or all
    (where the normal approximation's interval collapses to a point)."""
    from scipy.stats import binomtest

    if trials == 0:
        return 0.0, 1.0
    interval = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def fisher_p(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> float:
    """Fisher's exact test, two-sided: the p-value that two shares differ only by chance."""
    from scipy.stats import fisher_exact

    table = [[successes_a, trials_a - successes_a], [successes_b, trials_b - successes_b]]
    return float(fisher_exact(table, alternative="two-sided").pvalue)
