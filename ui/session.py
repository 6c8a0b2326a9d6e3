"""Who is calling: every event of the app reads its caller from the request's session.

The browser holds only the session cookie (HttpOnly, SameSite=Strict); Gradio hands each
event the request it came with (`gr.Request`), and `Guard` looks the cookie's session up
in the store when the event runs, never in `gr.State` or anything the page sends. A
session that expired, was revoked, or whose account was disabled or changed role is
refused at the next event, whichever process ended it.

Every server-side event is registered through `Guard.only(tab)`: the handler's first
parameter receives the caller's `Account`, and the event carries the tab it needs
(`REQUIRED_TAB`), so a test can list every event of the page and call each one as each
role. `quiet=True` passes None instead of refusing (events every role's page triggers,
such as a language switch, that a tab of another role only ignores); `automatic=True`
marks timers, which do not count as use for the idle expiry.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from agents.core.lang import Lang
from agents.services.accounts import Account, Tab
from agents.services.sessions import SESSION_COOKIE, SessionStore, SignedIn
from ui.i18n import t

REQUIRED_TAB = "ressenti_tab"
"""Attribute of a guarded handler: the tab it needs ("" for any signed-in account)."""
QUIET = "ressenti_quiet"
"""Attribute of a guarded handler: True when it answers a refused caller with nothing
(every output left as it is) rather than an error."""

Handler = Callable[..., Any]


def session_token(request: gr.Request | None) -> str | None:
    """The session cookie of the request an event came with."""
    if request is None:
        return None
    try:
        cookies = request.cookies
    except AttributeError:
        return None
    value = cookies.get(SESSION_COOKIE) if cookies is not None else None
    return value if isinstance(value, str) else None


class Guard:
    """Reads the caller of each event from the session store and checks their role."""

    def __init__(self, sessions: SessionStore) -> None:
        self.sessions = sessions

    def signed_in(self, request: gr.Request | None, *, touch: bool = True) -> SignedIn | None:
        """The live session of the request, else None."""
        return self.sessions.resolve(session_token(request), touch=touch)

    def only(
        self, tab: Tab | None, *, quiet: bool = False, automatic: bool = False
    ) -> Callable[[Handler], Handler]:
        """Registers a handler for accounts that may open `tab` (None: any account).

        The handler's first parameter is the caller's `Account` (None for a refused caller
        when `quiet`); the event's inputs fill the others. Gradio is shown the handler's
        signature without that first parameter and with a `gr.Request` at the end."""

        def register(fn: Handler) -> Handler:
            def caller(request: gr.Request | None) -> Account | None:
                signed = self.signed_in(request, touch=not automatic)
                allowed = signed is not None and (tab is None or signed.account.may_open(tab))
                if allowed and signed is not None:
                    return signed.account
                if quiet:
                    return None
                lang: Lang = signed.lang if signed is not None else "fr"
                raise gr.Error(t("not_allowed", lang))

            if inspect.isgeneratorfunction(fn):

                def streaming(*args: Any, **kwargs: Any) -> Iterator[Any]:
                    values, request = _split(args, kwargs)
                    yield from fn(caller(request), *values, **kwargs)

                guarded: Handler = streaming
            else:

                def plain(*args: Any, **kwargs: Any) -> Any:
                    values, request = _split(args, kwargs)
                    return fn(caller(request), *values, **kwargs)

                guarded = plain
            _present(guarded, fn, tab)
            setattr(guarded, QUIET, quiet)
            return guarded

        return register

    def session_event(self, fn: Callable[..., Any]) -> Handler:
        """Registers a handler that needs the session itself (the language it remembers)."""

        def guarded(*args: Any, **kwargs: Any) -> Any:
            values, request = _split(args, kwargs)
            signed = self.signed_in(request)
            if signed is None:
                raise gr.Error(t("not_allowed", "fr"))
            return fn(signed, *values, **kwargs)

        _present(guarded, fn, None)
        setattr(guarded, QUIET, False)
        return guarded


def _split(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], Any]:
    """The event's inputs and the `gr.Request` Gradio put last."""
    if "request" in kwargs:
        return args, kwargs.pop("request")
    if not args:
        return (), None
    return args[:-1], args[-1]


def _present(guarded: Handler, fn: Handler, tab: Tab | None) -> None:
    """Gives `guarded` the signature Gradio reads: `fn`'s inputs, then the request."""
    parameters = list(inspect.signature(fn).parameters.values())[1:]
    request = inspect.Parameter(
        "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=gr.Request
    )
    setattr(guarded, "__signature__", inspect.Signature([*parameters, request]))  # noqa: B010
    # Resolved objects, not strings: Gradio finds the request (and the event data of a
    # `select`, `gr.SelectData`) by these annotations.
    try:
        hints = typing.get_type_hints(fn)
    except (NameError, TypeError):  # a hint only a type checker resolves: no event data
        hints = {}
    events = {
        name: hint
        for name, hint in hints.items()
        if inspect.isclass(hint) and issubclass(hint, gr.EventData)
    }
    guarded.__annotations__ = {**events, "request": gr.Request}
    guarded.__name__ = getattr(fn, "__name__", "handler")
    guarded.__qualname__ = getattr(fn, "__qualname__", guarded.__name__)
    guarded.__doc__ = fn.__doc__
    setattr(guarded, REQUIRED_TAB, tab or "")
