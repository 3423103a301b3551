"""Is it a regression? Everything that decides a verdict: the threshold file, the seed's fixed
ratios, the judge's rule and its statistics, baselines, the run's own limits (validation)."""
