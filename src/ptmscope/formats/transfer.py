"""The task stage's words, shared by ``compare`` and ``select`` in every human format, so
both say the same thing about LogME and its baselines."""

from __future__ import annotations

from ptmscope.results.compare import TaskStage, TransferScore


def taus(task: TaskStage) -> str:
    """``logme 0.80, size 0.40, downloads ?``: each ranking's tau with the probe ranking."""
    return ", ".join(
        f"{name} {'?' if tau is None else f'{tau:.2f}'}" for name, tau in task.correlations.items()
    )


def heading(task: TaskStage) -> str:
    """What was measured on what (raw: escape it for the target format)."""
    return (
        f"Task stage on {task.data}: {task.examples} examples, {task.classes} classes, "
        f"{task.folds} folds (LogME {task.logme_seconds:.2f} s, probes "
        f"{task.probe_seconds:.2f} s)"
    )


def size(parameters: int | None) -> str:
    """A parameter count a reader can compare at a glance (``22.7M``); ``?`` unknown."""
    if parameters is None:
        return "?"
    if parameters >= 1_000_000_000:
        return f"{parameters / 1e9:.1f}B"
    if parameters >= 1_000_000:
        return f"{parameters / 1e6:.1f}M"
    return f"{parameters:,}"


def cells(score: TransferScore) -> tuple[str, str, str, str]:
    """LogME, probe accuracy ± std, size and downloads of one candidate (raw text)."""
    logme = "?" if score.logme is None else f"{score.logme:.4f}"
    if score.probe_accuracy is None:
        probe = "?"
    else:
        probe = f"{score.probe_accuracy:.3f} ± {score.probe_std or 0.0:.3f}"
    downloads = "?" if score.downloads is None else f"{score.downloads:,}"
    return logme, probe, size(score.parameters), downloads
