"""Running untrusted student code: bubblewrap, an unprivileged user, rlimits, timeouts.

`launch` builds the command (bwrap inside a private mount namespace, as a sandbox user, with
rlimits) and copies `inside/` into the sandbox, `users` picks and cleans up the sandbox users, and
`session` drives the in-sandbox runner probe by probe, restarting it when a probe kills the
process. `inside/` holds exactly the files copied into the sandbox (`runner.py`, `wire.py`,
`observers.py`): the only grader code that runs next to student code, with no package of its own.
"""
