"""Cold start: a public register of industrial facilities (E-PRTR) into unclaimed company
profiles with indicative listings.

- ``mapping``: Annex I activity → NACE Rev. 2 and → typical waste streams (data files);
  a register row read and checked;
- ``services``: a row → profile, site and listings (idempotent by facility id); staff
  actions on unclaimed profiles;
- ``selectors``: the unclaimed (and claimed) profiles of an agency's regions;
- ``importer``: the "facilities" kind of ``matching.imports``.
"""
