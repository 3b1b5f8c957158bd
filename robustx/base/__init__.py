"""Foundations every layer may use: errors, files, YAML, seeding, progress, checkpoints, devices, processes.

Nothing is imported here, so importing one module does not import the others."""
