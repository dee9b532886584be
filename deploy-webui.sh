#!/usr/bin/env bash
# Rebuild the web UI and upload it to an existing AllStore stack's web bucket.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/scripts/lib.sh"

usage() {
  cat <<'USAGE'
Usage: deploy-webui.sh <stack-name> [profile] [--region REGION] [--dry-run]

Rebuilds webui/, uploads it to the web bucket named in the stack's outputs (read in the stack's
region) and invalidates the CloudFront distribution.

  stack-name   the deployed AllStore stack
  profile      AWS CLI profile (default: the default credentials)
  --region     the stack's region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's region)
  --dry-run    print every AWS and npm command instead of running it
USAGE
}

parse_options 1 2 "$@"
STACK="${POSITIONAL[0]}"
PROFILE="${POSITIONAL[1]:-}"

validate_stack_name "${STACK}"
require_aws_cli
require_build_tools
resolve_region

load_stack_outputs "${STACK}"
build_webui
publish_webui "$(stack_output WebBucket)" "$(stack_output WebDistributionId)"
echo "The web UI is live at $(stack_output WebsiteURL)"
