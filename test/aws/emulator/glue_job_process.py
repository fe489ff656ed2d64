"""The process a Glue job run is, in the emulation: argv = result file, script, then the job's arguments.
Runs the script as __main__ (as Glue does) and records the run's state and ErrorMessage the way Glue derives
them: an uncaught exception gives "<ExceptionClass>: <message>"; a non-zero sys.exit gives only the exit code."""

import json
import runpy
import sys
import traceback


def main() -> None:
    result_file, script, *arguments = sys.argv[1:]
    sys.argv = [script, *arguments]
    result = {"state": "SUCCEEDED", "errorMessage": ""}
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        if stop.code not in (None, 0):
            result = {"state": "FAILED", "errorMessage": f"SystemExit: {stop.code}"}
    except BaseException as err:  # noqa: BLE001 - a job run fails on anything
        traceback.print_exc()
        result = {"state": "FAILED", "errorMessage": f"{type(err).__name__}: {err}"}
    with open(result_file, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
