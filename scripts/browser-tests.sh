#!/usr/bin/env bash
# The web UI's browser tests against the real local store: start `allstore local up` on a free
# loopback port with a small generated dataset (models trained), run webui/e2e against it, stop it.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALLSTORE="${REPO_ROOT}/.venv/bin/allstore"
[[ -x "${ALLSTORE}" ]] || { echo "error: ${ALLSTORE} is missing; run 'make install' first" >&2; exit 1; }

STATE_DIR="$(mktemp -d)"
PORT="$("${REPO_ROOT}/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
LOG="${STATE_DIR}/store.log"
"${ALLSTORE}" local up --port "${PORT}" --state-dir "${STATE_DIR}/state" --data small >"${LOG}" 2>&1 &
STORE_PID=$!

stop_store() {
  kill -INT "${STORE_PID}" 2>/dev/null || true
  wait "${STORE_PID}" 2>/dev/null || true
  rm -rf "${STATE_DIR}"
}
trap stop_store EXIT

for _ in $(seq 1 600); do
  grep -q "AllStore is ready at" "${LOG}" && break
  if ! kill -0 "${STORE_PID}" 2>/dev/null; then
    tail -n 40 "${LOG}" >&2
    echo "error: the local store stopped before it was ready" >&2
    exit 1
  fi
  sleep 0.5
done
if ! grep -q "AllStore is ready at" "${LOG}"; then
  tail -n 40 "${LOG}" >&2
  echo "error: the local store was not ready within 5 minutes" >&2
  exit 1
fi

cd "${REPO_ROOT}/webui"
ALLSTORE_E2E_BASE_URL="http://127.0.0.1:${PORT}" npm run e2e
