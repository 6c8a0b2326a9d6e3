"""The reading, the retrieval and the assessment side by side (`fan_out`): the same turn as
the old chain, on the same scripted model, on every route that reaches `route`."""

from __future__ import annotations

from typing import Any

import pytest

from agents.core.emotion import EmotionReading
from agents.support.graph import build_support_graph, merge_notes
from agents.support.worker import thread_config
from tests.unit.support.conftest import ANGRY, ASSESS_SIMPLE, CALM, DRAFT_OK

Make = Any

NOT_JSON = "ceci n'est pas du JSON"


def chained(harness: Any) -> Any:
    """The harness with its service on the old chain (reading → retrieval → assessment)."""
    service = harness.service
    graph = build_support_graph(service.graph.checkpointer, fan_out=False)
    service.graph = service.worker.graph = graph
    return harness


def final_state(harness: Any, turn_id: str) -> dict[str, Any]:
    values = dict(harness.service.graph.get_state(thread_config(turn_id)).values)
    values.pop("turn_id")
    message = values.pop("message")
    values["message_text"] = message.text
    return values


CASES = [
    pytest.param((ASSESS_SIMPLE, DRAFT_OK), CALM, None, "awaiting_approval", id="drafted"),
    pytest.param((ASSESS_SIMPLE,), ANGRY, None, "handed_off", id="anger-hands-off"),
    pytest.param((ASSESS_SIMPLE,), CALM, [], "handed_off", id="no-passage-hands-off"),
    pytest.param((NOT_JSON, NOT_JSON), CALM, None, "handed_off", id="assessment-fails"),
]


@pytest.mark.parametrize(("answers", "reading", "passages", "outcome"), CASES)
def test_the_fan_out_ends_in_the_same_state_as_the_chain(
    make_harness: Make,
    answers: tuple[str, ...],
    reading: EmotionReading,
    passages: list[Any] | None,
    outcome: str,
) -> None:
    text = "Bonjour, où en est ma commande CMD-1001 ?"
    parallel = make_harness(*answers, reading=reading, passages=passages)
    chain = chained(make_harness(*answers, reading=reading, passages=passages))

    results = [h.submit(text) for h in (parallel, chain)]

    assert [r.outcome for r in results] == [outcome, outcome]
    fanned, chained_state = (
        final_state(h, r.turn_id) for h, r in zip((parallel, chain), results, strict=True)
    )
    assert fanned.keys() == chained_state.keys()
    for key in fanned:
        if key == "tried":  # both notes are kept; the order of nodes run side by side may differ
            assert sorted(fanned[key]) == sorted(chained_state[key]), key
        elif key == "handoff" and fanned[key] is not None:
            assert fanned[key].model_dump(exclude={"tried"}) == chained_state[key].model_dump(
                exclude={"tried"}
            )
        else:
            assert fanned[key] == chained_state[key], key
    assert parallel.prompts_sent() == chain.prompts_sent()  # the same calls, the same prompts


def test_a_failed_assessment_and_the_retrieval_each_keep_their_note(make_harness: Make) -> None:
    h = make_harness(NOT_JSON, NOT_JSON)
    result = h.submit("Bonjour, où en est ma commande CMD-1001 ?")

    assert result.handoff is not None
    notes = result.handoff.tried
    assert any(
        n.startswith("recherche dans la base de connaissances : 1 passage(s)") for n in notes
    ), notes
    assert any(n.startswith("évaluation de la demande par le modèle impossible") for n in notes)


def test_merge_notes_starts_afresh_on_an_empty_list_and_adds_side_by_side_notes() -> None:
    assert merge_notes(["old turn"], []) == []
    assert merge_notes([], ["search"]) == ["search"]
    assert merge_notes(["search"], ["assessment failed"]) == ["search", "assessment failed"]
    assert merge_notes(["search"], ["search", "draft 1 failed"]) == ["search", "draft 1 failed"]
