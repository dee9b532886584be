#!/usr/bin/env bash
# Build and deploy the whole AllStore stack (functions, infrastructure, web UI) to AWS.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/scripts/lib.sh"

usage() {
  cat <<'USAGE'
Usage: deploy.sh <s3-bucket> <stack-name> [profile] [--region REGION] [--dry-run]

Builds the web UI, the workshop zip and the Lambda functions, deploys the SAM stack (which copies
the workshop into its staging bucket for the notebook instance), uploads the web UI to the stack's
web bucket and invalidates CloudFront. Re-running it updates the stack.

  s3-bucket    an existing bucket in the target region for the build artefacts
  stack-name   up to 12 lower-case letters; also used as the template's ProjectName
  profile      AWS CLI profile (default: the default credentials)
  --region     AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's region)
  --dry-run    print every AWS, SAM and npm command instead of running it
USAGE
}

parse_options 2 3 "$@"
BUCKET="${POSITIONAL[0]}"
STACK="${POSITIONAL[1]}"
PROFILE="${POSITIONAL[2]:-}"

validate_stack_name "${STACK}"
require_aws_tools
require_build_tools
resolve_region
require_bucket_in_region "${BUCKET}"

WEB_SOURCE="s3://${BUCKET}/${STACK}/webui.zip"

build_webui
package_webui
info "Uploading the web UI bundle to ${WEB_SOURCE}"
run aws s3 cp "${BUILD_DIR}/webui.zip" "${WEB_SOURCE}" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
package_workshop
WORKSHOP_SOURCE="s3://${BUCKET}/${STACK}/workshop-${WORKSHOP_DIGEST}.zip"
info "Uploading the workshop to ${WORKSHOP_SOURCE} (the stack copies it to its staging bucket)"
run aws s3 cp "${BUILD_DIR}/workshop.zip" "${WORKSHOP_SOURCE}" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}

info "Building the Lambda functions and layer"
run sam build --template-file "${REPO_ROOT}/template.yaml" --build-dir "${REPO_ROOT}/.aws-sam/build"

info "Deploying stack ${STACK} to ${REGION}"
run sam deploy --template-file "${REPO_ROOT}/.aws-sam/build/template.yaml" \
  --config-file "${REPO_ROOT}/samconfig.toml" \
  --stack-name "${STACK}" --s3-bucket "${BUCKET}" --s3-prefix "${STACK}" \
  --capabilities CAPABILITY_IAM --no-confirm-changeset --no-fail-on-empty-changeset \
  --parameter-overrides "ProjectName=${STACK}" "WebSource=${WEB_SOURCE}" "WorkshopSource=${WORKSHOP_SOURCE}" \
  ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}

load_stack_outputs "${STACK}"
publish_webui "$(stack_output WebBucket)" "$(stack_output WebDistributionId)"

cat <<DONE

AllStore is deployed.
  Store:     $(stack_output WebsiteURL)
  API:       $(stack_output ApiURL)
  Notebook:  $(stack_output NotebookInstanceURL)

Next steps: open the notebook instance in JupyterLab and work through allstore/Personalize/ to
train the models; the notebooks wire the campaigns into the store as they go.
DONE
