#!/usr/bin/env bash
# Checks the CDK app from a clean install: type-check, tests (assertions, environment contract, cdk-nag), synth of
# both stages into cdk.out/dev and cdk.out/prod (cdk-nag runs again there and stops the synth on any finding), and
# cfn-lint on every synthesized template. Needs Node 20+ and the npm registry (for `npm ci`); no AWS credentials.
#
#   CFN_LINT=/path/to/venv/bin/cfn-lint cdk/scripts/check.sh
#
# CFN_LINT names the cfn-lint executable (1.x), e.g. from `python3 -m venv V && V/bin/pip install 'cfn-lint==1.58.*'`.
set -euo pipefail

cd "$(dirname "$0")/.."

step=""
fail() {
  echo "cdk check FAILED: $*" >&2
  exit 1
}
trap '[ -n "$step" ] && echo "cdk check FAILED during: $step" >&2' ERR

begin() {
  step="$1"
  echo
  echo "== $step"
}

begin "prerequisites"
[ -n "${CFN_LINT:-}" ] || fail "CFN_LINT is not set: point it at a cfn-lint 1.x executable"
[ -x "$CFN_LINT" ] || command -v "$CFN_LINT" >/dev/null || fail "CFN_LINT=$CFN_LINT is not an executable"
"$CFN_LINT" --version
command -v node >/dev/null || fail "node is not installed (Node 20 or later)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "Node $(node --version) is too old: Node 20 or later"
echo "node $(node --version), npm $(npm --version)"

# No AWS account, credentials or network calls are needed; make sure none are picked up by accident.
export CDK_DISABLE_CLI_TELEMETRY=true
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN CDK_DEFAULT_ACCOUNT

begin "npm ci"
npm ci --no-audit --no-fund --loglevel=error

begin "type-check (npm run build)"
npm run --silent build

begin "tests (npm test)"
npm test

begin "synth dev and prod (npm run synth)"
rm -rf cdk.out/dev cdk.out/prod
npm run --silent synth

begin "cfn-lint"
shopt -s nullglob
templates=(cdk.out/dev/*.template.json cdk.out/prod/*.template.json)
[ "${#templates[@]}" -eq 8 ] || fail "expected 8 templates (4 stacks x 2 stages), found ${#templates[@]}: ${templates[*]}"
"$CFN_LINT" -- "${templates[@]}"
echo "cfn-lint: ${#templates[@]} templates, no findings"

step=""
echo
echo "cdk check passed"
