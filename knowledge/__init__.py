"""Lumio's knowledge base: the demo company's documents, ingested by `ressenti kb ingest`.

The documents are data (Markdown, HTML, plain text); this module only tells where they are.
"""

from __future__ import annotations

from pathlib import Path

KNOWLEDGE_DIR = Path(__file__).resolve().parent
"""The folder of the packaged demo documents (the default of `ressenti kb ingest`)."""
