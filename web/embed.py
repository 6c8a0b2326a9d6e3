"""The Chatwoot Dashboard App: a conversation page Chatwoot embeds in an iframe.

`GET /embed/chatwoot` is the page (set it as the Dashboard App's URL in Chatwoot). Chatwoot
posts the conversation's context to it (`{event: "appContext", data: {conversation,
contact, currentAgent}}`, by `window.postMessage`; the page asks again with
`chatwoot-dashboard-app:fetch-info`); the page accepts it only from the configured
Chatwoot origin, maps Chatwoot's account and conversation ids to Ressenti's conversation,
and shows the reading, the trajectory, the cited passages and the draft with approve /
edit / redraft / reject / take over.

**Sign-in without a cookie.** The app's session cookie is `SameSite=Strict`, which a
cross-site iframe never sends, and third-party cookies are going away in browsers; rather
than weaken that cookie, the page signs in through `POST /embed/api/signin` (the same
password check, throttle and audit as the sign-in page), which answers a session token
that the page keeps in memory only (no cookie, no storage) and sends as
`Authorization: Bearer` to `/embed/api/…`. The session is an ordinary server-side session
(expiry, idle timeout, revocation, `ressenti users disable` end it); reloading the iframe
asks to sign in again. Since no cookie is involved, a cross-site request cannot act as
the agent (no CSRF). The page may be framed only by Chatwoot's origin (`frame-ancestors`),
runs only its own script (a nonce), and writes every value as text, never as HTML.
"""

from __future__ import annotations

import json
import secrets
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from agents.core.catalogue import Catalogue
from agents.core.lang import LANGS, Lang, lang_or
from agents.services.sessions import SignedIn
from agents.services.workspace import Workspace
from web.api.models import ConversationView, DecisionDone, DecisionRequest
from web.api.reads import conversation_view
from web.api.writes import decide_draft
from web.signin import client_address

CHANNEL = "chatwoot"
QUOTED_NONE = "'none'"
"""CSP's keyword for "no one" (quoted: a bare `none` would name a host)."""


@cache
def catalogue() -> Catalogue:
    raw = resources.files("web").joinpath("embed_texts.yaml").read_text("utf-8")
    return Catalogue.from_yaml("web/embed_texts.yaml", raw)


def chatwoot_origin(ws: Workspace) -> str | None:
    """`scheme://host[:port]` of the configured Chatwoot, the only one that may frame the
    page and post its context."""
    url = ws.settings.chatwoot_base_url
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


class EmbedSignIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    lang: Lang = "fr"


class EmbedSession(BaseModel):
    token: str
    email: str
    name: str
    role: str


class EmbedConversation(BaseModel):
    conversation_id: str
    view: ConversationView


PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ressenti</title>
<style>
body {{font-family: system-ui, sans-serif; font-size: 14px; color: #1f2937; margin: 12px}}
h1 {{font-size: 1.1rem; margin: 0 0 8px}} h2 {{font-size: .95rem; margin: 14px 0 6px}}
input, textarea {{width: 100%; box-sizing: border-box; padding: 6px; margin: 4px 0;
  border: 1px solid #d1d5db; border-radius: 6px; font: inherit}}
button {{margin: 4px 4px 0 0; padding: 6px 10px; border: 0; border-radius: 6px;
  background: #4f46e5; color: #fff; cursor: pointer}}
button.secondary {{background: #e5e7eb; color: #111827}} button.stop {{background: #b91c1c}}
.note {{background: #eef2ff; padding: 8px; border-radius: 6px}}
.error {{background: #fde8e8; color: #8a1f1f; padding: 8px; border-radius: 6px}}
.passage {{border-left: 3px solid #c7d2fe; padding: 2px 8px; margin: 6px 0}}
[hidden] {{display: none}}
</style></head>
<body>
<h1 id="title"></h1>
<p id="message" class="note" hidden></p>
<form id="signin">
  <p id="signin-lead"></p>
  <input id="email" type="email" autocomplete="username" required>
  <input id="password" type="password" autocomplete="current-password" required>
  <button id="signin-button" type="submit"></button>
</form>
<section id="app" hidden>
  <div id="conversation"></div>
  <h2 id="draft-title"></h2>
  <textarea id="draft" rows="8"></textarea>
  <input id="instruction">
  <div id="actions"></div>
  <button id="signout" class="secondary" type="button"></button>
</section>
<script type="application/json" id="config">{config}</script>
<script nonce="{nonce}">{script}</script>
</body></html>
"""

SCRIPT = r"""
(() => {
  const config = JSON.parse(document.getElementById("config").textContent);
  const t = config.texts;
  const $ = (id) => document.getElementById(id);
  let token = null, context = null, approval = null;
  const say = (text, error) => {
    const box = $("message");
    box.hidden = !text; box.textContent = text || ""; box.className = error ? "error" : "note";
  };
  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  };
  $("title").textContent = t.title;
  $("signin-lead").textContent = t.signin_lead;
  $("email").placeholder = t.email; $("password").placeholder = t.password;
  $("signin-button").textContent = t.signin; $("signout").textContent = t.signout;
  $("draft-title").textContent = t.draft; $("instruction").placeholder = t.instruction;

  async function call(method, path, body) {
    const headers = {"Content-Type": "application/json"};
    if (token) headers["Authorization"] = "Bearer " + token;
    const answer = await fetch(config.base + path, {
      method, headers, body: body ? JSON.stringify(body) : undefined, credentials: "omit"});
    let data = null;
    try { data = await answer.json(); } catch (e) { data = null; }
    return {status: answer.status, data};
  }

  function render(view) {
    const box = $("conversation");
    box.replaceChildren();
    const last = [...view.messages].reverse().find((m) => m.reading);
    if (last) {
      const r = last.reading;
      box.append(el("h2", t.reading), el("p",
        `${r.label} · ${t.intensity} ${r.intensity.toFixed(2)} · ${t.effort} ` +
        `${r.effort.toFixed(2)} · ${t.urgency} ${r.urgency.toFixed(2)}`, "reading"));
    }
    if (view.trajectory) {
      const k = view.trajectory;
      box.append(el("h2", t.trajectory), el("p",
        `${t.trend} ${k.trend} · ${k.start_valence.toFixed(2)} → ${k.end_valence.toFixed(2)}` +
        (k.flags.length ? ` · ${k.flags.join(", ")}` : ""), "trajectory"));
    }
    approval = view.pending_approval;
    if (approval && approval.citations.length) {
      box.append(el("h2", t.passages));
      for (const p of approval.citations) {
        const item = el("div", null, "passage");
        item.append(el("strong", `[${p.citation_id}] ${p.title}`), el("div", p.text));
        box.append(item);
      }
    }
    if (view.deliveries.length) {
      box.append(el("h2", t.deliveries));
      for (const d of view.deliveries) {
        box.append(el("div", `${d.kind} · ${d.status}` + (d.last_error ? ` · ${d.last_error}` : ""),
                      "delivery"));
      }
    }
    $("draft").value = approval ? approval.draft : "";
    $("draft").placeholder = approval ? "" : t.no_draft;
    for (const id of ["draft", "instruction"]) $(id).disabled = !approval;
    for (const button of $("actions").querySelectorAll("button")) button.disabled = !approval;
  }

  async function load() {
    if (!token || !context) { if (token) say(t.waiting_context); return; }
    const answer = await call("GET", `/api/chatwoot/${context.account}/${context.conversation}`);
    if (answer.status === 404) {
      say(t.not_in_ressenti); render({messages: [], deliveries: []}); return;
    }
    if (answer.status === 401) { signedOut(); return; }
    if (answer.status !== 200) { say(t.failed.replace("{detail}", answer.status), true); return; }
    say("");
    render(answer.data.view);
  }

  function signedOut() {
    token = null; $("app").hidden = true; $("signin").hidden = false;
  }

  for (const [action, label, cls] of [["accept", t.approve, ""], ["edit", t.edit, "secondary"],
      ["respond", t.redraft, "secondary"], ["reject", t.reject, "stop"],
      ["take_over", t.take_over, "secondary"]]) {
    const button = el("button", label, cls);
    button.type = "button"; button.id = "action-" + action;
    button.addEventListener("click", async () => {
      if (!approval) return;
      const body = {action};
      if (action === "edit") body.text = $("draft").value;
      if (action === "respond") body.instruction = $("instruction").value;
      const path = `/api/approvals/${encodeURIComponent(approval.approval_id)}/decision`;
      const answer = await call("POST", path, body);
      if (answer.status === 200) {
        await load();
        say(t.done.replace("{outcome}", answer.data.outcome || answer.data.action));
      } else {
        const detail = (answer.data && answer.data.detail) || answer.status;
        say(t.failed.replace("{detail}", detail), true);
      }
    });
    $("actions").append(button);
  }

  $("signin").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await call("POST", "/api/signin",
      {email: $("email").value, password: $("password").value, lang: config.lang});
    $("password").value = "";
    if (answer.status === 200) {
      token = answer.data.token;
      $("signin").hidden = true; $("app").hidden = false; say("");
      await load();
    } else {
      say(answer.status === 429 ? t.throttled : answer.status === 403 ? t.not_allowed
          : t.bad_credentials, true);
    }
  });
  $("signout").addEventListener("click", async () => {
    await call("POST", "/api/signout"); signedOut();
  });

  window.addEventListener("message", (event) => {
    if (!config.chatwoot || event.origin !== config.chatwoot) return;  // Chatwoot only
    let message = event.data;
    if (typeof message === "string") {
      try { message = JSON.parse(message); } catch (e) { return; }
    }
    if (!message || message.event !== "appContext" || !message.data) return;
    const conversation = message.data.conversation || {};
    const account = conversation.account_id, number = conversation.id;
    if (!Number.isInteger(account) || !Number.isInteger(number)) return;
    context = {account, conversation: number};
    load();
  });
  if (window.parent !== window && config.chatwoot) {
    window.parent.postMessage("chatwoot-dashboard-app:fetch-info", config.chatwoot);
  }
})();
"""


def _config_json(value: dict[str, Any]) -> str:
    """JSON safe inside a `<script type="application/json">` element."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def embed_router(ws: Workspace) -> APIRouter:
    router = APIRouter(prefix="/embed", include_in_schema=False)

    def agent(request: Request) -> SignedIn:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        signed = ws.sessions.resolve(token.strip()) if scheme.lower() == "bearer" else None
        if signed is None:
            raise HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})
        if not signed.account.may_open("inbox"):
            raise HTTPException(403, "this role may not decide on drafts")
        return signed

    # `Depends` as the default, not a local `Annotated` alias: with postponed annotations
    # FastAPI resolves a route's annotations in this module's globals, where a local alias
    # is unknown (the parameter would silently become a required query field: 422)
    signed_agent = Depends(agent)

    @router.get("/chatwoot")
    def page(request: Request) -> HTMLResponse:
        lang = lang_or(request.query_params.get("lang"))
        nonce = secrets.token_urlsafe(16)
        origin = chatwoot_origin(ws)
        config = {
            "lang": lang,
            "base": str(request.scope.get("root_path", "")) + "/embed",
            "chatwoot": origin,
            "texts": dict(catalogue().texts[lang]),
        }
        html = PAGE.format(lang=lang, nonce=nonce, config=_config_json(config), script=SCRIPT)
        headers = {
            "Cache-Control": "no-store",
            "Referrer-Policy": "same-origin",
            "Content-Security-Policy": (
                f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
                f"connect-src 'self'; form-action 'none'; base-uri 'none'; "
                f"frame-ancestors {origin or QUOTED_NONE}"
            ),
        }
        return HTMLResponse(html, headers=headers)

    @router.post("/api/signin")
    async def signin(request: Request, body: EmbedSignIn) -> EmbedSession:
        result = await run_in_threadpool(
            ws.signins.sign_in,
            body.email,
            body.password,
            address=client_address(request),
            lang=body.lang if body.lang in LANGS else "fr",
        )
        if result.outcome == "throttled":
            wait = str(max(1, round(result.retry_after_s)))
            raise HTTPException(429, "too many tries", headers={"Retry-After": wait})
        if result.outcome != "ok" or result.token is None or result.signed_in is None:
            raise HTTPException(401, "wrong address or password")
        account = result.signed_in.account
        if not account.may_open("inbox"):
            ws.sessions.revoke(result.token)
            raise HTTPException(403, "this role may not decide on drafts")
        return EmbedSession(
            token=result.token, email=account.email, name=account.display_name, role=account.role
        )

    @router.post("/api/signout")
    def signout(request: Request) -> dict[str, bool]:
        _, _, token = request.headers.get("authorization", "").partition(" ")
        return {"signed_out": ws.sessions.revoke(token.strip() or None)}

    @router.get("/api/chatwoot/{account_id}/{conversation_id}")
    def conversation(
        account_id: int, conversation_id: int, who: SignedIn = signed_agent
    ) -> EmbedConversation:
        found = ws.store.conversation_of_channel(CHANNEL, f"{account_id}:{conversation_id}")
        if found is None:
            raise HTTPException(404, "Ressenti does not follow this conversation")
        return EmbedConversation(conversation_id=found, view=conversation_view(ws, found))

    @router.post("/api/approvals/{approval_id}/decision")
    def decide(
        approval_id: str, body: DecisionRequest, who: SignedIn = signed_agent
    ) -> DecisionDone:
        return decide_draft(
            ws, approval_id, body.model_copy(update={"reviewer": None}), who.account.email
        )

    return router
