"""`ressenti analyze` in real processes: killed with SIGKILL halfway, then run again, it
completes the import without a duplicate; bad input exits with the row and stores nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, inspect, select

from tools.crm.models import AnalysisConversation, AnalysisMessage, AnalysisRun
from tools.crm.store import CRMStore

RESSENTI = str(Path(sys.executable).with_name("ressenti"))
TEXTS = [
    "Mon colis n'est toujours pas arrivé, c'est la troisième fois que j'écris !",
    "Merci pour votre aide, tout fonctionne maintenant.",
    "I was charged twice on my last invoice and nobody answers.",
    "Internet is down again since this morning, I want to cancel.",
    "Bonjour, comment changer le mot de passe du Wi-Fi ?",
]


def write_file(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            out.write(
                json.dumps(
                    {
                        "id": f"m{n}",
                        "conversation": f"c{n // 4}",
                        "time": f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00",
                        "author": "agent" if n % 4 == 1 else "customer",
                        "text": f"{TEXTS[n % len(TEXTS)]} (#{n})",
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )


def environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESSENTI_")}
    env["RESSENTI_DATA_DIR"] = str(data_dir)
    return env


def committed(store: CRMStore) -> int | None:
    if "analysis_runs" not in inspect(store.engine).get_table_names():
        return None
    with store.reading() as session:
        run = session.get(AnalysisRun, "calls")
        return None if run is None else run.committed_messages


def test_a_run_killed_halfway_completes_on_rerun_without_duplicates(tmp_path: Path) -> None:
    total = 3000
    path = tmp_path / "calls.jsonl"
    write_file(path, total)
    data = tmp_path / "data"
    command = [RESSENTI, "analyze", str(path), "--chunk-size", "8", "--no-report"]
    process = subprocess.Popen(
        command, env=environment(data), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    store = None
    killed_at = None
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            if store is None and (data / "ressenti.db").exists():
                store = CRMStore.from_url(f"sqlite:///{data / 'ressenti.db'}", upgrade=False)
            done = committed(store) if store is not None else None
            if done is not None and total // 10 <= done <= total // 2:
                process.send_signal(signal.SIGKILL)
                killed_at = done
                break
            time.sleep(0.02)
    finally:
        if process.poll() is None and killed_at is None:
            process.kill()
        process.wait(timeout=30)
    assert killed_at is not None, "the run ended before it could be killed halfway"
    assert process.returncode == -signal.SIGKILL
    assert store is not None
    stopped = committed(store)
    assert stopped is not None and stopped < total

    rerun = subprocess.run(
        command, env=environment(data), capture_output=True, text=True, timeout=600
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"resumed after {stopped}" in " ".join(rerun.stderr.split())
    with store.reading() as session:
        rows = session.scalar(select(func.count()).select_from(AnalysisMessage))
        ids = session.scalar(select(func.count(func.distinct(AnalysisMessage.external_id))))
        conversations = session.scalar(select(func.count()).select_from(AnalysisConversation))
        run = session.get(AnalysisRun, "calls")
    assert rows == ids == total
    assert conversations == total // 4
    assert run is not None and run.status == "done" and run.committed_messages == total

    again = subprocess.run(
        command, env=environment(data), capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0
    assert "nothing to do" in again.stderr
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(AnalysisMessage)) == total
    store.close()


def test_bad_input_exits_with_the_row_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Ref,Verbatim\n1,Bonjour\n2,\n", encoding="utf-8")
    data = tmp_path / "data"
    result = subprocess.run(
        [RESSENTI, "analyze", str(path), "--map", "id=Ref,text=Verbatim"],
        env=environment(data),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    output = " ".join(result.stderr.split())
    assert "nothing was stored" in output
    assert "row 2 (line 3): empty text (field 'Verbatim')" in output
    store = CRMStore.from_url(f"sqlite:///{data / 'ressenti.db'}", upgrade=False)
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(AnalysisMessage)) == 0
        assert session.scalar(select(func.count()).select_from(AnalysisRun)) == 0
    store.close()


def test_the_command_speaks_french_with_lang_fr(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bad = tmp_path / "export.csv"
    bad.write_text("Ref,Verbatim\n1,Bonjour\n2,\n", encoding="utf-8")
    refused = subprocess.run(
        [RESSENTI, "analyze", str(bad), "--map", "id=Ref,text=Verbatim", "--lang", "fr"],
        env=environment(data),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode == 1
    assert "ne peut pas être analysé ; rien n'a été enregistré" in " ".join(refused.stderr.split())

    good = tmp_path / "calls.jsonl"
    write_file(good, 12)
    done = subprocess.run(
        [RESSENTI, "analyze", str(good), "--lang", "fr"],
        env=environment(data),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert "12 messages de calls.jsonl analysés sous le nom 'calls'" in said
    report = " ".join(done.stdout.split())
    assert "Moteurs et irritants" in report and "Par étape du parcours" in report
    assert "Drivers and irritants" not in report


def test_the_demo_analysis_of_make_run_is_skipped_outside_demo_mode(tmp_path: Path) -> None:
    env = environment(tmp_path / "data") | {"RESSENTI_DEMO_MODE": "false"}
    result = subprocess.run(
        [RESSENTI, "analyze", "--demo", "--if-demo", "--no-report"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Not in demo mode" in result.stderr
    assert not (tmp_path / "data" / "analysis" / "demo.jsonl").exists()
