"""Models: built from registry names with normalization inside, rebuilt from a run's files.

Nothing is imported here, so importing one module does not import the others."""
