"""The report's sections, in SPEC order (one module per part of the study)."""

from .experiment1 import experiment1
from .state_space import beyond_invertible_a, experiment2

SECTIONS = (experiment1, experiment2, beyond_invertible_a)
