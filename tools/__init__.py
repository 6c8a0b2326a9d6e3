"""Tools the agents use: the CRM store and its scoped tools, the knowledge base."""
