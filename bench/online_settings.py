"""The benchmark's settings: the project's, plus a bench-only view that does nothing but INSERT an answer
(the baseline the online stage's answer path is compared with). Never used by a deployment."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.online_urls"
