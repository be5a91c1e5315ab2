"""The question bank's admin, one module per job:

- ``questions``: the question admin (list, form, revisions, phone preview, links to the pages below);
- ``workflow``: the review workflow's buttons, view and bulk actions, derived from the engine's table;
- ``actions``: the other bulk actions (adding tags) and the intermediate page actions ask on;
- ``forms``, ``filters``, ``search``: the question form, the list filters, the list search;
- ``tags``: the tag admin (taxonomy and free tags);
- ``imports``: the import page (upload, preview, commit);
- ``pages``: item statistics (with exports) and the draw preview.

Importing this package registers ``Question`` and ``Tag`` with the admin site.
"""

from questionbank.admin.questions import QuestionAdmin
from questionbank.admin.tags import TagAdmin

__all__ = ["QuestionAdmin", "TagAdmin"]
