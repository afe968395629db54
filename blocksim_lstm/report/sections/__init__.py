"""The report's sections, in SPEC order (one module per part of the study)."""

from .claims import claims
from .dynamics import dynamics
from .experiment1 import experiment1
from .state_space import beyond_invertible_a, experiment2
from .structure import diagram_and_loops, parameter_count
from .training import sensitivity_sweep, study_calculated, study_random

SECTIONS = (
    diagram_and_loops,
    experiment1,
    parameter_count,
    experiment2,
    beyond_invertible_a,
    study_calculated,
    study_random,
    sensitivity_sweep,
    dynamics,
    claims,
)
