"""Release checks: what a person installing sv-widgets meets (README, docs, wheel, bounds)."""
