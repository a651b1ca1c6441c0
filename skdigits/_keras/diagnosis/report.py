"""The diagnosis's result: findings of two kinds, printable and iterable.

Keras is not imported here.
"""

import html
from dataclasses import dataclass

STOPS = "stops-training"
DEPARTURE = "departure"


def percent(accuracy):
    """``'36%'``, or ``'fit fails'`` for a run that raised."""
    return "fit fails" if accuracy is None else f"{100 * accuracy:.0f}%"


@dataclass(frozen=True)
class Finding:
    """One finding of :func:`skdigits.course.diagnose_keras_model`.

    Attributes
    ----------
    kind : {'stops-training', 'departure'}
        ``'stops-training'``: it keeps the model from training (measured by the
        probe, or certain: the fit fails, or a rule measured offline);
        ``'departure'``: where the model departs from the course's network,
        which does not keep it from training.

    effect : tuple of (float or None, float) or None
        The training accuracy before and after the fix, as measured by the
        probe (``None`` before when the fit as given fails); ``None`` when not
        measured.

    check : str
        Which check found it: ``'penalty'``, ``'labels'``, ``'loss'``,
        ``'inputs'``, ``'optimizer'``, ``'layers'``.

    sentence : str
        The finding in words, ``str(finding)``.
    """

    kind: str
    check: str
    sentence: str
    effect: tuple | None = None

    @property
    def measured(self):
        return self.effect is not None

    def __str__(self):
        return self.sentence


class KerasDiagnosis:
    """What :func:`skdigits.course.diagnose_keras_model` found.

    ``print(diagnosis)`` gives the report, a notebook shows a table, and
    iterating yields the findings (what keeps the model from training first,
    ranked by measured gain, then the departures from the course's network).

    Attributes
    ----------
    findings : list of Finding
        The findings, in the order they matter.

    summary : str
        The report's first line: whether the model trains, with the probe's
        number when measured.

    baseline : float or None
        The probe's training accuracy of the model as given (None when not
        measured or when its fit fails).

    probe_seconds : float
        Time the probe took (0 without data).
    """

    def __init__(self, findings, summary, baseline=None, probe_seconds=0.0):
        kinds = {STOPS: 0, DEPARTURE: 1}
        self.findings = sorted(findings, key=lambda f: kinds[f.kind])
        self.summary = summary
        self.baseline = baseline
        self.probe_seconds = probe_seconds

    @property
    def stops_training(self):
        """The findings that keep the model from training."""
        return [f for f in self.findings if f.kind == STOPS]

    def __iter__(self):
        return iter(self.findings)

    def __len__(self):
        return len(self.findings)

    def __getitem__(self, index):
        return self.findings[index]

    def __str__(self):
        lines = [self.summary]
        for heading, kind in (
            ("What keeps it from training:", STOPS),
            (
                "Departures from the course's network (they do not keep it from "
                "training):",
                DEPARTURE,
            ),
        ):
            chosen = [f for f in self.findings if f.kind == kind]
            if chosen:
                lines.append(heading)
                lines += [f"{i}. {f}" for i, f in enumerate(chosen, 1)]
        return "\n".join(lines)

    def __repr__(self):
        return (
            f"<KerasDiagnosis: {len(self.stops_training)} stops-training, "
            f"{len(self) - len(self.stops_training)} departure findings>"
        )

    def _repr_html_(self):
        rows = "".join(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                html.escape(f.kind),
                html.escape(
                    "not measured"
                    if f.effect is None
                    else f"{percent(f.effect[0])} -> {percent(f.effect[1])}"
                ),
                html.escape(f.sentence),
            )
            for f in self.findings
        )
        return (
            f"<p>{html.escape(self.summary)}</p><table><thead><tr><th>kind</th>"
            f"<th>effect</th><th>finding</th></tr></thead><tbody>{rows}"
            "</tbody></table>"
        )
