"""STAND-IN for AWS Glue's `awsglue` library (not published), used only by the emulated-account tests (test/aws).

It emulates the Glue behaviours glue_job.py relies on, and nothing else:
- getResolvedOptions: "--NAME value" arguments, an error naming the missing ones;
- GlueContext.create_dynamic_frame.from_catalog: reads the catalog table (GetTable, with the job role's
  credentials) and the CSV objects under its location (ListBucket, GetObject through Spark's S3 file system);
  with job bookmarks enabled only objects not handed over by an earlier *committed* run of the same job and
  transformation_ctx are read; `attachFilename` adds the object's s3:// path as a column (Spark's
  input_file_name(), as Glue does); an empty bookmark batch is an empty frame with the table's columns;
- Job.init / Job.commit: the bookmark state is loaded at init and saved only at commit, in a folder given by
  GLUE_EMULATOR_STATE_DIR (Glue keeps it in its own service).
"""
