"""The report's sections, in SPEC order (one module each)."""

from .experiment1 import experiment1

SECTIONS = (experiment1,)
