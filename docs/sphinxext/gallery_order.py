"""Order of the examples in the gallery: a reading order, not the alphabet.

Examples listed in ``ORDER`` come first, in that order; any other example
follows, by file name. Add a new example's file name here to place it.
"""

import os

ORDER = [
    # The course, step by step, and what the trained network looks at.
    "plot_course_walkthrough.py",
    "plot_hidden_units.py",
    "plot_own_handwriting.py",
    # Training and tuning the estimator.
    "plot_solvers_loss_curves.py",
    "plot_early_stopping.py",
    "plot_pipeline_cross_validation.py",
    "plot_grid_search.py",
    "plot_confusion_matrix.py",
    # Keras.
    "plot_keras_parity.py",
    "plot_keras_pitfalls.py",
]


class ExampleOrder:
    """Sort key for sphinx-gallery's ``within_subsection_order``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = os.path.basename(str(filename))
        if name in ORDER:
            return (0, ORDER.index(name), name)
        return (1, 0, name)

    def __repr__(self):
        # sphinx-gallery folds the repr into the configuration's hash.
        return f"<{self.__class__.__name__}>"
