"""Audiences and segments: selecting customers by their tags.

The expression language reads as its pipeline: text → :mod:`~portrait.audience.expr`
(grammar, tree) → :mod:`~portrait.audience.validate` (checked against a snapshot's tags)
→ :mod:`~portrait.audience.sql` (a SQL condition) or :mod:`~portrait.audience.bitmap`
(the bitmap index, built by :mod:`~portrait.audience.bitmap_build`, stored by
:mod:`~portrait.audience.bitmap_file`). Saved audiences, overlaps and exports live in
:mod:`~portrait.audience.saved`; clustering segments in the ``segment*`` modules.
"""
