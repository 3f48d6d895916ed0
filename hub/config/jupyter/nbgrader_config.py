# nbgrader's configuration for every user of the course hub (instructors and students), found
# through JUPYTER_CONFIG_PATH, which the hub sets for each server. nbgrader's "multiple classes"
# arrangement: one exchange for all courses, each course a folder inside it.
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821
c.Exchange.root = os.environ.get("HTR_HUB_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True
# Students see the course's assignments without naming it (one course on this hub).
c.CourseDirectory.course_id = os.environ.get("HTR_HUB_COURSE", "htr")
# Submissions: caches and oversized files left out (listed in LEFT_OUT.txt), the folder private
# to its student until the grading service takes it (hub/exchange.py).
sys.path.append(str(Path(__file__).resolve().parents[3]))  # the repository
c.ExchangeFactory.submit = "hub.exchange.PrivateExchangeSubmit"
