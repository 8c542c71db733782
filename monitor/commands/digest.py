"""`newsmon digest`: build and send the email digest (or preview it, copy it, test the mail
set-up, or retry or drop one digest)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from monitor.commands.options import SINCE
from monitor.context import AppContext, pass_app


@click.command()
@click.option(
    "--dry-run",
    is_flag=True,
    help="Build the digest and print its text; send nothing, record nothing, retry nothing.",
)
@click.option(
    "--to",
    "to",
    multiple=True,
    metavar="ADDR",
    help="Send a copy of the next digest to ADDR only (repeatable). Nothing is recorded: the "
    "articles still go to digest.recipients in the next regular digest. With --test: "
    "send the test message to ADDR.",
)
@click.option(
    "--since",
    type=SINCE,
    help="Only articles published since DATE (2026-11-01, 2026-11-01T08:00, 24h, 7d). "
    "Articles already in a digest are never included again.",
)
@click.option(
    "--preview",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE.html",
    help="Write the digest's HTML to FILE.html to look at in a browser (implies --dry-run).",
)
@click.option(
    "--test",
    "test",
    is_flag=True,
    help="Send a short test message through the configured SMTP server to digest.recipients "
    "(or --to) and say what went wrong, if anything. Records nothing.",
)
@click.option(
    "--retry",
    "retry_id",
    type=int,
    metavar="ID",
    help="Deliver digest ID now to the recipients configured now (same Message-ID); a failed "
    "or dropped digest takes its articles back first.",
)
@click.option(
    "--drop",
    "drop_id",
    type=int,
    metavar="ID",
    help="Give up on undelivered digest ID; its articles go into the next digest.",
)
@click.option(
    "--retry-due",
    "retry_due",
    is_flag=True,
    help="Only deliver what is due of earlier digests (transient failures whose pause is over); "
    "compose nothing new. The daemon runs this between digests.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@pass_app
def digest(
    app: AppContext,
    dry_run: bool,
    to: tuple[str, ...],
    since: datetime | None,
    preview: Path | None,
    test: bool,
    retry_id: int | None,
    drop_id: int | None,
    retry_due: bool,
    as_json: bool,
) -> None:
    """Email a digest of new relevant articles since the last digest.

    New core articles (Hanoi–Russia cooperation) come first, then, unless
    digest.include_national is false, a shorter "also relevant" section of
    Vietnam–Russia articles. Articles of one story are one item.

    The digest is recorded before it is sent, with one delivery per recipient,
    each marked sent only when the SMTP server accepts it for that recipient.
    A recipient refused transiently (4xx, timeout, server down) is retried alone,
    with the same Message-ID, after a growing pause (5 min … 6 h, for
    digest.retry_hours); one refused for good (5xx) is reported in `newsmon
    status` and in the next digest's footer. A digest delivered nowhere is
    marked failed, and its articles go into the next digest. No article is ever
    in two delivered digests. Without [smtp] host the digest is written to the
    outbox folder (digest.outbox) as .eml and .html files instead.

    SMTP settings come from [smtp] or NEWSMON_SMTP_HOST/PORT/SECURITY/USER; the
    password only from NEWSMON_SMTP_PASSWORD or the system keyring.

    Exit status: 0 when sent, written to the outbox, copied, previewed, or
    nothing was new; 1 when a digest is left pending or failed (the error is
    printed), or a test message or copy did not go through.
    """
    chosen = [
        name
        for name, on in (
            ("--test", test),
            ("--retry", retry_id is not None),
            ("--drop", drop_id is not None),
            ("--dry-run/--preview", dry_run or preview),
            ("--retry-due", retry_due),
        )
        if on
    ]
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} cannot be combined")
    if test:
        _test(app, list(to), as_json)
        return
    if drop_id is not None:
        _drop(app, drop_id, as_json)
        return
    from monitor.digest import run_digest
    from monitor.digest.service import DigestActionError, retry_digest

    config = app.config
    if preview is not None:
        dry_run = True
    if retry_id is not None:
        try:
            outcome = retry_digest(config, app.db, retry_id)
        except DigestActionError as exc:
            raise click.ClickException(str(exc)) from None
    else:
        outcome = run_digest(
            config, app.db, dry_run=dry_run, to=list(to) or None, since=since, compose_new=not retry_due
        )
    if preview is not None and outcome.html is not None:
        try:
            preview.write_text(outcome.html, encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot write {preview}: {exc.strerror or exc}") from None
    if as_json:
        data = outcome.as_dict()
        if preview is not None and outcome.html is not None:
            data["preview"] = str(preview)
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        _print(outcome, dry_run, preview)
    if outcome.status in ("pending", "failed"):
        sys.exit(1)


def _print(outcome, dry_run: bool, preview: Path | None) -> None:
    for entry in outcome.delivered:
        if entry["digest_id"] is not None and entry["digest_id"] != outcome.digest_id:
            where = (
                f"written to {entry['outbox_path']}"
                if entry["outbox_path"]
                else "sent to " + ", ".join(entry["to"])
            )
            click.echo(f"earlier digest {entry['digest_id']} {where}")
    for digest_id in outcome.retried:
        if not any(e["digest_id"] == digest_id for e in outcome.delivered) and digest_id != outcome.digest_id:
            click.echo(f"earlier digest {digest_id} retried, not delivered yet")
    mine = next((e for e in outcome.delivered if e["digest_id"] == outcome.digest_id), None)
    earlier = " (from an earlier run)" if outcome.digest_id in outcome.retried else ""
    if outcome.status == "dry_run":
        if preview is not None:
            click.echo(f"preview written to {preview} ({outcome.item_count} articles): {outcome.subject}")
        else:
            click.echo(f"Subject: {outcome.subject}\n")
            click.echo(outcome.text or "")
    elif outcome.status == "empty":
        click.echo(
            "nothing due"
            if outcome.subject is None and not dry_run
            else "nothing new since the last digest; no mail" + (" (dry run)" if dry_run else "")
        )
    elif outcome.status == "copy":
        to = ", ".join(outcome.delivered[0]["to"]) if outcome.delivered else ""
        click.echo(
            f"copy sent to {to}: {outcome.subject} ({outcome.item_count} articles); nothing recorded, "
            "the regular recipients still get these articles"
        )
    elif outcome.status == "sent":
        to = ", ".join(mine["to"]) if mine else "its recipients"
        click.echo(
            f"digest {outcome.digest_id}{earlier} sent to {to}: {outcome.subject} "
            f"({outcome.item_count} articles)"
        )
    elif outcome.status == "outbox":
        click.echo(
            f"digest {outcome.digest_id}{earlier} written to {outcome.outbox_path} (no SMTP host configured)"
        )
    for refused in outcome.refused:
        if refused["digest_id"] is None:
            continue
        click.echo(
            f"digest {refused['digest_id']} refused for good for {refused['destination']}: "
            f"{refused['error']}",
            err=True,
        )
    if outcome.status == "pending":
        if outcome.digest_id:
            click.echo(
                f"digest {outcome.digest_id} not delivered everywhere yet, left pending and retried "
                f"later: {outcome.error}",
                err=True,
            )
        else:
            click.echo(f"not sent: {outcome.error}", err=True)
    elif outcome.status == "failed":
        click.echo(
            f"digest {outcome.digest_id} failed, delivered nowhere: {outcome.error}; "
            "its articles go into the next digest (see `newsmon status`)",
            err=True,
        )


def _drop(app: AppContext, digest_id: int, as_json: bool) -> None:
    from monitor.digest.service import DigestActionError, drop_digest

    try:
        dropped = drop_digest(app.db, digest_id)
    except DigestActionError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(
            json.dumps(
                {"digest_id": dropped.id, "status": dropped.status, "article_count": dropped.article_count}
            )
        )
    else:
        click.echo(
            f"digest {dropped.id} dropped; its {dropped.article_count} article(s) go into the next digest"
        )


def _test(app: AppContext, to: list[str], as_json: bool) -> None:
    from monitor.digest.service import send_test

    result = send_test(app.config, to or None)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": bool(result.attempts) and all(a.ok for a in result.attempts),
                    "results": [
                        {"to": a.destination, "ok": a.ok, "error": a.error, "kind": a.kind}
                        for a in result.attempts
                    ],
                },
                ensure_ascii=False,
            )
        )
    else:
        if result.session_error:
            click.echo(f"test message not sent: {result.session_error}", err=True)
        else:
            for a in result.attempts:
                if a.ok:
                    click.echo(f"test message sent to {a.destination}")
                else:
                    click.echo(f"test message refused for {a.destination} ({a.kind}): {a.error}", err=True)
    if not result.attempts or not all(a.ok for a in result.attempts):
        sys.exit(1)


@click.command("set-password")
@click.option("--user", metavar="USER", help="The SMTP user name (default: smtp.user).")
@pass_app
def set_password(app: AppContext, user: str | None) -> None:
    """Store the SMTP password in the system keyring (service smtp.keyring_service).

    Asks for the password twice, without echoing it. Needs a desktop keyring (GNOME
    Keyring, KWallet, macOS Keychain, Windows Credential Locker): a headless server has
    none, and there the password goes in the environment variable NEWSMON_SMTP_PASSWORD
    of the newsmon process instead (for systemd: EnvironmentFile=, see deploy/README.md).
    """
    import os

    import keyring

    from monitor.digest.delivery import PASSWORD_ENV, usable_keyring

    config = app.config
    user = user or config.smtp.user
    if not user:
        raise click.UsageError("no SMTP user: set smtp.user (or NEWSMON_SMTP_USER), or pass --user")
    headless = (
        f"no usable system keyring on this host (a headless server has none); set {PASSWORD_ENV} in "
        "newsmon's environment instead (for systemd: EnvironmentFile=, see deploy/README.md)"
    )
    if not usable_keyring(os.environ):
        raise click.ClickException(headless)
    password = click.prompt(f"SMTP password for {user}", hide_input=True, confirmation_prompt=True)
    try:
        keyring.set_password(config.smtp.keyring_service, user, password)
    except Exception as exc:  # keyring backends raise their own kinds; the message must not hold the password
        raise click.ClickException(f"the keyring refused it ({type(exc).__name__}); {headless}") from None
    click.echo(f"stored the SMTP password for {user} in the system keyring ({config.smtp.keyring_service})")


commands = [digest, set_password]
