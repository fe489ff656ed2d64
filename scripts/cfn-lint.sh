#!/usr/bin/env bash
# Synthesizes the pipeline with QuickSight off and on (offline, no AWS account) and runs cfn-lint on every template.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cfn-lint >/dev/null || { echo "cfn-lint is missing: pip install -r requirements-dev.txt" >&2; exit 1; }
principal="${QUICKSIGHT_PRINCIPAL_ARN:-arn:aws:quicksight:us-east-1:123456789012:user/default/alice}"
status=0
for variant in off on; do
  out="cdk.out.lint-${variant}"
  args=(-o "$out" --quiet)
  [ "$variant" = on ] && args+=(-c quicksight.enabled=true -c "quicksight.principalArn=${principal}")
  npx cdk synth "${args[@]}" >/dev/null
  echo "== cfn-lint, QuickSight ${variant}"
  # Exit status bits: 1 fatal, 2 error, 4 warning, 8 informational; only fatal and error fail.
  cfn-lint "$out"/*.template.json || { rc=$?; if (( rc & 3 )); then status=1; fi; }
done
exit "$status"
