"""A run that ends "finished" but diverged says so in the window, as `rnn-designer train` does."""
from __future__ import annotations

from test_training_panel import show_panel

from designer.training.session import RunOutcome


def test_a_diverged_run_is_not_reported_as_a_plain_success(window) -> None:  # noqa: ANN001
    show_panel(window)
    panel = window.training_panel
    warning = ("the run diverged: the training loss rose from 0.2 (the first step) to 5.9e+13 (the latest steps); "
               "lower the learning rate (now 1e+06) or clip gradients, and train again from the start")
    result = {"status": "finished", "step": 12, "val": {"mse": 5.9e13}, "main_metric": "mse", "warnings": [warning]}
    panel._on_finished(RunOutcome(result=result, trained=None, continuation=None))  # what the run's end event calls
    assert panel.status_text.startswith("Finished at step 12")
    assert "Warning: The run diverged" in panel.status_text and "lower the learning rate" in panel.status_text

    calm = {"status": "finished", "step": 12, "val": {"mse": 0.01}, "main_metric": "mse", "warnings": []}
    panel._on_finished(RunOutcome(result=calm, trained=None, continuation=None))
    assert "Warning" not in panel.status_text
