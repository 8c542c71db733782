"""`python -m monitor` is the same as the `newsmon` command."""

from monitor.cli import main

main()
