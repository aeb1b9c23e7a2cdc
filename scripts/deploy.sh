#!/usr/bin/env bash
# Deploys one stage of Streamlens to AWS with the CDK app in cdk/: synth, diff, deploy.
#
#   scripts/deploy.sh dev                          ask before deploying
#   scripts/deploy.sh prod --image-tag 3f2a9c1 --yes   no question (CI)
#
# Run scripts/deploy.sh --help for details, including the one-time bootstrap of an account.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

usage() {
  cat <<'EOF'
Usage: scripts/deploy.sh STAGE [--image-tag TAG] [--region REGION] [--yes]

Deploys the Streamlens stacks of STAGE (dev or prod) with the CDK app in cdk/:
  1. checks that AWS credentials are available (refuses with exit status 2 when none are);
  2. npm ci                                    (in cdk/)
  3. npx cdk synth -c stage=STAGE [-c imageTag=TAG] [-c region=REGION]
  4. npx cdk diff                              (of exactly what was synthesized)
  5. asks for confirmation, unless --yes
  6. npx cdk deploy --all --require-approval broadening   (never, with --yes)

Options:
  --image-tag TAG  Tag of the images in the ECR repositories streamlens-api, streamlens-worker and
                   streamlens-scheduler to run (CI passes the commit id it built and pushed). Without it, the
                   CDK app's default applies: images built from the Dockerfile during the deploy, which needs
                   a Docker engine.
  --region REGION  Region of the stacks (CDK context `region`; the CDK app's default is us-east-1). The images of
                   --image-tag must be in that region's ECR.
  --yes            Deploy without asking, and without CDK's approval prompt for security-broadening changes
                   (--require-approval never). For CI; the diff is still printed first.
  -h, --help       Show this help.

Credentials come from the standard AWS chain: environment variables, AWS_PROFILE or the default profile
(including SSO: aws sso login first), web identity (CI's OpenID Connect role), or a container or instance role.
The stacks' region is the CDK context `region` (--region), not the AWS_REGION of the credentials.

Bootstrapping: CDK deploys through the resources of `cdk bootstrap` (an S3 bucket, an ECR repository and IAM roles
named cdk-hnb659fds-*), created once per account and region by an administrator:
  cd cdk && npx cdk bootstrap aws://ACCOUNT_ID/REGION
A deploy into an account or region that was not bootstrapped fails with "SSM parameter
/cdk-bootstrap/hnb659fds/version not found". The role CI assumes must be allowed to assume the bootstrap roles
(sts:AssumeRole on arn:aws:iam::ACCOUNT_ID:role/cdk-hnb659fds-*).

Exit status: 0 deployed; 1 a step failed; 2 no AWS credentials; 3 not confirmed; 64 bad arguments.
EOF
}

die_usage() {
  printf 'deploy.sh: %s\n' "$*" >&2
  printf 'Run scripts/deploy.sh --help for the options.\n' >&2
  exit 64
}

step() { printf '\n==> %s\n' "$*"; }

stage=""
image_tag=""
region=""
yes=0

while [ $# -gt 0 ]; do
  case "$1" in
    --image-tag)
      [ $# -ge 2 ] || die_usage "--image-tag needs a value"
      image_tag=$2
      shift 2
      ;;
    --image-tag=*) image_tag=${1#*=}; shift ;;
    --region)
      [ $# -ge 2 ] || die_usage "--region needs a value"
      region=$2
      shift 2
      ;;
    --region=*) region=${1#*=}; shift ;;
    --yes | -y) yes=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) die_usage "unknown option: $1" ;;
    *)
      [ -z "$stage" ] || die_usage "one stage only (got '$stage' and '$1')"
      stage=$1
      shift
      ;;
  esac
done

case "$stage" in
  dev | prod) ;;
  "") die_usage "which stage? dev or prod" ;;
  *) die_usage "unknown stage '$stage' (dev or prod)" ;;
esac
if [ -n "$image_tag" ] && ! [[ "$image_tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  die_usage "--image-tag '$image_tag' is not a valid image tag (letters, digits, _ . -; at most 128)"
fi
if [ -n "$region" ] && ! [[ "$region" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]$ ]]; then
  die_usage "--region '$region' is not an AWS region (such as us-east-1)"
fi

no_credentials() {
  printf 'deploy.sh: no AWS credentials: %s\n' "$1" >&2
  cat >&2 <<'EOF'
Nothing was deployed. Provide credentials through the standard AWS chain, for example:
  - aws sso login --profile NAME, then AWS_PROFILE=NAME scripts/deploy.sh ...
  - AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones)
  - in GitHub Actions, aws-actions/configure-aws-credentials with an OpenID Connect role (deploy.yml does this)
EOF
  exit 2
}

# Succeeds when the environment names a credential source the AWS SDKs and CLI read, without calling AWS.
credential_source() {
  if [ -n "${AWS_ACCESS_KEY_ID:-}" ] && [ -n "${AWS_SECRET_ACCESS_KEY:-}" ]; then
    echo "AWS_ACCESS_KEY_ID"
  elif [ -n "${AWS_PROFILE:-}" ]; then
    echo "profile $AWS_PROFILE"
  elif [ -n "${AWS_WEB_IDENTITY_TOKEN_FILE:-}" ] && [ -n "${AWS_ROLE_ARN:-}" ]; then
    echo "web identity ($AWS_ROLE_ARN)"
  elif [ -n "${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}" ] || [ -n "${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}" ]; then
    echo "container credentials"
  elif [ -s "${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}" ]; then
    echo "shared credentials file"
  elif [ -s "${AWS_CONFIG_FILE:-$HOME/.aws/config}" ]; then
    echo "AWS config file"
  else
    return 1
  fi
}

step "AWS credentials"
if command -v aws >/dev/null 2>&1; then
  if ! identity=$(aws sts get-caller-identity --query '[Account, Arn]' --output text 2>&1); then
    no_credentials "aws sts get-caller-identity failed: $(printf '%s' "$identity" | tr -s '\n' ' ')"
  fi
  read -r account arn <<<"$identity"
  echo "deploying as $arn (account $account)"
else
  # Without the aws CLI the credentials cannot be tried here; CDK reports it if they do not work.
  found=$(credential_source) \
    || no_credentials "none of AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN, AWS_CONTAINER_CREDENTIALS_* or ~/.aws is set, and the aws CLI, which could find others, is not installed"
  account="(from $found)"
  echo "credentials from $found (the aws CLI is not installed to check them)"
fi

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { printf 'deploy.sh: %s is not installed (Node.js 20 or later)\n' "$tool" >&2; exit 1; }
done

context=(-c "stage=$stage")
if [ -n "$image_tag" ]; then context+=(-c "imageTag=$image_tag"); fi
if [ -n "$region" ]; then context+=(-c "region=$region"); fi
assembly="cdk.out/deploy-$stage"

cd "$root/cdk"

step "npm ci (cdk/)"
npm ci --no-audit --no-fund

step "cdk synth ${context[*]}"
rm -rf "$assembly"
npx cdk synth --quiet "${context[@]}" --output "$assembly"

# diff and deploy read the assembly just synthesized, so what is deployed is what was diffed.
step "cdk diff"
npx cdk diff --app "$assembly" "${context[@]}"

if [ "$yes" -eq 1 ]; then
  approval=never
else
  approval=broadening
  if [ ! -t 0 ]; then
    printf 'deploy.sh: not deploying: no terminal to confirm on; pass --yes to deploy without asking\n' >&2
    exit 3
  fi
  printf '\nDeploy stage %s to account %s%s%s? [y/N] ' "$stage" "$account" "${region:+ in $region}" \
    "${image_tag:+ with images $image_tag}"
  read -r answer
  case "$answer" in
    y | Y | yes | YES) ;;
    *) echo "not deployed"; exit 3 ;;
  esac
fi

step "cdk deploy --all (stage $stage)"
progress=()
if [ -n "${CI:-}" ]; then progress=(--progress events); fi
npx cdk deploy --all --app "$assembly" --require-approval "$approval" "${progress[@]}" "${context[@]}"

step "deployed stage $stage"
