"""``ptmscope registry``: a Hub-compatible mirror and gateway over a folder of packages."""
