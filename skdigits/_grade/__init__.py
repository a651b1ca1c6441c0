"""Grade a learner's own exercise 4 functions offline, with diagnoses.

:func:`grade` calls the learner's ``sigmoid_gradient``,
``rand_initialize_weights``, ``nn_cost_function`` and ``predict`` (Python or
Octave names) on the course's debugging network and on random small networks,
compares every answer with :mod:`skdigits.course`, and, when a part fails,
compares it with the answers of the classic mistakes too, so that the report
names the mistake rather than only saying "wrong".

The modules: ``report`` (:class:`GradeReport`, :class:`PartResult`), ``run``
(learner code in a worker thread with a timeout; exceptions, NumPy warnings
and changed inputs become findings), ``reference`` (the course's network with
or without one classic mistake, the networks graded on), ``mistakes`` (the
tables of classic mistakes of the cost and the gradient), ``cost`` (the four
parts of ``nn_cost_function``), ``parts`` (the other three functions) and
``grader`` (:func:`grade` and ``python -m skdigits grade``).
"""

from skdigits._grade.grader import grade, main

# The tests build the reference networks and variants under these names.
from skdigits._grade.reference import problems as _problems  # noqa: F401
from skdigits._grade.reference import variant as _variant  # noqa: F401
from skdigits._grade.report import GradeReport, PartResult

__all__ = ["GradeReport", "PartResult", "grade", "main"]
