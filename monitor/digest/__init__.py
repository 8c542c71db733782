"""Email digests: new relevant articles since the last digest, recorded before sending and
marked sent only once delivered, so none is lost and none is sent twice.

    from monitor.digest import run_digest
    outcome = run_digest(config, db)      # outcome.status: sent | outbox | empty | pending | dry_run
"""

from monitor.digest.service import OUTCOME_STATUSES, DigestOutcome, compose, run_digest

__all__ = ["OUTCOME_STATUSES", "DigestOutcome", "compose", "run_digest"]
