"""The knowledge-base search as a LangChain tool for the agent (read-only).

The tool returns text for the model (passages inside `<passage>` tags with their citation ids)
and, as its artifact, the full `RetrievalResult`, so the graph can read `confident` and
escalate in code instead of trusting the model to notice a weak match.
"""

from __future__ import annotations

from langchain_core.tools import BaseTool, StructuredTool

import prompts
from agents.core.lang import Lang
from tools.kb.search import KnowledgeBase, RetrievalResult

TOOL_NAME = "search_knowledge_base"


def format_result(result: RetrievalResult, lang: Lang = "en") -> str:
    """The model-facing text of a search: a verdict line, then one tagged block per passage
    (written by `prompts.passages_block`, like every passage a prompt shows)."""
    say = prompts.snippets("kb_search")[lang]
    if not result.passages:
        return say["nothing"]
    if result.confident:
        head = say["found"].format(count=len(result.passages), best=f"{result.top_score:.2f}")
    else:
        head = say["weak"].format(
            best=f"{result.top_score:.2f}", threshold=f"{result.min_score:.2f}"
        )
    block = prompts.passages_block(
        prompts.PassageSource(
            p.citation,
            p.text,
            {
                "score": f"{p.score:.2f}",
                "lang": p.lang,
                "title": p.title,
                "section": p.section,
                "version": p.version,
                "updated": p.updated,
            },
        )
        for p in result.passages
    )
    return f"{head}\n\n{block}"


def make_knowledge_search_tool(kb: KnowledgeBase, verdict_lang: Lang = "en") -> BaseTool:
    """A `search_knowledge_base` tool bound to `kb` (built per graph; no global store); its
    verdict lines are in `verdict_lang`."""

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
        return format_result(result, verdict_lang), result

    return StructuredTool.from_function(
        search_knowledge_base,
        name=TOOL_NAME,
        response_format="content_and_artifact",
        parse_docstring=True,
    )
