"""Scoring: P/R/F helpers for the components' scorers, and the WebNLG+ 2020 text-to-RDF scorer."""
