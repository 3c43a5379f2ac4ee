#!/usr/bin/env bash
# ensure-promtool.sh: make promtool and the Prometheus server available to
# the tests of internal/watchers, idempotently.
#
# Installs Debian bookworm's "prometheus" package (it ships /usr/bin/promtool
# and /usr/bin/prometheus) with apt-get when either is missing; needs root
# then. The package's own service is kept from starting during the install
# (a temporary policy-rc.d) and disabled afterwards: the tests start their
# own server on a free port.
# Prints the promtool path on stdout; what it does goes to stderr.
#
# The tests also honour $LYCHD_PROMTOOL and $LYCHD_PROMETHEUS. With --v3 the
# script instead prints the path of the promtool of the Prometheus version
# the Harvester runs (internal/watchers.HarvesterImage, v3.16.0), built once
# with "go install" from the Go module proxy into
# ${XDG_CACHE_HOME:-~/.cache}/lychd/promtool-v3.16.0 (a long build: it pulls
# Prometheus's service discovery dependencies). Use it as
#   LYCHD_PROMTOOL=$(scripts/ensure-promtool.sh --v3) go test ./internal/watchers
set -euo pipefail

log() { echo "ensure-promtool: $*" >&2; }

# Prometheus v3.16.0 is Go module version v0.316.0.
readonly v3_module="github.com/prometheus/prometheus/cmd/promtool@v0.316.0"

if [[ "${1:-}" == "--v3" ]]; then
	dir="${XDG_CACHE_HOME:-${HOME}/.cache}/lychd/promtool-v3.16.0"
	if [[ ! -x "${dir}/promtool" ]]; then
		log "building ${v3_module} into ${dir}"
		mkdir -p "${dir}"
		GOBIN="${dir}" go install "${v3_module}" >&2
	fi
	echo "${dir}/promtool"
	exit 0
fi

if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
	command -v promtool
	exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
	log "promtool is missing and installing it needs root: run as root, or apt-get install prometheus"
	exit 1
fi

log "installing the Debian package prometheus (for promtool)"
aptlog=$(mktemp)
policy=""
cleanup() {
	rm -f "${aptlog}"
	if [[ -n "${policy}" ]]; then rm -f "${policy}"; fi
}
trap cleanup EXIT
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\n# ensure-promtool.sh: start no service while installing\nexit 101\n' >"${policy}"
	chmod 755 "${policy}"
fi
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	-o DPkg::Lock::Timeout=600 --no-install-recommends prometheus; } >"${aptlog}" 2>&1; then
	tail -n 20 "${aptlog}" >&2
	log "apt-get failed installing prometheus"
	exit 1
fi
systemctl disable --quiet prometheus.service >/dev/null 2>&1 || true
command -v promtool
