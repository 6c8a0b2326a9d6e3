"""The emotion layer: a fast trained reader, a deep LLM reader, their fusion, trajectories."""
