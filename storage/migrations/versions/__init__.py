"""One revision per file; storage.schema reads their ids without importing them."""
