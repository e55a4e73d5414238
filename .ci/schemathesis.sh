#!/usr/bin/env bash
# Property-based API test: schemathesis generates requests from the OpenAPI
# schema and fails on any 5xx or any response that breaks the schema.
# Runs on a throwaway SQLite database (seed record + a partner key) against
# gunicorn on loopback, within a fixed time budget. Prints the number of
# requests made. Called by .ci/run; exit status non-zero on any failure.
#
#   SCHEMATHESIS_MAX_TIME   seconds of fuzzing (default 300, about 7,000 requests here; the whole script takes about a minute more)
#   SCHEMATHESIS_EXAMPLES   max examples per operation (default 40)
set -euo pipefail

cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
ST="${SCHEMATHESIS:-.venv/bin/schemathesis}"
case "$ST" in /*) ;; */*) ST="$PWD/$ST" ;; esac
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-300}"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-40}"

WORK="$(mktemp -d -t ssr-schemathesis-XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DATABASE_URL="sqlite:///$WORK/db.sqlite3"
export MEDIA_ROOT="$WORK/media" STATIC_ROOT="$WORK/static"
export DJANGO_SECRET_KEY="schemathesis-throwaway-key-0123456789abcdef"
export DJANGO_DEBUG=false DJANGO_SECURE_SSL_REDIRECT=false DJANGO_SECURE_COOKIES=false
export DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost" SITE_URL="http://127.0.0.1:$PORT"
export API_RATE_ANONYMOUS="100000/minute" API_RATE_KEYED="100000/minute"
export TASKS_EAGER=true REDIS_URL=""

echo "schemathesis: preparing a throwaway database in $WORK"
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py collectstatic --noinput -v0
"$PY" manage.py load_seed >/dev/null
"$PY" manage.py export_open_data >/dev/null
KEY="$("$PY" manage.py shell -v0 -c '
from django.contrib.auth import get_user_model
from tracker.models import Organisation
from tracker.partners.services import api_key_create
admin = get_user_model().objects.create_superuser("schemathesis-admin", password="unused-password-123")
org = Organisation.objects.create(slug="schemathesis-partner", name="Schemathesis", kind="partner")
print(api_key_create(actor=admin, organisation=org, name="fuzz", scope="submit")[1])
')"

# Commitments the hooks put into generated submissions (schemathesis_hooks.py):
# the schema cannot enumerate reference codes, so without them nearly every
# generated submission stops at "no such commitment".
SCHEMATHESIS_REFERENCES="$("$PY" manage.py shell -v0 -c '
from tracker.models import Commitment
print(",".join(Commitment.objects.order_by("reference").values_list("reference", flat=True)[:20]))
')"
export SCHEMATHESIS_REFERENCES SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$PWD/.ci${PYTHONPATH:+:$PYTHONPATH}"

"$PY" -m gunicorn config.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --limit-request-line 8190 \
  --access-logfile "$WORK/access.log" --error-logfile "$WORK/error.log" >"$WORK/server.out" 2>&1 &
SERVER_PID=$!

set +e
ROOT="$PWD"
# Run from the throwaway folder: schemathesis keeps its example database in ./.schemathesis
cd "$WORK"
timeout $((MAX_TIME + 180)) "$ST" run "http://127.0.0.1:$PORT/api/schema/?format=json" \
  --url "http://127.0.0.1:$PORT" \
  --wait-for-schema 60 \
  --header "Authorization: Api-Key $KEY" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$EXAMPLES" \
  --max-time "$MAX_TIME" \
  --phases examples,coverage,fuzzing \
  --exclude-path-regex '^/api/v1/webhooks/' \
  --request-timeout 20 \
  --seed 20261123 \
  --no-color
STATUS=$?
set -e
cd "$ROOT"

REQUESTS="$(grep -c '/api/v1/' "$WORK/access.log" || true)"
echo "schemathesis: ${REQUESTS} requests generated against /api/v1/ (exit status ${STATUS})"
if grep -q '" 5[0-9][0-9] ' "$WORK/access.log"; then
  echo "schemathesis: the server answered 5xx:" >&2
  grep '" 5[0-9][0-9] ' "$WORK/access.log" | head -20 >&2
  tail -50 "$WORK/server.out" >&2
  STATUS=1
fi
exit "$STATUS"
