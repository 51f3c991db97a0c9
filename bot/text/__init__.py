"""Text analysis: normalization, cleaning, dates, summaries, matching, copies and events."""
