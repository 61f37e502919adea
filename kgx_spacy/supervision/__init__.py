"""Training data from what the user has: gold records, the text ↔ KB aligner, and distant
supervision (KB facts found in raw text become relation and attribute annotations)."""
