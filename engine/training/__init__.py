"""Training: the Trainer and its callbacks, probes of gates and gradient flow, checkpoints and
metrics. Tasks and data files live in :mod:`engine.data`."""
