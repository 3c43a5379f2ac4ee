#!/usr/bin/env bash
# fetch-quadlet.sh: make the real Podman 5.4 Quadlet generator available and print its path.
#
# Debian bookworm ships podman 4.3 without Quadlet. The generator is a single
# libc-only binary inside Debian trixie's podman .deb. We download that one .deb
# (never install anything from trixie), extract it with dpkg -x and cache the
# binary under ${XDG_CACHE_HOME:-~/.cache}/lychd/quadlet/.
#
# Honours LYCHD_QUADLET (an existing binary) and prints the path on stdout.
set -euo pipefail

if [[ -n "${LYCHD_QUADLET:-}" && -x "${LYCHD_QUADLET}" ]]; then
	echo "${LYCHD_QUADLET}"
	exit 0
fi

cache="${XDG_CACHE_HOME:-${HOME}/.cache}/lychd/quadlet"
bin="${cache}/quadlet"
if [[ -x "${bin}" ]] && "${bin}" -version >/dev/null 2>&1; then
	echo "${bin}"
	exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
	echo "fetch-quadlet: need root to add a temporary apt source; set LYCHD_QUADLET to an existing quadlet binary" >&2
	exit 1
fi

mkdir -p "${cache}"
work=$(mktemp -d)
src=/etc/apt/sources.list.d/lychd-trixie-fetch.list
cleanup() {
	rm -rf "${work}"
	if [[ -f "${src}" ]]; then
		rm -f "${src}"
		apt-get update -qq >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

# Refuse to fetch if trixie is pinned into the normal sources: we must never
# install from it.
echo "deb http://deb.debian.org/debian trixie main" >"${src}"
apt-get update -qq -o Dir::Etc::sourceparts="/etc/apt/sources.list.d" >&2
(cd "${work}" && apt-get download -qq -t trixie podman >&2)
rm -f "${src}"
apt-get update -qq >&2 || true
deb=$(ls "${work}"/podman_*.deb)
dpkg -x "${deb}" "${work}/x"
install -m 0755 "${work}/x/usr/libexec/podman/quadlet" "${bin}.tmp"
mv -f "${bin}.tmp" "${bin}"
"${bin}" -version >&2
echo "${bin}"
