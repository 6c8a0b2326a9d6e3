"""Emotion-layer evaluations: GoEmotions' test split and the curated customer-service set."""
