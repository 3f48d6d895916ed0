"""Per-user cgroups of the students' servers: the files written (fake v1 and v2 roots), the spawner's
policy when limits cannot be applied, and, where this machine's cgroups are writable, the kernel
killing a process over its memory limit, throttling one over its CPU quota, and the spawner
starting a server inside its group and removing the group when the server stops."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from hub.cgroups import CgroupUnavailable, UserCgroup, UserLimits, problem, remove_parent
from hub.spawner import LimitedLocalProcessSpawner

MiB = 1024**2
ROOT = Path("/sys/fs/cgroup")
LIMITS = UserLimits(memory_bytes=64 * MiB, cpus=0.5, processes=128)


def _fake_v2(tmp_path: Path) -> Path:
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("cpu\n")
    return tmp_path


def _fake_v1(tmp_path: Path) -> Path:
    for controller in ("memory", "cpu", "pids"):
        (tmp_path / controller).mkdir()
    return tmp_path


def test_v2_limits_are_written_into_one_group(tmp_path):
    root = _fake_v2(tmp_path)
    group = UserCgroup(root, "htr-hub", "ann")
    swap = root / "htr-hub" / "ann" / "memory.swap.max"
    swap.parent.mkdir(parents=True)
    swap.write_text("max")  # a kernel with swap accounting has the file
    group.create(LIMITS)
    folder = root / "htr-hub" / "ann"
    assert group.folders() == [folder]
    assert (folder / "memory.max").read_text() == str(64 * MiB)
    assert swap.read_text() == "0"
    assert (folder / "cpu.max").read_text() == "50000 100000"
    assert (folder / "pids.max").read_text() == "128"
    # The controllers are passed down from the root to the users' parent.
    assert (root / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (root / "htr-hub" / "cgroup.subtree_control").read_text() == "+cpu +memory +pids"
    group.join(4242)
    assert group.pids() == {4242}


def test_v1_limits_are_written_into_each_controller(tmp_path):
    root = _fake_v1(tmp_path)
    group = UserCgroup(root, "htr-hub", "ben")
    group.create(UserLimits(memory_bytes=64 * MiB, cpus=1.5))
    memory, cpu, pids = (root / c / "htr-hub" / "ben" for c in ("memory", "cpu", "pids"))
    assert group.folders() == [memory, cpu, pids]
    assert (memory / "memory.limit_in_bytes").read_text() == str(64 * MiB)
    assert (cpu / "cpu.cfs_quota_us").read_text() == "150000"
    assert (cpu / "cpu.cfs_period_us").read_text() == "100000"
    assert (pids / "pids.max").read_text() == "max"  # no process limit asked for
    group.join(4243)
    assert all((folder / "cgroup.procs").read_text() == "4243" for folder in group.folders())


def test_no_cgroup_hierarchy_or_a_bad_name_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(CgroupUnavailable, match="HTR_HUB_LIMITS=warn"):
        UserCgroup(tmp_path, "htr-hub", "ann").create(LIMITS)
    with pytest.raises(CgroupUnavailable, match="lacks the cgroup controllers"):
        (tmp_path / "cgroup.controllers").write_text("cpu\n")
        UserCgroup(tmp_path, "htr-hub", "ann").create(LIMITS)
    for name in ("../escape", "a/b", ".."):
        with pytest.raises(CgroupUnavailable, match="cannot name a cgroup"):
            UserCgroup(tmp_path, "htr-hub", name)


def _spawner(root: Path, policy: str, user: str = "root", parent: str = "htr-hub", **traits):
    spawner = LimitedLocalProcessSpawner(
        user=SimpleNamespace(name=user, url=f"/user/{user}/", escaped_name=user), cgroup_root=str(root),
        cgroup_parent=parent, limits_policy=policy, **{"mem_limit": "64M", "cpu_limit": 0.5, **traits})
    # Without a hub: no hub arguments or API token; the command is the whole server.
    spawner.get_args = lambda: []
    spawner.get_env = lambda: {"PATH": "/usr/bin:/bin"}
    return spawner


def test_a_server_whose_limits_cannot_be_applied_does_not_start_unless_told(tmp_path, caplog):
    with pytest.raises(CgroupUnavailable, match="root's server was not started"):
        _spawner(tmp_path, "enforce")._prepare_cgroup()
    warned = _spawner(tmp_path, "warn")
    assert warned._prepare_cgroup() is None
    assert "WITHOUT memory/CPU limits" in caplog.text
    # No limits configured: no cgroup needed, nothing to refuse.
    assert _spawner(tmp_path, "enforce", mem_limit=None, cpu_limit=None)._prepare_cgroup() is None


_WHY_NOT = "cgroups are made as root: run as root" if os.geteuid() != 0 else problem(ROOT)
needs_cgroups = pytest.mark.skipif(_WHY_NOT is not None, reason=str(_WHY_NOT))


@pytest.fixture
def real_group():
    parent = f"htr-test-{secrets.token_hex(4)}"
    group = UserCgroup(ROOT, parent, "probe")
    yield group
    group.remove()
    remove_parent(ROOT, parent)


def _run_in(group: UserCgroup, code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], preexec_fn=lambda: group.join(os.getpid()),
                          capture_output=True, text=True, timeout=timeout, check=False)


@needs_cgroups
def test_the_kernel_kills_a_process_over_its_memory_limit(real_group):
    real_group.create(UserLimits(memory_bytes=64 * MiB))
    fits = _run_in(real_group, "x = b'x' * (16 * 2**20); print(len(x))")
    assert fits.returncode == 0, fits.stderr
    over = _run_in(real_group, "x = b'x' * (200 * 2**20); print('survived', len(x))")
    assert over.returncode == -signal.SIGKILL and "survived" not in over.stdout, over


@needs_cgroups
def test_a_process_over_its_cpu_quota_is_throttled(real_group):
    real_group.create(UserLimits(cpus=0.2))
    busy = _run_in(real_group, "import time\nend = time.monotonic() + 0.6\nwhile time.monotonic() < end: pass\n"
                               "print(time.process_time())")
    assert busy.returncode == 0, busy.stderr
    # 0.2 CPUs: about 0.12 s of CPU in 0.6 s of wall time (plus Python's start), far from 0.6.
    assert float(busy.stdout) < 0.4, busy.stdout
    stat = dict(line.split() for line in (real_group.folders()[0 if real_group.version == 2 else 1]
                                          / "cpu.stat").read_text().splitlines())
    assert int(stat["nr_throttled"]) > 0, stat


@needs_cgroups
def test_the_spawner_starts_a_server_in_its_group_and_removes_the_group_when_it_stops():
    parent = f"htr-test-{secrets.token_hex(4)}"
    spawner = _spawner(ROOT, "enforce", parent=parent, pids_limit=64,
                       cmd=[sys.executable, "-c", "import subprocess, time; subprocess.Popen(['sleep', '60']); "
                                                  "time.sleep(60)"])

    async def scenario() -> tuple[str, set[int], list[Path]]:
        await spawner.start()
        group = spawner.cgroup
        for _ in range(100):  # the server's child (a kernel, here `sleep`) joins the group by birth
            if len(group.pids()) >= 2:
                break
            await asyncio.sleep(0.05)
        membership = Path(f"/proc/{spawner.pid}/cgroup").read_text()
        inside = group.pids()
        await spawner.stop(now=True)
        return membership, inside, group.folders()

    try:
        membership, inside, folders = asyncio.run(scenario())
        assert f"/{parent}/root" in membership, membership
        assert len(inside) >= 2, "the server's child is not in the server's group"
        assert not any(folder.exists() for folder in folders), "the group outlived the server"
        for pid in inside:  # the child the server left behind was killed with the group
            assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    finally:
        remove_parent(ROOT, parent)
