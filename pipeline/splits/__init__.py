"""Bars to model inputs: the feature registry, ``SplitConfig``, training-only scaling, the
``Split`` object (saved as .npz for the trainer) and ``build_split``.
"""
