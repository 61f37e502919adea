"""Entity linking: candidates from the KB, scored with context and KG embeddings; NIL mentions minted."""
