"""Relevance, digests, the mirror and the `newsmon` command line."""
