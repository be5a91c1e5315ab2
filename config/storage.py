"""Static file storage: names with a content hash, so a browser may keep every file for a year.

The page scripts are ES modules that import each other (``import ... from "./socket.js"``); those imports
are rewritten to the hashed names too, so a page never mixes a new module with a cached old one.
"""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedStaticFiles(CompressedManifestStaticFilesStorage):
    """Production: hashed names, imports between modules rewritten, and gzip and brotli copies."""

    support_js_module_import_aggregation = True


class HashedStaticFilesUncompressed(ManifestStaticFilesStorage):
    """The same names without the compressed copies (their compression is most of collectstatic's time);
    the test runs collect with this one."""

    support_js_module_import_aggregation = True
