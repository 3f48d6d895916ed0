# The course hub: JupyterHub + configurable-http-proxy (npm), JupyterLab for everyone, real system
# accounts spawned by the local process spawner, nbgrader's exchange, formgrader for instructors
# and the grading service. Started by `make hub` (python -m hub start); every setting
# comes from hub/settings.py (HTR_HUB_* environment variables).
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from hub import settings as hub_settings  # noqa: E402
from hub.accounts import prepare_account  # noqa: E402
from hub.course import JUPYTER_CONFIG_DIR, STUDENT_CONFIG_DIR, lab_environment  # noqa: E402
from hub.gpus import assign_gpu, list_gpus  # noqa: E402

c = get_config()  # noqa: F821
S = hub_settings.load()
ROSTER = hub_settings.Roster.read(S.roster_path)
VENV_BIN = S.venv / "bin"
S.state.mkdir(parents=True, exist_ok=True)

# --- where it listens: the proxy on the public address, the hub's API on loopback ----------------
c.JupyterHub.bind_url = f"http://{S.ip}:{S.port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = S.hub_port
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{S.proxy_api_port}"
c.ConfigurableHTTPProxy.command = [str(REPO / "setup" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.JupyterHub.db_url = f"sqlite:///{S.state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(S.state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(S.state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(S.state / "jupyterhub-proxy.pid")
c.JupyterHub.cleanup_servers = True

# --- who may log in ------------------------------------------------------------------------------
if S.auth == "dummy":
    # Tests only: any allowed user with the shared password.
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ.get("HTR_HUB_DUMMY_PASSWORD", "")
    if not c.DummyAuthenticator.password:
        raise SystemExit("HTR_HUB_AUTH=dummy needs HTR_HUB_DUMMY_PASSWORD (the dummy authenticator is for tests)")
else:
    # A real course: the native authenticator (hub/auth.py). The instructor sets passwords
    # (`add-users --password-file`), or a rostered user chooses one at /hub/signup; no one else signs up.
    c.JupyterHub.authenticator_class = "hub.auth.CourseAuthenticator"
    c.NativeAuthenticator.open_signup = False
    c.NativeAuthenticator.minimum_password_length = hub_settings.MINIMUM_PASSWORD_LENGTH
    c.JupyterHub.template_paths = [str(Path(__import__("nativeauthenticator").__file__).parent / "templates")]
c.Authenticator.admin_users = set(ROSTER.instructors)
c.Authenticator.allowed_users = set(ROSTER.instructors) | set(ROSTER.students)

# Instructors are admins and graders (formgrader); students get the default user role only,
# plus access to the grading service's pages (their feedback and the leaderboard).
course = S.course
c.JupyterHub.load_groups = {
    f"nbgrader-{course}": {"users": ROSTER.students},
    f"formgrade-{course}": {"users": ROSTER.instructors},
}
c.JupyterHub.load_roles = [
    {"name": "user", "scopes": ["self", f"access:services!service={hub_settings.SERVICE_NAME}"]},
    {"name": "instructor", "scopes": ["admin-ui", "admin:users", "admin:servers", "list:users", "read:users",
                                      "access:services", "read:groups"],
     "users": ROSTER.instructors},
]

# --- each user's JupyterLab, as their own account ---------------------------------------------------
# The local process spawner, with each server (and its kernels) in a per-user cgroup that enforces
# the memory, CPU and process limits below (hub/spawner.py).
c.JupyterHub.spawner_class = "hub.spawner.LimitedLocalProcessSpawner"
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 180
# `python -m hub stop` waits 8 s: a server is interrupted, then terminated, then killed within 4 s.
c.Spawner.interrupt_timeout = 2
c.Spawner.term_timeout = 1
c.Spawner.kill_timeout = 1
# Per-user limits, enforced by the kernel (HTR_HUB_LIMITS=enforce: a server whose limits cannot be
# applied does not start). The autograder's sandbox has its own limits for graded code.
c.Spawner.mem_limit = S.mem_limit if S.mem_limit not in ("", "0") else None  # "0": no memory limit
c.Spawner.cpu_limit = S.cpu_limit or None
c.LimitedLocalProcessSpawner.pids_limit = S.pids_limit
c.LimitedLocalProcessSpawner.limits_policy = S.limits_policy
c.LimitedLocalProcessSpawner.cgroup_root = str(S.cgroup_root)
c.LimitedLocalProcessSpawner.cgroup_parent = S.cgroup_parent
GPUS = list_gpus()


def pre_spawn(spawner):
    """The account exists with a private home, nbgrader finds the course's configuration (students:
    without the instructor tools), the terminal's `python` is the course's, the labs find the
    course's offline data and keep their caches in ~/.cache, and the server sees only its GPUs."""
    name = spawner.user.name
    prepare_account(name, VENV_BIN / "python")
    gpu = assign_gpu(name, GPUS, S.state / "gpu_assignments.json", ROSTER.gpus)
    config_path = [str(JUPYTER_CONFIG_DIR)] if name in ROSTER.instructors else [str(STUDENT_CONFIG_DIR),
                                                                                  str(JUPYTER_CONFIG_DIR)]
    spawner.environment.update({
        "JUPYTER_CONFIG_PATH": os.pathsep.join(config_path),
        "CUDA_VISIBLE_DEVICES": gpu,
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        **S.env(),
        **lab_environment(REPO),
    })


c.Spawner.pre_spawn_hook = pre_spawn

# --- services: the grading service (managed) ---------------------------------------------------------
c.JupyterHub.services = [
    {
        "name": hub_settings.SERVICE_NAME,
        "url": f"http://127.0.0.1:{S.service_port}",
        "command": [str(VENV_BIN / "python"), "-m", "hub.service"],
        "cwd": str(REPO),
        "environment": {**S.env(), "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "JUPYTER_CONFIG_PATH": str(JUPYTER_CONFIG_DIR)},
        "oauth_no_confirm": True,
    },
]
# An instructor's API token for scripts (and the tests): HTR_HUB_ADMIN_TOKEN, never in a file.
if os.environ.get("HTR_HUB_ADMIN_TOKEN"):
    c.JupyterHub.services.append({"name": "course-admin", "api_token": os.environ["HTR_HUB_ADMIN_TOKEN"]})
    c.JupyterHub.load_roles.append({"name": "course-admin", "scopes": ["admin:users", "admin:servers", "list:users",
                                                                       "read:users", "access:services", "tokens"],
                                    "services": ["course-admin"]})

# formgrader for the instructors: the first instructor's JupyterLab on the course folder, run by the
# hub as a service at /services/formgrader-<course>/ (nbgrader's multiple-classes arrangement).
# HTR_HUB_FORMGRADER=0 leaves it out.
if ROSTER.instructors and os.environ.get("HTR_HUB_FORMGRADER", "1") != "0":
    grader = ROSTER.instructors[0]
    c.JupyterHub.services.append({
        "name": f"formgrader-{course}",
        "url": f"http://127.0.0.1:{S.formgrader_port}",
        "command": [str(VENV_BIN / "jupyterhub-singleuser"), "--ServerApp.default_url=/formgrader"],
        "user": grader,
        "cwd": str(S.course_dir or Path(f"~{grader}").expanduser() / course),
        "environment": {"JUPYTER_CONFIG_PATH": str(JUPYTER_CONFIG_DIR), **S.env()},
        "oauth_no_confirm": True,
    })
    c.JupyterHub.load_roles.append({"name": "formgrader", "scopes": [f"access:services!service=formgrader-{course}"],
                                    "groups": [f"formgrade-{course}"]})
