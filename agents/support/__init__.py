"""The support turn: from an inbound customer message to an approved reply or a human handoff."""
