#!/bin/sh
# Entrypoint of lychd's test image (localhost/lychd-test): one busybox, one
# script, behaviour chosen by environment variables:
#
#   NAME         names the container in its page and its log (default box)
#   PORT         busybox httpd serves /tmp/www on this port (default 8081;
#                0 serves nothing): / says "hello from NAME", /info is
#                the report below, /health exists once READY_DELAY passed
#   READY_DELAY  seconds before /health answers (default 0); for HealthCmd=
#                wget -q -O /dev/null http://127.0.0.1:$PORT/health
#   STOP_DELAY   seconds between SIGTERM and exit (default 0); both logged
#   WRITE_FILE   a file written at start (into a mounted volume), saying
#                who wrote it
#
# One-shot mode: with the arguments "lychd ..." (what the core's migrate
# rune runs in the Vessel's image) or "oneshot ...", the container logs
# "NAME: one-shot ARGS: uid=U gid=G", writes the same line to ONESHOT_FILE
# if set, and exits with ONESHOT_EXIT (default 0) instead of serving.
#
# /tmp/www/info (also on the log): name, uid, gid, whether /dev/nvidia-fake
# exists (a CDI device node) and FAKE_GPU (a CDI env edit; CDI env reaches
# PID 1 only, so it is recorded here rather than read with podman exec).
NAME=${NAME:-box}
PORT=${PORT:-8081}
READY_DELAY=${READY_DELAY:-0}
STOP_DELAY=${STOP_DELAY:-0}
WWW=/tmp/www
HTTPD=

log() { echo "$NAME: $*"; }

case "${1:-}" in
lychd | oneshot)
	line="one-shot $*: uid=$(id -u) gid=$(id -g)"
	log "$line"
	[ -n "${ONESHOT_FILE:-}" ] && echo "$line" >"$ONESHOT_FILE"
	exit "${ONESHOT_EXIT:-0}"
	;;
esac

term() {
	log "SIGTERM received, exiting in ${STOP_DELAY}s"
	sleep "$STOP_DELAY"
	[ -n "$HTTPD" ] && kill "$HTTPD" 2>/dev/null
	log "exiting"
	exit 0
}
trap term TERM INT

mkdir -p "$WWW"
echo "hello from $NAME" >"$WWW/index.html"
device=absent
[ -e /dev/nvidia-fake ] && device=present
{
	echo "name=$NAME"
	echo "uid=$(id -u)"
	echo "gid=$(id -g)"
	echo "nvidia-fake=$device"
	echo "FAKE_GPU=${FAKE_GPU:-}"
} >"$WWW/info"
log "started: $(tr '\n' ' ' <"$WWW/info")"

if [ -n "${WRITE_FILE:-}" ]; then
	if echo "written by $NAME uid=$(id -u) gid=$(id -g)" >"$WRITE_FILE"; then
		log "wrote $WRITE_FILE"
	else
		log "cannot write $WRITE_FILE"
	fi
fi

if [ "$PORT" != 0 ]; then
	httpd -f -p "$PORT" -h "$WWW" &
	HTTPD=$!
fi

(
	sleep "$READY_DELAY"
	echo ok >"$WWW/health"
	log "ready"
) &

# A trapped signal interrupts wait, not a foreground sleep.
while :; do
	sleep 1 &
	wait $!
done
