"""What :func:`~skdigits.course.grade` returns: one record a part, in a report."""

import html
from dataclasses import dataclass


@dataclass
class PartResult:
    """The grade of one part.

    Attributes
    ----------
    passed : bool or None
        True or False; None when the part's function was not submitted.
    message : str
        A plain sentence: what was checked, or what is wrong and the number
        that shows it.
    diagnosis : str or None
        A short name of the mistake found (``"bias_regularized"``,
        ``"raises"``, ...), None when the part passes or is not submitted.
    """

    passed: object
    message: str
    diagnosis: object = None


class GradeReport:
    """The result of :func:`grade`: one record per part.

    Parameters
    ----------
    parts : dict of str to PartResult
        Keyed by part name, in the course's order. Each record has ``passed``
        (True, False, or None when not submitted), ``message`` (one sentence)
        and ``diagnosis`` (a short name of the mistake found, or None).

    seconds : float, default=0.0
        Time the grade took.

    convention : str, default=None
        The convention the learner's functions were graded in, in words
        (unrolling order, label base, shape of ``y``), or None when no cost
        function was graded.

    notes : list of str, default=None
        Sentences shown under the table: the course grader's network's
        numbers, what the learner's code printed, cells a notebook skipped.

    output : str, default=""
        What the learner's code printed while it was loaded and graded.

    Attributes
    ----------
    parts : dict of str to PartResult
        The records, keyed by part name.

    seconds : float
        Time the grade took.

    convention : str or None
        The convention graded in.

    notes : list of str
        Sentences shown under the table.

    output : str
        What the learner's code printed while it was loaded and graded.

    See Also
    --------
    grade : Grade your own functions against the course's.

    Examples
    --------
    >>> from skdigits import course
    >>> report = course.grade(sigmoid_gradient=course.sigmoid_gradient)
    >>> report.parts["sigmoid_gradient"].passed, report.parts["cost"].passed
    (True, None)
    >>> report.passed
    True
    """

    def __init__(self, parts, seconds=0.0, convention=None, notes=None, output=""):
        self.parts = dict(parts)
        self.seconds = float(seconds)
        self.convention = convention
        self.notes = list(notes or [])
        self.output = output

    @property
    def passed(self):
        """True when at least one part was submitted and every submitted part passes."""
        submitted = [r for r in self.parts.values() if r.passed is not None]
        return bool(submitted) and all(r.passed for r in submitted)

    @staticmethod
    def _verdict(result):
        return {True: "passed", False: "FAILED", None: "not submitted"}[result.passed]

    def __str__(self):
        width = max(len(name) for name in self.parts)
        lines = []
        if self.convention:
            lines.append(f"Convention: {self.convention}.")
        lines.append(f"{'Part':<{width}}  {'Result':<13}  Message")
        for name, result in self.parts.items():
            lines.append(
                f"{name:<{width}}  {self._verdict(result):<13}  {result.message}"
            )
        n_sub = sum(r.passed is not None for r in self.parts.values())
        n_ok = sum(r.passed is True for r in self.parts.values())
        lines.append(
            f"{n_ok} of {n_sub} submitted parts passed ({len(self.parts)} parts) "
            f"in {self.seconds:.2f} s."
        )
        lines.extend(f"Note: {note}" for note in self.notes)
        return "\n".join(lines)

    def __repr__(self):
        verdicts = ", ".join(
            f"{name}={self._verdict(r)}" for name, r in self.parts.items()
        )
        return f"GradeReport({verdicts})"

    def _repr_html_(self):
        colours = {True: "#1a7f37", False: "#cf222e", None: "#6e7781"}
        rows = "".join(
            f"<tr><td><code>{html.escape(name)}</code></td>"
            f'<td style="color:{colours[r.passed]}"><b>{self._verdict(r)}</b></td>'
            f"<td>{html.escape(r.message)}</td></tr>"
            for name, r in self.parts.items()
        )
        head = (
            f"<p>Convention: {html.escape(self.convention)}.</p>"
            if self.convention
            else ""
        )
        notes = "".join(f"<p>Note: {html.escape(n)}</p>" for n in self.notes)
        return (
            f"<div>{head}<table><thead><tr><th>Part</th><th>Result</th>"
            f"<th>Message</th></tr></thead><tbody>{rows}</tbody></table>{notes}</div>"
        )
