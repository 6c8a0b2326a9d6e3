"""The knowledge base: the demo company's documents in Chroma, ingested and searched with citations."""
