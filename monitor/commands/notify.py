"""`newsmon notify`: send what instant-mode chat channels have pending, or a test message to every channel."""

from __future__ import annotations

import json
import sys

import click

from monitor.context import AppContext, pass_app


@click.command()
@click.option(
    "--test",
    "test",
    is_flag=True,
    help="Send a short test message to every [[notify]] channel (digest and instant mode) and say "
    "what went wrong, if anything. Records nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@pass_app
def notify(app: AppContext, test: bool, as_json: bool) -> None:
    """Send new stories to the instant-mode chat channels ([[notify]] mode = "instant").

    Each new story (one of the channel's labels, first seen within the last 24 hours, not sent to
    that channel before under any of its reports) is recorded for the channel, then sent: one
    message per story, at most max_per_hour messages an hour; stories beyond the cap are folded
    into the next message. A message the service refuses transiently (5xx, 429, no connection)
    stays pending and is retried with back-off (the next run after its pause); one refused for
    good (any other 4xx) is reported and not retried. One failing channel never stops another.
    The daemon runs this after each crawl. Digest-mode channels get `newsmon digest`.

    Exit status: 0 when everything due went out (or waits only for the hourly cap); 1 when a
    channel failed (retried later, or refused for good), or a test message did not go through.
    """
    config = app.config
    if test:
        _test(app, as_json)
        return
    from monitor.notify.service import instant_channels, run_notify

    if not instant_channels(config):
        if as_json:
            click.echo(json.dumps({"ok": True, "channels": []}))
        else:
            click.echo('no instant-mode channel configured ([[notify]] with mode = "instant")')
        return
    outcome = run_notify(config, app.db)
    if as_json:
        click.echo(json.dumps(outcome.as_dict(), ensure_ascii=False))
    else:
        for c in outcome.channels:
            line = f"{c.name}: {c.recorded} new story(ies), {c.messages} message(s) sent with {c.stories} story(ies)"
            if c.waiting:
                line += f", {c.waiting} waiting"
            click.echo(line)
            for error in c.retry:
                click.echo(f"{c.name}: not sent, retried later: {error}", err=True)
            for error in c.refused:
                click.echo(f"{c.name}: refused for good: {error}", err=True)
    if not outcome.ok:
        sys.exit(1)


def _test(app: AppContext, as_json: bool) -> None:
    from monitor.notify.service import send_tests

    results = send_tests(app.config)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": bool(results) and all(a.ok for _, a in results),
                    "results": [
                        {"channel": c.name, "mode": c.mode, "ok": a.ok, "error": a.error, "kind": a.kind}
                        for c, a in results
                    ],
                },
                ensure_ascii=False,
            )
        )
    elif not results:
        click.echo("no [[notify]] channels configured", err=True)
    for channel, attempt in results if not as_json else []:
        if attempt.ok:
            click.echo(f"test message sent to {channel.name} ({channel.mode} mode)")
        else:
            click.echo(f"test message to {channel.name} not sent ({attempt.kind}): {attempt.error}", err=True)
    if not results or not all(a.ok for _, a in results):
        sys.exit(1)


commands = [notify]
