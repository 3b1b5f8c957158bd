"""Evaluation: attacks per threat model, per-example outcomes, worst cases, certification, the audit.

Nothing is imported here, so importing one module does not import the others."""
