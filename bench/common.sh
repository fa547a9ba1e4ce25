# Shared by the benchmark scripts: where the checkout is, and a check for hyperfine.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/build/bench"
mkdir -p "$out"
if ! command -v hyperfine >/dev/null; then
    echo "The benchmarks use hyperfine: sudo apt-get install -y hyperfine" >&2
    exit 2
fi
