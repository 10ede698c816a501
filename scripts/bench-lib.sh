# Shared by the bench-*.sh scripts (sourced): the bench directory, logging,
# pinned Go programs, the slimpy build and medians.

bench="${SLIMPY_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/slimpy-bench}"
mkdir -p "$bench/bin"

log() { echo "$(date +%H:%M:%S) $(basename "$0" .sh): $*" >&2; }

# install_pinned NAME PACKAGE VERSION: go install PACKAGE@VERSION into
# $bench/bin once per version.
install_pinned() {
  local name=$1 pkg=$2 version=$3
  if [ ! -x "$bench/bin/$name" ] || [ "$(cat "$bench/bin/$name.version" 2>/dev/null)" != "$version" ]; then
    log "installing $name $version"
    GOBIN="$bench/bin" go install "$pkg@$version"
    echo "$version" > "$bench/bin/$name.version"
  fi
}

build_slimpy() {
  log "building slimpy"
  go build -o "$bench/bin/slimpy" ./cmd/slimpy
}

# median: the median of the numbers on stdin, one a line.
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
