"""The `newsmon` subcommands, one module per area; each exports a `commands` list."""
