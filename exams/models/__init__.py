"""The tables of module (e): ``core`` holds exams and admissions (part 1), ``diplomas`` the
graduation reviews and the diploma registers (part 2). Import models from ``exams.models``."""

from .core import *  # noqa: F401,F403
from .diplomas import *  # noqa: F401,F403
