"""The PM's figures: monthly series per metric, derived metrics, targets and anomalies.

Pure functions over `Series` (month -> value). A month without a value is "no data",
never zero; the sources (PostHog, SQL warehouses, the PM's files) fill the series.
"""
