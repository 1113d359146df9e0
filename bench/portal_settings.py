"""Settings of the results-day benchmark (``bench/portal_bench.py``): the project's, plus the bench's URLconf.

Everything else is the project's own: the same middleware, the same database settings (persistent connections,
health checks), Django's Redis cache when ``REDIS_URL`` is set (the throttle's counters), DEBUG from the
environment (the benchmark sets it off). Only two things change:

- ``ROOT_URLCONF`` is ``bench.portal_urls``: the project's routes plus the bare comparison view (and stand-in
  lookups for the routes not written yet);
- the per-IP budget is raised so that no request of the load generator, which sends everything from 127.0.0.1,
  is refused with 429: every lookup is still counted, the counting is what is measured.
"""

from sms.settings import *  # noqa: F403

ROOT_URLCONF = "bench.portal_urls"
PORTAL_RATE_PER_IP = 1_000_000_000
