"""Safe model files: ``model.save(path)`` and ``mixtures.load(path)``.

A model file is a ``.npz`` archive holding only plain arrays (bool, integer, float, unicode) and
JSON metadata; reading it never unpickles, imports or executes anything named by the file, and
every field is validated. See ``docs/model-files.md`` for the format.

>>> model.save("model.npz")                      # doctest: +SKIP
>>> same = mixtures.load("model.npz")            # doctest: +SKIP
>>> mixtures.io.register_family(MyFamily)        # a family of your own, before saving or loading
"""

from mixtures.io.archive import FORMAT_NAME, FORMAT_VERSION
from mixtures.io.errors import ModelFileError
from mixtures.io.model_file import load, save
from mixtures.io.registry import register_family, register_prior
from mixtures.models import Estimator

Estimator.write_model_files_with(save)

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "ModelFileError",
    "load",
    "register_family",
    "register_prior",
    "save",
]
