"""Running untrusted student code: bubblewrap, an unprivileged user, rlimits, timeouts.

`launch` builds the command (bwrap inside a private mount namespace, as a sandbox user, with
rlimits), `users` picks and cleans up the sandbox users, and `session` drives the in-sandbox
`runner.py` probe by probe, restarting it when a probe kills the process.
"""
