"""STAND-IN awsglue.job (see __init__): bookmark state loaded at init, saved at commit."""

import os
from pathlib import Path

from . import context


class Job:
    def __init__(self, glue_context):
        self.glue_context = glue_context
        self._name = None

    def init(self, name, args):
        self._name = name
        enabled = args.get("job_bookmark_option", "job-bookmark-disable") == "job-bookmark-enable"
        context.BOOKMARKS.begin(self._state_file(), enabled)

    def commit(self):
        context.BOOKMARKS.commit()

    def _state_file(self):
        return Path(os.environ["GLUE_EMULATOR_STATE_DIR"]) / f"{self._name}.bookmarks.json"
