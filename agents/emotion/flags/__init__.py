"""Escalation flags: learned detectors over clause embeddings, with the cue rules."""
