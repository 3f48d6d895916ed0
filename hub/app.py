"""The course's JupyterHub: JupyterHub itself, waiting longer for a slow managed service to
start, and less long for it to stop.

    python -m hub.app -f hub/config/jupyterhub_config.py   # what `python -m hub start` runs

JupyterHub gives a managed service about 10 s to answer, then exits. formgrader (a whole
JupyterLab server) takes longer than that on a busy 2-core machine; here it gets
SERVICE_START_SECONDS, and the hub exits only when the service has died or still does not answer.
"""

from __future__ import annotations

import time

from jupyterhub.app import JupyterHub
from jupyterhub.objects import Server
from jupyterhub.utils import AnyTimeoutError

#: How long a managed service may take to answer before the hub gives up.
SERVICE_START_SECONDS = 120
#: A managed service's stop at shutdown: SIGINT, then SIGTERM, then SIGKILL after these seconds
#: (JupyterHub's 10 + 5 + 5 per service, one service after the other, made shutdown take 30 s and more).
SERVICE_STOP_SECONDS = (1, 1, 1)


class CourseHub(JupyterHub):
    """JupyterHub with a longer start for managed services (module docstring)."""

    async def start_service(self, service_name, service, ssl_context=None):
        started = time.monotonic()
        ready = await super().start_service(service_name, service, ssl_context)
        if service.managed and service.spawner is not None:
            spawner = service.spawner
            spawner.interrupt_timeout, spawner.term_timeout, spawner.kill_timeout = SERVICE_STOP_SECONDS
        if ready or not service.managed or not service.url:
            return ready
        if await service.spawner.poll() is not None:
            return False  # it died: JupyterHub logged why
        try:
            await Server.from_orm(service.orm.server).wait_up(http=True, timeout=SERVICE_START_SECONDS,
                                                              ssl_context=ssl_context)
        except AnyTimeoutError:
            self.log.critical("service %s did not answer within %d s: see its log above", service_name,
                              SERVICE_START_SECONDS)
            return False
        self.log.info("service %s is up after %.0f s (the message above is JupyterHub's 10 s limit)", service_name,
                      time.monotonic() - started)
        return True


main = CourseHub.launch_instance

if __name__ == "__main__":
    main()
