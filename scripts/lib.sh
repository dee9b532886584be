#!/usr/bin/env bash
# Shared by deploy.sh, deploy-webui.sh, teardown.sh and package.sh: argument handling, prerequisite
# checks, dry-run, stack outputs and the web UI build/upload. Sourced, never run directly.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${REPO_ROOT}/build"
DRY_RUN=false
REGION=""
PROFILE=""

die() {
  echo "error: $*" >&2
  exit 1
}

info() {
  echo "==> $*" >&2
}

# Run a command, or only print it with --dry-run. Every AWS, SAM and npm call goes through here.
run() {
  if [[ "${DRY_RUN}" == true ]]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

# Optional --profile / --region arguments for aws and sam, as an array.
aws_options() {
  AWS_OPTIONS=(--region "${REGION}")
  if [[ -n "${PROFILE}" ]]; then
    AWS_OPTIONS+=(--profile "${PROFILE}")
  fi
}

require_command() {
  local name="$1" hint="$2"
  command -v "${name}" >/dev/null 2>&1 || die "${name} is not installed or not on PATH. ${hint}"
}

# Fail unless `version` (e.g. v20.11.1 or 3.11.7) is at least `major.minor`.
require_version() {
  local tool="$1" version="$2" minimum="$3"
  local major minor want_major want_minor
  version="${version#v}"
  IFS=. read -r major minor _ <<<"${version}"
  IFS=. read -r want_major want_minor <<<"${minimum}"
  if ! [[ "${major}" =~ ^[0-9]+$ && "${minor:-0}" =~ ^[0-9]+$ ]]; then
    die "could not read the version of ${tool} (got '${version}')"
  fi
  if ((major < want_major || (major == want_major && ${minor:-0} < want_minor))); then
    die "${tool} ${version} is too old: AllStore needs ${tool} ${minimum} or newer"
  fi
}

require_aws_cli() {
  require_command aws "Install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
}

require_aws_tools() {
  require_aws_cli
  require_command sam "Install the AWS SAM CLI (pip install aws-sam-cli, or 'make install' puts it in .venv/bin)."
}

# The lowest Node version webui/package.json's "engines" accepts (">=20.19" or "^20.19.0" -> 20.19).
node_minimum() {
  python3 - "${REPO_ROOT}/webui/package.json" <<'PYTHON'
import json, re, sys
spec = json.load(open(sys.argv[1])).get("engines", {}).get("node", "")
match = re.fullmatch(r"\s*(?:>=|\^|~)?\s*v?(\d+)(?:\.(\d+))?(?:\.\d+)?\s*", spec)
if not match:
    sys.exit(f"error: cannot read a minimum from engines.node {spec!r} in {sys.argv[1]}")
print(f"{match.group(1)}.{match.group(2) or 0}")
PYTHON
}

require_build_tools() {
  local node_version
  require_command python3 "Install Python 3.11 or newer: https://www.python.org/downloads/"
  require_version python3 "$(python3 -c 'import platform; print(platform.python_version())')" 3.11
  node_version="$(node_minimum)" || exit 1
  require_command node "Install Node.js ${node_version} or newer (webui/package.json engines): https://nodejs.org/"
  require_command npm "npm comes with Node.js: https://nodejs.org/"
  require_version node "$(node --version)" "${node_version}"
}

# The region: --region, else the environment, else the profile's configured region.
resolve_region() {
  if [[ -z "${REGION}" ]]; then
    REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
  fi
  if [[ -z "${REGION}" ]]; then
    local profile_option=()
    if [[ -n "${PROFILE}" ]]; then
      profile_option=(--profile "${PROFILE}")
    fi
    REGION="$(aws configure get region ${profile_option[@]+"${profile_option[@]}"} 2>/dev/null || true)"
  fi
  [[ -n "${REGION}" ]] || die "no AWS region: pass --region, set AWS_REGION, or run 'aws configure'"
  aws_options
}

# The region of an S3 bucket: GetBucketLocation answers None (null) for us-east-1 and EU for eu-west-1.
bucket_region() {
  local location
  location="$(aws s3api get-bucket-location --bucket "$1" --query LocationConstraint --output text \
    ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"})" || die "cannot read the location of bucket '$1' (does it exist, and may you read it?)"
  case "${location}" in
    "" | None | null) echo us-east-1 ;;
    EU) echo eu-west-1 ;;
    *) echo "${location}" ;;
  esac
}

# Lambda code and the packaged template must come from a bucket in the region the stack deploys to.
require_bucket_in_region() {
  local bucket="$1" location
  if [[ "${DRY_RUN}" == true ]]; then
    run aws s3api get-bucket-location --bucket "${bucket}" --query LocationConstraint --output text \
      ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
    return
  fi
  location="$(bucket_region "${bucket}")" || exit 1
  [[ "${location}" == "${REGION}" ]] ||
    die "bucket '${bucket}' is in ${location}, not in ${REGION}: create a bucket in ${REGION} or pass --region ${location}"
}

# The stack name doubles as the template's ProjectName, so it must match that parameter's pattern.
validate_stack_name() {
  local name="$1" pattern
  pattern="$(awk '/^  ProjectName:/ {found=1} found && /AllowedPattern:/ {gsub(/.*AllowedPattern: *"?|"$/, ""); print; exit}' "${REPO_ROOT}/template.yaml")"
  [[ -n "${pattern}" ]] || die "could not read ProjectName's AllowedPattern from template.yaml"
  [[ "${name}" =~ ${pattern} ]] || die "stack name '${name}' must be 1 to 12 lower-case letters (template pattern ${pattern})"
}

# Read the stack's outputs into STACK_OUTPUTS (lines of "Key<TAB>Value").
load_stack_outputs() {
  local stack="$1"
  if [[ "${DRY_RUN}" == true ]]; then
    run aws cloudformation describe-stacks --stack-name "${stack}" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"} --query "Stacks[0].Outputs" --output json
    STACK_OUTPUTS=""
    return
  fi
  local json
  json="$(aws cloudformation describe-stacks --stack-name "${stack}" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"} --query "Stacks[0].Outputs" --output json)" ||
    die "could not read the outputs of stack '${stack}' in ${REGION}"
  STACK_OUTPUTS="$(python3 -c 'import json, sys
for output in json.load(sys.stdin) or []:
    print(output["OutputKey"], output["OutputValue"], sep="\t")' <<<"${json}")"
}

# The value of one stack output (or <Name> in a dry run, where there are no outputs).
stack_output() {
  local key="$1" value
  if [[ "${DRY_RUN}" == true ]]; then
    echo "<${key}>"
    return
  fi
  value="$(awk -F'\t' -v key="${key}" '$1 == key {print $2}' <<<"${STACK_OUTPUTS}")"
  [[ -n "${value}" ]] || die "the stack has no output '${key}'"
  echo "${value}"
}

build_webui() {
  info "Building the web UI"
  run npm ci --prefix "${REPO_ROOT}/webui"
  run npm run build --prefix "${REPO_ROOT}/webui"
}

# Upload the built web UI to the web bucket (index.html never cached) and invalidate CloudFront.
publish_webui() {
  local bucket="$1" distribution="$2"
  info "Uploading the web UI to s3://${bucket}/"
  # The Cache-Control of functions/common/allstore_common/web_assets.py: Vite names assets/ by content hash.
  run aws s3 sync "${REPO_ROOT}/webui/dist/assets/" "s3://${bucket}/assets/" --delete \
    --cache-control "public, max-age=31536000, immutable" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
  run aws s3 sync "${REPO_ROOT}/webui/dist/" "s3://${bucket}/" --delete --exclude "assets/*" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
  run aws s3 cp "${REPO_ROOT}/webui/dist/index.html" "s3://${bucket}/index.html" \
    --cache-control "no-cache" --content-type "text/html" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
  info "Invalidating CloudFront distribution ${distribution}"
  run aws cloudfront create-invalidation --distribution-id "${distribution}" --paths "/*" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
}

# Zip webui/dist into build/webui.zip, the WebSource the set-up function unpacks.
package_webui() {
  info "Packaging the web UI into ${BUILD_DIR}/webui.zip"
  run mkdir -p "${BUILD_DIR}"
  run python3 -c 'import shutil, sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[2])' \
    "${BUILD_DIR}/webui" "${REPO_ROOT}/webui/dist"
}

# Zip the workshop (Personalize/ and the project modules it imports) into build/workshop.zip and set
# WORKSHOP_DIGEST to the start of its SHA-256, so a changed workshop gets a new S3 key (and the
# stack's copy into the staging bucket runs again); "<sha256>" in a dry run, which builds nothing.
package_workshop() {
  info "Packaging the workshop into ${BUILD_DIR}/workshop.zip"
  run python3 "${REPO_ROOT}/scripts/package_workshop.py" "${BUILD_DIR}/workshop.zip"
  # shellcheck disable=SC2034 # WORKSHOP_DIGEST is read by deploy.sh and package.sh
  if [[ "${DRY_RUN}" == true ]]; then
    WORKSHOP_DIGEST="<sha256>"
  else
    WORKSHOP_DIGEST="$(python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:16])' "${BUILD_DIR}/workshop.zip")"
  fi
}

# Split the arguments into POSITIONAL (between MIN and MAX of them) and the options every script
# takes. Each script defines usage().
parse_options() {
  local min="$1" max="$2"
  shift 2
  POSITIONAL=()
  while (($#)); do
    case "$1" in
      --dry-run) DRY_RUN=true ;;
      --region)
        [[ $# -ge 2 && -n "$2" ]] || die "--region needs a value"
        REGION="$2"
        shift
        ;;
      --region=*) REGION="${1#--region=}" ;;
      -h | --help)
        usage
        exit 0
        ;;
      -*) die "unknown option '$1' (see --help)" ;;
      *) POSITIONAL+=("$1") ;;
    esac
    shift
  done
  if ((${#POSITIONAL[@]} < min || ${#POSITIONAL[@]} > max)); then
    usage >&2
    exit 2
  fi
}
