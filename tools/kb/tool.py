"""The knowledge-base search as a LangChain tool for the agent (read-only).

The tool returns text for the model (passages inside `<passage>` tags with their citation ids)
and, as its artifact, the full `RetrievalResult`, so the graph can read `confident` and
escalate in code instead of trusting the model to notice a weak match.
"""

from __future__ import annotations

from html import escape

from langchain_core.tools import BaseTool, StructuredTool

from agents.core.lang import Lang
from tools.kb.search import KnowledgeBase, RetrievalResult

TOOL_NAME = "search_knowledge_base"


def format_result(result: RetrievalResult) -> str:
    """The model-facing text of a search: a verdict line, then one tagged block per passage."""
    if not result.passages:
        return "NO_GOOD_PASSAGE: the knowledge base returned nothing. Do not guess an answer."
    if result.confident:
        head = (
            f"FOUND: {len(result.passages)} passages, best score {result.top_score:.2f}. "
            "Cite the ids you use in square brackets, e.g. [doc-id#section]."
        )
    else:
        head = (
            f"NO_GOOD_PASSAGE: best score {result.top_score:.2f} is below "
            f"{result.min_score:.2f}. These passages probably do not answer the question; "
            "do not state facts from them."
        )
    blocks = [
        f'<passage id="{escape(p.citation)}" score="{p.score:.2f}" lang="{escape(p.lang)}" '
        f'title="{escape(p.title)}" section="{escape(p.section)}" version="{escape(p.version)}" '
        f'updated="{escape(p.updated)}">\n{escape(p.text, quote=False)}\n</passage>'
        for p in result.passages
    ]
    return "\n\n".join([head, *blocks])


def make_knowledge_search_tool(kb: KnowledgeBase) -> BaseTool:
    """A `search_knowledge_base` tool bound to `kb` (built per graph; no global store)."""

    def search_knowledge_base(query: str, lang: Lang | None = None) -> tuple[str, RetrievalResult]:
        """Search Lumio's internal policies and offer sheets for passages that answer a question.

        Use it before stating any rule, delay, price, fee or commercial gesture. Answer only
        from passages it returns and cite their ids in square brackets. If it says
        NO_GOOD_PASSAGE, do not answer from memory: say that a colleague will check.

        Args:
            query: The customer's question or the fact to check, in French or English,
                as a short standalone sentence.
            lang: Only return passages in this language. Leave empty in most cases: many
                policies exist in one language only.
        """
        result = kb.search(query, lang=lang)
        return format_result(result), result

    return StructuredTool.from_function(
        search_knowledge_base,
        name=TOOL_NAME,
        response_format="content_and_artifact",
        parse_docstring=True,
    )
