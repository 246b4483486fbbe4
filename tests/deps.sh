#!/bin/sh
# Installs the Debian packages the build and the tests need (as root), or
# prints the one command that does (otherwise).  Extra packages for a
# target can be named as arguments (make bench asks for its peers);
# "fuzz" names what make fuzz needs: clang, and libFuzzer, which Debian
# ships in libclang-rt-N-dev for clang N (libclang_rt.fuzzer-x86_64.a).
set -u
if [ "${1:-}" = fuzz ]; then
	shift
	set -- clang libclang-rt-14-dev "$@"
fi
need="gcc make libc6-dev libjansson-dev libcsv-dev libjsmn-dev zlib1g-dev libmuparser-dev libgsl-dev libssl-dev libzip-dev libexpat1-dev zip bats bats-assert bats-support mandoc jq parallel mosquitto mosquitto-clients gnuplot-nox libxml2-utils $*"
missing=""
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 && apt-get install -y -qq $missing >&2 && exit 0
	echo "apt-get failed" >&2
	exit 1
fi
echo "missing Debian packages; run:" >&2
echo "  sudo apt-get install -y$missing" >&2
exit 1
