"""`newsmon mirror`: serve the offline mirror on loopback."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8008,
    show_default=True,
    help="Port to listen on (0 picks a free one).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Mirror folder (default: the mirror installed with newsmon, monitor/mirror_sites).",
)
@click.option(
    "--block",
    "blocked",
    multiple=True,
    metavar="HOST",
    help="Answer 403 for every page of HOST, as a site that refuses foreign IPs does (repeatable).",
)
def mirror(port: int, host: str, root: Path | None, blocked: tuple[str, ...]) -> None:
    """Serve the offline mirror of the news sites until interrupted.

    Point crawls at it with NEWSMON_MIRROR=http://HOST:PORT; stored articles keep
    the real sites' URLs.
    """
    from monitor.mirror import MirrorServer

    try:
        server = MirrorServer(root, host=host, port=port, blocked_hosts=set(blocked))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    hosts = sorted(p.name for p in server.state.root.iterdir() if p.is_dir())
    click.echo(f"mirror of {', '.join(hosts)} at {server.url}  (NEWSMON_MIRROR={server.url})", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


commands = [mirror]
