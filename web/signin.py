"""The sign-in page and the session cookie.

- `GET /signin` shows the bilingual form (the language from `?lang=`, else the one this
  browser chose before, else French). In demo mode it lists the demo accounts with their
  password; outside demo mode it never does. With no account at all it says how to create
  the first admin.
- `POST /signin` checks the throttle and the password (`SignInDesk`, in a worker thread:
  sign-ins run side by side), then sets the session cookie (HttpOnly, SameSite=Strict,
  Secure over HTTPS, lasting the session's absolute lifetime) and goes to the app. A
  refusal says the same for every reason (401); a throttled try gets 429 with
  `Retry-After`.
- `POST /signout` ends the session and clears the cookie.
- `GET /auth/session` says whether the cookie's session is live (the page asks it on a
  timer, without counting as use, and goes back to sign-in once it is over).

POSTs from another site are refused (their `Origin` must be this host), and a form larger
than a few kilobytes is refused before it is read.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from agents.core.lang import LANGS, Lang, is_lang, lang_or
from agents.services.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from agents.services.sessions import LANG_COOKIE, SESSION_COOKIE
from agents.services.workspace import Workspace
from ui.i18n import t

MAX_FORM_BYTES = 8 * 1024
"""A sign-in form is a few hundred bytes; anything past this is refused unread."""
LANG_COOKIE_DAYS = 365

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
}

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{font-family: system-ui, -apple-system, "Segoe UI", sans-serif; background: #f7f7fb;
  color: #1f2937; margin: 0}}
header {{display: flex; justify-content: space-between; align-items: center;
  padding: 14px 24px}}
header h1 {{font-size: 1.2rem; margin: 0}}
nav a {{margin-left: 10px; color: #4f46e5; text-decoration: none}}
nav a[aria-current] {{font-weight: 600; text-decoration: underline}}
main {{max-width: 420px; margin: 40px auto; background: #fff; border-radius: 14px;
  box-shadow: 0 1px 4px rgba(0,0,0,.08); padding: 24px 28px}}
h2 {{margin-top: 0}}
label {{display: block; margin: 14px 0 4px; font-weight: 500}}
input {{width: 100%; box-sizing: border-box; padding: 9px 10px; border: 1px solid #d1d5db;
  border-radius: 8px; font-size: 1rem}}
button {{margin-top: 18px; width: 100%; padding: 10px; border: 0; border-radius: 8px;
  background: #4f46e5; color: #fff; font-size: 1rem; cursor: pointer}}
.note {{background: #eef2ff; border-radius: 8px; padding: 10px 12px; font-size: .92rem}}
.error {{background: #fde8e8; color: #8a1f1f; border-radius: 8px; padding: 10px 12px}}
code {{background: #f3f4f6; padding: 0 4px; border-radius: 4px}}
</style></head>
<body><header><h1>{title}</h1><nav id="signin-language">{languages}</nav></header>
<main id="signin"><h2>{heading}</h2><p>{lead}</p>{notes}
<form method="post" action="signin">
<input type="hidden" name="lang" value="{lang}">
<label for="email">{email_label}</label>
<input id="email" name="email" type="email" autocomplete="username" maxlength="254" required
  value="{email}" autofocus>
<label for="password">{password_label}</label>
<input id="password" name="password" type="password" autocomplete="current-password"
  maxlength="256" required>
<button id="signin-button" type="submit">{button}</button>
</form></main></body></html>
"""


def page_lang(request: Request, chosen: str | None = None) -> Lang:
    """The sign-in page's language: the one asked for, else this browser's earlier choice."""
    if is_lang(chosen):
        return chosen
    return lang_or(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))


def same_origin(request: Request) -> bool:
    """Whether a POST comes from a page of this host (a browser always sends `Origin` on a
    form POST; a request without one is not a browser's, so it cannot be a forged one).
    Behind a reverse proxy the host is the one the proxy names in `X-Forwarded-Host` (a
    forged cross-site form cannot set that header)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return True
    hosts = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")}
    return urlsplit(origin).netloc in hosts - {""}


def cookie_secure(ws: Workspace, request: Request) -> bool:
    if ws.settings.app_cookie_secure is not None:
        return ws.settings.app_cookie_secure
    return request.url.scheme == "https"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def render_page(
    ws: Workspace,
    lang: Lang,
    *,
    error: str | None = None,
    note: str | None = None,
    email: str = "",
) -> str:
    notes = []
    if note:
        notes.append(f'<p class="note" id="signin-note">{escape(note)}</p>')
    if error:
        notes.append(f'<p class="error" id="signin-error" role="alert">{escape(error)}</p>')
    if ws.settings.demo_active and ws.accounts.exists(DEMO_ACCOUNTS[0][0]):
        accounts = ", ".join(f"<code>{escape(e)}</code>" for e, _, _ in DEMO_ACCOUNTS)
        text = escape(t("signin_demo", lang, accounts="{accounts}", password="{password}"))
        text = text.format(accounts=accounts, password=f"<code>{escape(DEMO_PASSWORD)}</code>")
        notes.append(f'<p class="note" id="signin-demo">{text}</p>')
    elif ws.accounts.count() == 0:
        command = "<code>ressenti users create-admin --email …</code>"
        text = escape(t("signin_first_admin", lang, command="{command}")).format(command=command)
        notes.append(f'<p class="note" id="signin-first-admin">{text}</p>')
    languages = " ".join(
        f'<a href="signin?lang={code}" hreflang="{code}"'
        + (' aria-current="true"' if code == lang else "")
        + f">{escape(t('language_name', code))}</a>"
        for code in LANGS
    )
    return PAGE.format(
        lang=lang,
        title=escape(t("app_name", lang)),
        languages=languages,
        heading=escape(t("signin_heading", lang)),
        lead=escape(t("signin_lead", lang)),
        notes="".join(notes),
        email_label=escape(t("email", lang)),
        password_label=escape(t("password", lang)),
        email=escape(email),
        button=escape(t("signin", lang)),
    )


def _html(body: str, status: int = 200, **headers: str) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, **headers})


def _remember_lang(response: Response, lang: Lang, secure: bool) -> None:
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=LANG_COOKIE_DAYS * 86400,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )


async def _form(request: Request) -> dict[str, str] | int:
    """The urlencoded form of a POST, or the status that refuses it: 415 when it is not
    such a form, 413 when it is larger than `MAX_FORM_BYTES` (read no further)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return 415
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        return 413
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return 413
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items() if values}


def signin_router(ws: Workspace) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/signin")
    def signin_page(request: Request) -> Response:
        lang = page_lang(request)
        note = None
        if "expired" in request.query_params:
            note = t("signin_expired", lang)
        elif "signed_out" in request.query_params:
            note = t("signin_signed_out", lang)
        response = _html(render_page(ws, lang, note=note))
        if "lang" in request.query_params:
            _remember_lang(response, lang, cookie_secure(ws, request))
        return response

    @router.post("/signin")
    async def signin(request: Request) -> Response:
        if not same_origin(request):
            return Response(status_code=403)
        form = await _form(request)
        if isinstance(form, int):
            return _html(render_page(ws, page_lang(request)), form)
        lang = page_lang(request, form.get("lang"))
        email, password = form.get("email", ""), form.get("password", "")
        result = await run_in_threadpool(
            ws.signins.sign_in,
            email,
            password,
            address=client_address(request),
            lang=lang,
            replacing=request.cookies.get(SESSION_COOKIE),
        )
        secure = cookie_secure(ws, request)
        if result.outcome == "throttled":
            wait = max(1, round(result.retry_after_s))
            body = render_page(ws, lang, error=t("signin_throttled", lang, seconds=wait))
            return _html(body, 429, **{"Retry-After": str(wait)})
        if result.outcome != "ok" or result.token is None:
            body = render_page(ws, lang, error=t("bad_credentials", lang), email=email[:254])
            return _html(body, 401)
        response = RedirectResponse("./", status_code=303, headers=SECURITY_HEADERS)
        response.set_cookie(
            SESSION_COOKIE,
            result.token,
            max_age=int(ws.sessions.lifetime.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/",
        )
        _remember_lang(response, lang, secure)
        return response

    @router.post("/signout")
    def signout(request: Request) -> Response:
        if not same_origin(request):
            return Response(status_code=403)
        token = request.cookies.get(SESSION_COOKIE)
        signed = ws.sessions.resolve(token, touch=False)
        ws.sessions.revoke(token, "signed_out")
        lang = signed.lang if signed else page_lang(request)
        response = RedirectResponse(
            f"signin?signed_out=1&lang={lang}", status_code=303, headers=SECURITY_HEADERS
        )
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        _remember_lang(response, lang, cookie_secure(ws, request))
        return response

    @router.get("/auth/session")
    def session_state(request: Request) -> Response:
        signed = ws.sessions.resolve(request.cookies.get(SESSION_COOKIE), touch=False)
        if signed is None:
            return JSONResponse({"signed_in": False}, status_code=401, headers=SECURITY_HEADERS)
        who = signed.account
        return JSONResponse(
            {
                "signed_in": True,
                "email": who.email,
                "role": who.role,
                "lang": signed.lang,
                "expires_at": signed.expires_at.isoformat(),
            },
            headers=SECURITY_HEADERS,
        )

    return router
