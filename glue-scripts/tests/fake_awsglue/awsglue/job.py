"""FAKE awsglue.job (see __init__): records init and commit."""

from . import CALLS


class Job:
    def __init__(self, glue_context):
        self.glue_context = glue_context

    def init(self, name, args):
        CALLS.append(("job.init", {"name": name, "args": dict(args)}))

    def commit(self):
        CALLS.append(("job.commit", {}))
