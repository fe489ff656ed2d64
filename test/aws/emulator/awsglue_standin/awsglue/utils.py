"""STAND-IN awsglue.utils (see __init__): getResolvedOptions."""


def getResolvedOptions(argv, options):  # noqa: N802 (Glue's name)
    found = {}
    for i, token in enumerate(argv):
        if token.startswith("--") and i + 1 < len(argv):
            name = token[2:]
            if name in options or name == "job-bookmark-option":
                found[name.replace("-", "_") if name == "job-bookmark-option" else name] = argv[i + 1]
    missing = [n for n in options if n not in found]
    if missing:
        raise RuntimeError(f"the following arguments are required: {', '.join('--' + n for n in missing)}")
    return found
