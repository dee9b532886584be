#!/usr/bin/env bash
# Package AllStore for a one-click "Launch Stack" link: a packaged template plus the web UI bundle.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: scripts/package.sh <s3-bucket> [profile] [--region REGION] [--dry-run]
       (or: make package BUCKET=<s3-bucket> [PROFILE=...] [REGION=...])

Builds the functions, the web UI and the workshop zip, uploads their artefacts to the bucket with
`sam package`, writes build/package.yaml, uploads it next to webui.zip and the workshop under
allstore/ and prints the
CloudFormation console link that launches the stack from it. The bucket must be readable by
whoever launches the stack (in their region).
USAGE
}

parse_options 1 2 "$@"
BUCKET="${POSITIONAL[0]}"
PROFILE="${POSITIONAL[1]:-}"

require_aws_tools
require_build_tools
resolve_region
require_bucket_in_region "${BUCKET}"

build_webui
package_webui
package_workshop
info "Building and packaging the stack"
run sam build --template-file "${REPO_ROOT}/template.yaml" --build-dir "${REPO_ROOT}/.aws-sam/build"
run sam package --template-file "${REPO_ROOT}/.aws-sam/build/template.yaml" \
  --s3-bucket "${BUCKET}" --s3-prefix allstore \
  --output-template-file "${BUILD_DIR}/package.yaml" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
run aws s3 cp "${BUILD_DIR}/package.yaml" "s3://${BUCKET}/allstore/package.yaml" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
run aws s3 cp "${BUILD_DIR}/webui.zip" "s3://${BUCKET}/allstore/webui.zip" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
WORKSHOP_SOURCE="s3://${BUCKET}/allstore/workshop-${WORKSHOP_DIGEST}.zip"
run aws s3 cp "${BUILD_DIR}/workshop.zip" "${WORKSHOP_SOURCE}" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}

TEMPLATE_URL="https://${BUCKET}.s3.${REGION}.amazonaws.com/allstore/package.yaml"
echo
echo "Launch Stack link:"
echo "https://${REGION}.console.aws.amazon.com/cloudformation/home?region=${REGION}#/stacks/create/review?stackName=allstore&templateURL=${TEMPLATE_URL}&param_WebSource=s3://${BUCKET}/allstore/webui.zip&param_WorkshopSource=${WORKSHOP_SOURCE}"
