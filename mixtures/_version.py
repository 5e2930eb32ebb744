"""The library's version, in a module of its own so that the model-file writer can record it
without importing the whole package."""

__version__ = "0.1.0"
