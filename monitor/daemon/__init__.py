"""The daemon's helpers: the one-daemon-per-database lock and crawl child processes.
The scheduler itself is the top-level `scheduler` module."""
