"""`newsmon web`: serve the pages, the Atom feed and the JSON API."""

from __future__ import annotations

import os

import click

from monitor.context import AppContext, pass_app


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default: [web] port, 8080).")
@pass_app
def web(app: AppContext, host: str | None, port: int | None) -> None:
    """Browse stories, search the archive, correct labels, subscribe to a feed.

    Pages: / (stories), /search?q=, /stories/ID, /articles/ID (with feedback
    buttons), /sources; the Atom feed /feed.atom (?label=, ?q=, ?source=); the
    JSON API under /api/ (described by /api/openapi.json).

    On loopback no sign-in is needed. On any other address NEWSMON_WEB_TOKEN must
    be set: clients send it as "Authorization: Bearer TOKEN", browsers sign in once
    with it at /login.
    """
    from monitor.web.security import TOKEN_ENV, WebSecurityError
    from monitor.web.server import serve

    config = app.config
    try:
        serve(
            config,
            app.db,
            host=host or config.web.host,
            port=port or config.web.port,
            token=os.environ.get(TOKEN_ENV) or None,
        )
    except WebSecurityError as exc:
        raise click.ClickException(str(exc)) from None


commands = [web]
