"""The hub's spawner: JupyterHub's local process spawner, with each server in its own cgroup.

    c.JupyterHub.spawner_class = "hub.spawner.LimitedLocalProcessSpawner"

`mem_limit` and `cpu_limit` (JupyterHub's own settings) and `pids_limit` are enforced by the
kernel (hub/cgroups.py): the server process joins `<cgroup_root>/<cgroup_parent>/<user>`
before it runs any code (in the child, as root, before the switch to the student's account), so
every kernel and terminal it starts is counted too. When the server stops, what is left in the
group is killed and the group removed.

`limits_policy`: "enforce" (the default) fails the spawn, with the reason, when limits are set and
cannot be applied; "warn" logs a warning and starts the server without limits (a machine without
writable cgroups, e.g. a CI container).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Integer, Unicode

from hub.cgroups import CgroupUnavailable, UserCgroup, UserLimits


class LimitedLocalProcessSpawner(LocalProcessSpawner):
    """LocalProcessSpawner whose servers run inside per-user cgroups (module docstring)."""

    cgroup_root = Unicode("/sys/fs/cgroup", config=True, help="Where the cgroup hierarchy is mounted.")
    cgroup_parent = Unicode("htr-hub", config=True, help="The group (under the root) holding one group per user.")
    pids_limit = Integer(0, config=True, help="Processes and threads a server may have (0: no limit).")
    limits_policy = Unicode("enforce", config=True,
                            help='"enforce": a spawn fails when the limits cannot be applied; "warn": start unlimited.')

    cgroup = None  # the running server's UserCgroup, None without limits

    def user_limits(self) -> UserLimits:
        """The limits from the configuration (`mem_limit`, `cpu_limit`, `pids_limit`)."""
        return UserLimits(memory_bytes=self.mem_limit or None, cpus=self.cpu_limit or None,
                          processes=self.pids_limit or None)

    def _prepare_cgroup(self) -> UserCgroup | None:
        limits = self.user_limits()
        if limits == UserLimits():
            return None
        try:
            group = UserCgroup(Path(self.cgroup_root), self.cgroup_parent, self.user.name)
            group.create(limits)
            return group
        except CgroupUnavailable as error:
            if self.limits_policy == "warn":
                self.log.warning("%s's server starts WITHOUT memory/CPU limits: %s", self.user.name, error)
                return None
            raise CgroupUnavailable(f"{self.user.name}'s server was not started: {error}") from None

    def make_preexec_fn(self, name: str):
        """Join the user's cgroup (still root), then become the user (LocalProcessSpawner's own step)."""
        become_user = super().make_preexec_fn(name)
        group = self.cgroup

        def preexec() -> None:
            if group is not None:
                import os

                group.join(os.getpid())
            become_user()

        return preexec

    async def start(self):
        """Make the user's cgroup, then start the server inside it."""
        self.cgroup = await asyncio.to_thread(self._prepare_cgroup)
        try:
            return await super().start()
        except BaseException:
            await self._remove_cgroup()
            raise

    async def stop(self, now: bool = False) -> None:
        """Stop the server, then kill what it left in its cgroup and remove the group."""
        await super().stop(now=now)
        await self._remove_cgroup()

    async def _remove_cgroup(self) -> None:
        group = self.cgroup
        if group is None:
            # A hub restarted while the server ran: the group is found again by its name.
            if self.user_limits() == UserLimits():
                return
            try:
                group = UserCgroup(Path(self.cgroup_root), self.cgroup_parent, self.user.name)
                group.folders()
            except CgroupUnavailable:
                return
        try:
            await asyncio.to_thread(group.remove)
        except CgroupUnavailable as error:
            self.log.warning("%s", error)
        self.cgroup = None
