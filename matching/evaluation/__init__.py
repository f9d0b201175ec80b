"""Evaluation of the matcher on documented exchanges (``manage.py evaluate_matcher``).

``benchmark`` reads the pairs and distractor files of ``../shared/benchmarks/README.md``,
``distractors`` generates realistic extra listings, ``metrics`` ranks and scores, and
``services`` runs the production matcher on them in a rolled-back transaction.
"""
