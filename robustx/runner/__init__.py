"""Running a recipe, one stage per method (the shape of a torchtune recipe class).

``entry.run_recipe`` (public as ``robustx.run_recipe``) loads or resumes a recipe; a study goes
to ``robustx.study``. ``recipe_run.RecipeRun`` runs one recipe: setup -> resume -> train ->
evaluate -> finish. The jobs its stages delegate each live in one module:

- ``directory``: run directories, the marker that makes them resumable, a kill's leftovers;
- ``launch``: start a run in a new directory, or continue one as it was recorded;
- ``device``, ``data`` (dataset, splits), ``setup`` (model, optimizer, schedule, defense);
- ``state``: checkpoint, resume and the per-epoch files; ``best``: best epoch, early stopping;
- ``evaluation``: validation and test attacks; ``finish``: results files and analyses.

Nothing is imported here, so importing one module does not import them all.
"""
