"""Ressenti's agents: graphs, state, the emotion layer, policies, the LLM boundary, config."""
