"""The pieces of ``python -m skdigits`` (:mod:`skdigits.__main__`).

``options`` (the command line: the parser, the checks of its values, the data,
the weights and the output folder it names), ``steps`` (the walk-through's
steps, one function each), ``summary`` (the closing section and the one-line
summary) and ``report`` (the numbers and pictures, on screen and in
``report.html``). The ``grade`` subcommand is the grader's own
(:func:`skdigits._grade.main`), dispatched by :func:`skdigits.__main__.main`,
as are ``predict`` (``predict``: your own digit images) and ``serve``
(``serve``: a page to draw digits on, ``draw.html``), which share the model
of ``models`` (the course's network, cached in the user's cache folder, or a
skops/joblib file).
"""
