"""Running the web app under uvicorn (the command and the daemon both start it this way)."""

from __future__ import annotations

import logging

import uvicorn

from monitor.config import AppConfig
from monitor.search import sync_index
from monitor.web.app import create_app
from monitor.web.security import require_token_for
from storage import Database

log = logging.getLogger(__name__)


def serve(config: AppConfig, db: Database, *, host: str, port: int, token: str | None) -> None:
    require_token_for(host, token)
    indexed = sync_index(db)
    if indexed:
        log.info("search index: %d articles indexed", indexed)
    app = create_app(config, db, token=token)
    shown = f"[{host}]" if ":" in host else host
    print(f"newsmon web: http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )
