"""Grade a learner's own exercise 4 functions offline, with diagnoses.

:func:`grade` finds the learner's ``sigmoid_gradient``,
``rand_initialize_weights``, ``nn_cost_function`` (and a separate gradient
function) and ``predict`` (Python or Octave names) in a file, a notebook, a
module or ``globals()``, finds the convention they follow (unrolling order,
label base, shape of ``y``), grades each part in that convention against a
plain NumPy copy of the course's network, and, when a part fails, compares
the answer with the classic mistakes too, so that the report names the
mistake rather than only saying "wrong".

The modules: ``report`` (:class:`GradeReport`, :class:`PartResult`), ``run``
(learner code in a worker thread with a timeout; exceptions, NumPy warnings
and changed inputs become findings), ``reference`` (the course's network, its
conventions, the networks graded on), ``mistakes`` (the tables of classic
mistakes of the cost and the gradient), ``sources`` (files, notebooks and
which function is which), ``selective`` (a file or notebook run without its
data loading, training, plotting and submitting), ``answers`` (the cost
function called in every convention, its answers read), ``convention`` (the
convention found from them), ``cost`` (the four parts of
``nn_cost_function``), ``parts`` (the other three functions) and ``grader``
(:func:`grade` and ``python -m skdigits grade``). Nothing here imports
:mod:`skdigits.course`, which re-exports :func:`grade`.
"""

from skdigits._grade.grader import grade, main

# The tests build the reference networks and variants under these names.
from skdigits._grade.reference import problems as _problems  # noqa: F401
from skdigits._grade.reference import variant as _variant  # noqa: F401
from skdigits._grade.report import GradeReport, PartResult

__all__ = ["GradeReport", "PartResult", "grade", "main"]
