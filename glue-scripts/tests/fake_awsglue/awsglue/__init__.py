"""A FAKE of Glue's awsglue package, for test_glue_job_wiring_with_fake_awsglue.py only: it checks how
glue_job.py parses its arguments and which awsglue calls it makes, not Glue itself (awsglue is not on PyPI)."""

CALLS = []  # (name, arguments) of every call the job made
