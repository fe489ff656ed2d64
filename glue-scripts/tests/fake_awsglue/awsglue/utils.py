"""FAKE awsglue.utils (see __init__): getResolvedOptions as documented, "--NAME value" pairs."""

from . import CALLS


def getResolvedOptions(argv, names):  # noqa: N802 (Glue's name)
    CALLS.append(("getResolvedOptions", list(names)))
    found = {}
    for i, token in enumerate(argv):
        if token.startswith("--") and token[2:] in names and i + 1 < len(argv):
            found[token[2:]] = argv[i + 1]
    missing = [n for n in names if n not in found]
    if missing:
        raise SystemExit(f"the following arguments are required: {', '.join('--' + n for n in missing)}")
    return found
