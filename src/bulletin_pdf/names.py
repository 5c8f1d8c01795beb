"""The names an editor types and reads: outputs, bindings, the project's files.

Kept apart from the modules that use them so that the command line can offer and
print them without loading a stage (a no-op build loads none).
"""

from __future__ import annotations

PROFILE_NAMES = ("screen", "print")
PROFILE_LABELS = {"screen": "屏幕版", "print": "印刷版"}
BINDINGS = ("saddle", "perfect", "none")
MANIFEST_NAME = "issue.yaml"
FONTS_FILE = "fonts.yaml"
DEFAULT_PORT = 8765  # the preview's; when busy, and no port was asked for: any free one
