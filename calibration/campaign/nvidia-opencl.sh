# Sourced by the device campaigns: unpacks the static build carried in .dist/ into $KC, and makes NVIDIA's OpenCL
# visible (its driver is installed on the GPU hosts but not registered with the ICD loader; a vendors folder listing
# libnvidia-opencl.so.1, and PoCL, makes both visible). Run from the repository root.
ROOT="$(pwd)"
mkdir -p .dist
[ -x .dist/kernelcast ] || { xz -dc .dist/kernelcast.xz > .dist/kernelcast && chmod +x .dist/kernelcast; }
KC="$ROOT/.dist/kernelcast"
vendors="$(mktemp -d)"
echo libnvidia-opencl.so.1 > "$vendors/nvidia.icd"
cp /etc/OpenCL/vendors/pocl.icd "$vendors/" 2>/dev/null || true
export OCL_ICD_VENDORS="$vendors" POCL_CACHE_DIR=/tmp/kernelcast-pocl KERNELCAST_MACHINES="$ROOT/machines"
