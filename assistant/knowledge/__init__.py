"""Market knowledge: loading and validating prompts/, and answering from it."""
