"""The BLAS thread policy: one thread for a fit, workers passed explicitly."""

import pytest
from threadpoolctl import ThreadpoolController, threadpool_limits

from skdigits._threads import (
    SMALL_WORK,
    blas_threads_in_force,
    evaluation_workers,
    one_blas_thread,
)

pytestmark = pytest.mark.skipif(
    not ThreadpoolController().select(user_api="blas").lib_controllers,
    reason="threadpoolctl finds no BLAS library to control",
)


def test_one_blas_thread_inside_and_the_callers_count_after():
    with threadpool_limits(2, user_api="blas"):
        with one_blas_thread() as caller:
            assert caller == 2
            assert blas_threads_in_force() == 1
        assert blas_threads_in_force() == 2


def test_one_blas_thread_restores_after_an_error():
    with threadpool_limits(2, user_api="blas"):
        with pytest.raises(KeyError):
            with one_blas_thread():
                raise KeyError("boom")
        assert blas_threads_in_force() == 2


@pytest.mark.parametrize(
    "work, caller, expected",
    [
        (None, 4, 1),  # the engine runs its own threads (TensorFlow)
        (SMALL_WORK - 1, 4, 1),  # too small to pay for threads
        (SMALL_WORK, 4, 4),
        (SMALL_WORK, 1, 1),  # the caller's limit is respected
        (10 * SMALL_WORK, 0, 1),
    ],
)
def test_evaluation_workers(work, caller, expected):
    assert evaluation_workers(work, caller) == expected
