"""The knowledge base: the demo company's documents in Chroma, ingested and searched with citations.

Modules: `documents` (reading files), `chunking`, `store` (Chroma), `ingest` and `search`
(the search and the `KnowledgeSearch` protocol the graphs depend on).
"""
