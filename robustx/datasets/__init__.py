"""Data: the dataset contract, splits, in-memory and on-disk batches, augmentation, extra data.

Nothing is imported here, so importing one module does not import the others."""
