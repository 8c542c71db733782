"""Helpers the test modules share (test modules never import each other): the workspace that runs
the real `newsmon`, waiting on a condition with a deadline, the daemon as a process, digest data."""
