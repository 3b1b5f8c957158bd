"""Runs: run directories, the staged RecipeRun, resume, studies, launchers, re-evaluation.

Nothing is imported here, so importing one module does not import the others."""
