#!/usr/bin/env bash
# Remove an AllStore deployment: the workshop's Personalize resources, the buckets' contents, the stack.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/scripts/lib.sh"

usage() {
  cat <<'USAGE'
Usage: teardown.sh <stack-name> [profile] [--region REGION] [--dry-run]

Deletes every Amazon Personalize resource the workshop created for the stack (campaigns first -
leftover campaigns keep costing money), empties the staging and web buckets, then deletes the
stack and waits for it to go.

  stack-name   the deployed AllStore stack
  profile      AWS CLI profile (default: the default credentials)
  --region     the stack's region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's region)
  --dry-run    print every command instead of running it
USAGE
}

parse_options 1 2 "$@"
STACK="${POSITIONAL[0]}"
PROFILE="${POSITIONAL[1]:-}"

validate_stack_name "${STACK}"
require_aws_cli
ALLSTORE="${REPO_ROOT}/.venv/bin/allstore"
if [[ ! -x "${ALLSTORE}" ]]; then
  require_command allstore "Run 'make install' first: the clean-up of Personalize resources uses the allstore command."
  ALLSTORE="allstore"
fi
resolve_region

load_stack_outputs "${STACK}"
info "Deleting the workshop's Personalize resources"
run "${ALLSTORE}" workshop cleanup --stack "${STACK}" --yes ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
for bucket_output in StagingBucket WebBucket; do
  bucket="$(stack_output "${bucket_output}")"
  info "Emptying s3://${bucket}"
  run aws s3 rm "s3://${bucket}" --recursive ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
done
info "Deleting stack ${STACK}"
run aws cloudformation delete-stack --stack-name "${STACK}" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
run aws cloudformation wait stack-delete-complete --stack-name "${STACK}" ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
echo "Stack ${STACK} and its Personalize resources are deleted."
