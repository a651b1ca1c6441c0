"""The checks behind :func:`skdigits.course.diagnose_keras_model`.

``reading`` (the model, its labels and inputs read into facts), ``candidates``
(what might keep the model from training, each with its fix), ``probe`` (short
training runs on clones, within a time budget), ``penalty``, ``loss`` and
``training`` (where the model departs from the course's network), ``report``
(the result object). These modules import Keras at the top:
:mod:`skdigits._keras.course` imports them only after
:func:`skdigits._keras.require_keras`.
"""

import math

from skdigits._keras.diagnosis import candidates as rules
from skdigits._keras.diagnosis.common import data_scale
from skdigits._keras.diagnosis.loss import check_loss
from skdigits._keras.diagnosis.penalty import check_penalty, penalty_consistency
from skdigits._keras.diagnosis.probe import Probe
from skdigits._keras.diagnosis.reading import read_inputs, read_labels, read_model
from skdigits._keras.diagnosis.report import (
    DEPARTURE,
    STOPS,
    Finding,
    KerasDiagnosis,
    percent,
)
from skdigits._keras.diagnosis.training import check_layers

# A fix that raises the training accuracy by this much (absolute) keeps the
# model from training; below it, the model trains (perhaps a little slower).
GAIN = 0.15
# Keras's own defaults for model.fit.
_KERAS_EPOCHS, _KERAS_BATCH_SIZE = 1, 32


def _last_fit(model):
    return getattr(getattr(model, "history", None), "params", None) or {}


def _fit_settings(model, n_samples, epochs, batch_size):
    """``(epochs, batch_size)``: as given, else the model's last fit's, else
    Keras's defaults."""
    params = _last_fit(model)
    if epochs is None:
        epochs = params.get("epochs") or _KERAS_EPOCHS
    if batch_size is None:
        steps = params.get("steps")
        batch_size = math.ceil(n_samples / steps) if steps else _KERAS_BATCH_SIZE
    return int(epochs), int(min(batch_size, n_samples))


def _candidates(facts, X, labels, n_samples, lambda_, steps, full_batch):
    found = []
    if labels is not None:
        found.append(rules.labels_candidate(facts, labels))
    found.append(rules.penalty_candidate(facts, n_samples, lambda_))
    if labels is None or found[0] is None or found[0].loss is None:
        found.append(rules.loss_candidate(facts, labels))
    if X is not None:
        found.append(rules.inputs_candidate(X))
    found.append(rules.optimizer_candidate(facts, steps, full_batch))
    return [c for c in found if c is not None]


def _departures(facts, n_samples, lambda_, skip_penalty):
    output = facts.output
    scale = data_scale(facts.model, output)
    findings = []
    if not skip_penalty:
        findings += check_penalty(facts.dense, n_samples, lambda_, scale)
    findings += check_layers(facts)
    consistency = penalty_consistency(facts.dense, n_samples, lambda_, scale)
    findings += check_loss(facts.model, output, facts.out_activation, consistency)
    return [Finding(DEPARTURE, "course", _sentence(f)) for f in findings]


def _capital(text):
    return text[:1].upper() + text[1:]


def _sentence(text):
    text = text.strip()
    return text if text.endswith(".") else text + "."


def diagnose(model, *, n_samples, X, y, epochs, batch_size, lambda_, time_budget):
    """A :class:`KerasDiagnosis` of ``model`` (arguments checked by the caller,
    except what needs Keras to read)."""
    facts = read_model(model)
    labels = None
    if X is not None:
        X = read_inputs(X, facts)
        if y is not None:
            labels = read_labels(y, len(X))
    known = epochs is not None or _last_fit(model).get("epochs") is not None
    epochs, batch_size = _fit_settings(model, n_samples, epochs, batch_size)
    # The steps taken, when known: the optimizer's rules need them.
    steps = epochs * math.ceil(n_samples / batch_size) if known else None
    found = _candidates(
        facts, X, labels, n_samples, lambda_, steps, batch_size >= n_samples
    )
    if labels is None:
        return _rule_based(facts, found, n_samples, lambda_)
    probe = Probe(
        facts, X, labels.y, epochs=epochs, batch_size=batch_size, budget=time_budget
    )
    return _measured(facts, found, probe, n_samples, lambda_)


def _rule_based(facts, found, n_samples, lambda_):
    findings = []
    for candidate in found:
        if candidate.certain:
            findings.append(
                Finding(
                    STOPS,
                    candidate.check,
                    _sentence(candidate.rule)
                    + " (rule, not measured: pass X and y to measure it; the fix "
                    f"to try: {candidate.fix}).",
                )
            )
        elif candidate.departure:
            findings.append(
                Finding(
                    DEPARTURE,
                    candidate.check,
                    _sentence(candidate.departure) + " (not measured).",
                )
            )
    findings.sort(key=lambda f: rules.PRIORITY.get(f.check, 9))
    skip = any(f.check == "penalty" for f in findings)
    findings += _departures(facts, n_samples, lambda_, skip)
    summary = "Not measured (pass X and y to train the model briefly): " + (
        "rules say what keeps it from training."
        if any(f.kind == STOPS for f in findings)
        else "no rule finds what would keep it from training."
    )
    return KerasDiagnosis(findings, summary)


def _measured(facts, found, probe, n_samples, lambda_):
    probe.share = probe.budget / (1 + len(found))
    base = probe.run()
    before = base.accuracy
    alone, together, without, explained = {}, None, {}, False
    healthy = before is not None and before >= 1 - GAIN
    if not healthy:
        # All fixes together first: when the budget runs short, it and any
        # single run still tell what each of two fixes adds to the other.
        if len(found) >= 2 and probe.can_run():
            together = probe.run(found).accuracy
        # With two fixes, each one alone is the other's leave-one-out run:
        # the second's first, so that a short budget measures the first.
        order = list(range(len(found)))
        if len(found) == 2:
            order.reverse()
        for i in order:
            if probe.can_run():
                alone[i] = probe.run([found[i]]).accuracy
        explained = any((a or 0.0) >= (before or 0.0) + GAIN for a in alone.values())
        # Leave-one-out runs only when no fix alone is enough: then the
        # fixes are needed together (the seed's penalty and learning rate).
        if (
            not explained
            and together is not None
            and together >= (before or 0.0) + GAIN
        ):
            for i in range(len(found)):
                if len(found) == 2:
                    if 1 - i in alone:
                        without[i] = alone[1 - i]
                elif probe.can_run():
                    rest = [c for j, c in enumerate(found) if j != i]
                    without[i] = probe.run(rest).accuracy
    after_steps = probe.describe_steps()
    stops, departures = [], []
    for i, candidate in enumerate(found):
        measured = alone.get(i)
        gain = -1.0 if measured is None else measured - (before or 0.0)
        with_others = None
        if i in without and together is not None:
            loo = together - (without[i] or 0.0)
            if loo >= GAIN and loo > gain:
                # Needed together with the others: ranked by the joint gain,
                # which all such fixes share (ties go by priority).
                gain = together - (before or 0.0)
                with_others = (without[i], together)
        if gain >= GAIN:
            if with_others is not None:
                others = "; ".join(c.fix for j, c in enumerate(found) if j != i)
                effect = with_others
                sentence = (
                    f"{_capital(candidate.fix)}: {percent(effect[0])} -> "
                    f"{percent(effect[1])} after the same {after_steps}, with "
                    f"the other fixes applied too ({others})"
                    + (
                        f"; alone: {percent(before)} -> {percent(measured)}. "
                        if i in alone
                        else ". "
                    )
                    + _sentence(candidate.rule)
                )
            else:
                effect = (before, measured)
                sentence = (
                    f"{_capital(candidate.fix)}: {percent(before)} -> "
                    f"{percent(measured)} "
                    f"after the same {after_steps}. {_sentence(candidate.rule)}"
                )
            stops.append(
                (gain, candidate, Finding(STOPS, candidate.check, sentence, effect))
            )
        elif (
            candidate.certain
            and not healthy
            and (
                i not in alone
                or (
                    not explained
                    and i not in without
                    and together is not None
                    and together >= (before or 0.0) + GAIN
                )
            )
        ):
            # A rule that needs no measuring, left unmeasured by the budget.
            stops.append(
                (
                    0.0,
                    candidate,
                    Finding(
                        STOPS,
                        candidate.check,
                        f"{_sentence(candidate.rule)} (rule, "
                        + (
                            "not measured: the time budget was spent"
                            if i not in alone
                            else f"not fully measured: alone, {percent(before)} "
                            f"-> {percent(alone[i])}; the time budget did not "
                            "allow the run with the other fixes"
                        )
                        + f"; the fix to try: {candidate.fix}).",
                    ),
                )
            )
        elif candidate.departure:
            text = _sentence(candidate.departure)[:-1]
            if i not in alone:
                note = (
                    "not measured: the model trains as given"
                    if healthy
                    else "not measured: the time budget was spent"
                )
                departures.append(
                    Finding(DEPARTURE, candidate.check, f"{text} ({note}).")
                )
            else:
                departures.append(
                    Finding(
                        DEPARTURE,
                        candidate.check,
                        f"{text} ({candidate.fix}: {percent(before)} -> "
                        f"{percent(measured)} after the same {after_steps}: it "
                        "does not keep the model from training).",
                        (before, measured),
                    )
                )
    # Ranked by measured gain; near-ties (within 5 points) by the order the
    # causes act in: labels, penalty, loss, inputs, optimizer.
    stops.sort(key=lambda item: (-round(item[0] / 0.05), item[1].priority))
    findings = [finding for _, _, finding in stops]
    if base.error is not None and not findings:
        findings.append(
            Finding(
                STOPS,
                "fit",
                f"model.fit fails as given ({base.error}), and no fix tried "
                "here makes it work.",
                None,
            )
        )
    skip_penalty = any(f.check == "penalty" for f in findings)
    findings += departures + _departures(facts, n_samples, lambda_, skip_penalty)
    if base.error is not None:
        summary = f"model.fit fails as given: {base.error}"
    elif any(f.kind == STOPS for f in findings):
        summary = (
            f"This model does not train as given: {percent(before)} training "
            f"accuracy after {after_steps}."
        )
    elif healthy:
        summary = (
            "Nothing here keeps this model from training: "
            f"{percent(before)} training accuracy after {after_steps}."
        )
    else:
        summary = (
            f"The model reaches {percent(before)} training accuracy after "
            f"{after_steps}, and no fix tried here raises that by "
            f"{100 * GAIN:.0f} points or more."
        )
    summary += f" (probe: {probe.elapsed:.0f} s)"
    return KerasDiagnosis(findings, summary, before, probe.elapsed)
