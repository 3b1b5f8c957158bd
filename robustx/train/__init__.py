"""Training: the epoch loop, the defense contract, precision, EMA, optimizers, divergence, best epoch.

Nothing is imported here, so importing one module does not import the others."""
