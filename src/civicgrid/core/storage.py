from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files, without rewriting source-map comments.

    The npm packages reference .map files that are not collected (they are for library developers, and large);
    Django would otherwise refuse to collect a file whose map is missing.
    """

    patterns = tuple(
        (extension, tuple(rule for rule in rules if "sourceMappingURL" not in str(rule)))
        for extension, rules in ManifestStaticFilesStorage.patterns
    )
