"""The loop from text back to the graph: extracted facts compared with the KG, ranked."""
