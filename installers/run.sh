#!/usr/bin/env bash
# `make run`: starts the relay on localhost with its embedded defaults (data
# in ./relay-data) and a local demo: a technician account, a support link,
# and the SOS app joining it in this terminal, where you play the end user.
# The relay keeps running until Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-relay-data}
ADDR=${ADDR:-127.0.0.1:4433}
# The data directory holds password hashes, tokens and transcripts (and the
# relay.out copy of the output): private to this user, or the relay refuses it.
umask 077
mkdir -p "$DATA"
chmod -R go-rwx "$DATA" # a directory an older run.sh left open to others
LOG="$DATA/relay.out"
: >"$LOG"

./bin/relay serve --data "$DATA" --addr "$ADDR" --downloads bin/downloads > >(tee -a "$LOG") 2>>"$DATA/relay.log" &
RELAY=$!
trap 'kill $RELAY 2>/dev/null; wait $RELAY 2>/dev/null' EXIT INT TERM

for _ in $(seq 100); do
	grep -q '^Key fingerprint:' "$LOG" && break
	kill -0 $RELAY 2>/dev/null || { echo "The relay did not start:"; tail -n 3 "$DATA/relay.log"; exit 1; }
	sleep 0.1
done
FP=$(sed -n 's/^Key fingerprint: //p' "$LOG")

# The demo technician signs in with a console whose login lives in $DATA/demo-console.
DEMO_ENV="XDG_CONFIG_HOME=$(cd "$DATA" && pwd)/demo-console"
if [ ! -f "$DATA/demo-console/relaydesk/console.json" ]; then
	PW=$(./bin/relay user add --data "$DATA" --name demo --role technician | sed -n 's/^Password: //p')
	echo "$PW" | env "$DEMO_ENV" ./bin/console login --relay "$ADDR" --fingerprint "$FP" --user demo >/dev/null
fi
URL=$(env "$DEMO_ENV" ./bin/console link create --name "Demo user" --expires 1h 2>/dev/null)
SESSION=$(env "$DEMO_ENV" ./bin/console queue --json | sed -n 's/.*"id": "\([0-9a-f]*\)".*/\1/p' | tail -1)

cat <<INFO

Demo: the technician "demo" created the support link
  $URL
The SOS app joins it below; you are the end user. In a second terminal, be the technician,
with the desktop console (needs a display; the session is Ready in its queue: double-click it)
  env $DEMO_ENV ./bin/console
or in the terminal:
  env $DEMO_ENV ./bin/console queue
  env $DEMO_ENV ./bin/console connect --session $SESSION
Then answer y here. Ctrl+C here ends the session; Ctrl+C again stops the relay.

INFO
./bin/sos --link "$URL" --fingerprint "$FP" --no-gui || true
echo "The relay is still running on $ADDR; press Ctrl+C to stop it."
wait $RELAY
