"""The knowledge base: the demo company's documents in Chroma, ingested and searched with citations.

Modules: `documents` (reading files), `chunking`, `store` (Chroma), `ingest`, `search`,
`tool` (the agent's LangChain tool) and `cli` (`ressenti kb`).
"""
