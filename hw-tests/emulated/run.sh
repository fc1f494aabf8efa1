#!/bin/bash
# Boots Debian's stock kernel under QEMU/TCG with real V4L2 test drivers (vivid, vicodec)
# and runs one command inside, against the host's own / (node, libv4l2, node_modules).
# Exits with the command's status. See hw-tests/README.md.
#
#   bash hw-tests/emulated/run.sh [options] [-- command args...]
#
# Options
#   --vga               add -device VGA and a QEMU monitor socket (screendump); loads bochs
#                       in the guest so /dev/fb0 exists
#   --monitor PATH      monitor socket path (implies --vga); default <run dir>/monitor.sock
#   --timeout SECS      kill QEMU after SECS (default 600); exit 124 and say so
#   --env NAME=VALUE    export into the guest command's environment (repeatable); host
#                       environment variables do not reach the guest otherwise
#   --vivid 'OPTS'      vivid module options (default below)
#   --vicodec 'OPTS'    vicodec module options, e.g. 'multiplanar=1'
#   --out DIR           results share (guest: $HW_OUT = /run/hw-out), kept after the run;
#                       default a temporary directory that is removed
#   --smp N, --mem SIZE QEMU CPUs (default 2) and memory (default 2G)
# Without a command, runs the hw-tests: vitest with hw-tests/vitest.hw.config.ts.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
log() { printf '[hw-run] %s\n' "$*" >&2; }

# One capture-only vivid device with two inputs: 0 = webcam, 1 = HDMI (input_types uses two
# bits per input: 0 webcam, 3 HDMI). The HDMI input has dv_timings_signal_mode.
vivid_opts='n_devs=1 node_types=0x1 num_inputs=2 input_types=0x0c'
vicodec_opts=''
vga=0
monitor=''
timeout_s=600
out=''
smp=2
mem=2G
envs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --vga) vga=1 ;;
    --monitor) vga=1; monitor="$2"; shift ;;
    --timeout) timeout_s="$2"; shift ;;
    --env) envs+=("$2"); shift ;;
    --vivid) vivid_opts="$2"; shift ;;
    --vicodec) vicodec_opts="$2"; shift ;;
    --out) out="$2"; shift ;;
    --smp) smp="$2"; shift ;;
    --mem) mem="$2"; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
  shift
done
if [ $# -eq 0 ]; then
  set -- node node_modules/vitest/vitest.mjs run --config hw-tests/vitest.hw.config.ts
fi

t0=$(date +%s.%N)
cache="$(bash "$here/prepare.sh")"
abi="$(cat "$cache/ready")"
t1=$(date +%s.%N)

if [ -n "$out" ]; then
  mkdir -p "$out"
  run_dir="$(cd "$out" && pwd)"
  keep=1
else
  mkdir -p "$repo/.hw-cache/runs"
  run_dir="$(mktemp -d "$repo/.hw-cache/runs/run.XXXXXX")"
  keep=0
  trap 'rm -rf "$run_dir"' EXIT
fi
rm -f "$run_dir/status"
{
  printf 'HW_VIVID_OPTS=%q\n' "$vivid_opts"
  printf 'HW_VICODEC_OPTS=%q\n' "$vicodec_opts"
  printf 'HW_VGA=%q\n' "$vga"
  for e in "${envs[@]+"${envs[@]}"}"; do
    case "$e" in
      [A-Za-z_]*=*) printf 'export %s=%q\n' "${e%%=*}" "${e#*=}" ;;
      *) log "--env wants NAME=VALUE, got '$e'"; exit 2 ;;
    esac
  done
} > "$run_dir/session.env"
printf '%q ' "$@" > "$run_dir/cmd.sh"
echo >> "$run_dir/cmd.sh"

qemu=(
  qemu-system-x86_64
  # /dev/kvm on these machines is a nested hypervisor that cannot boot a stock kernel.
  -accel tcg,thread=multi -cpu max -smp "$smp" -m "$mem"
  -no-reboot -nodefaults -nic none
  -kernel "$cache/image/boot/vmlinuz-$abi"
  -initrd "$cache/initramfs.cpio.gz"
  -append "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off rdinit=/init sonobox.repo=$repo sonobox.cache=$cache sonobox.abi=$abi"
  # The host's / read-only (the guest puts a tmpfs overlay on top) and the results share.
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
  -virtfs "local,path=$run_dir,mount_tag=hwout,security_model=none"
  # Serial console on stdio; signal=on lets Ctrl-C stop QEMU instead of reaching the guest.
  -chardev stdio,id=con0,signal=on -serial chardev:con0
  -display none
)
if [ "$vga" = 1 ]; then
  monitor="${monitor:-$run_dir/monitor.sock}"
  qemu+=(-device VGA -monitor "unix:$monitor,server,nowait")
  log "VGA on; QEMU monitor at $monitor (e.g. echo 'screendump /tmp/fb.ppm' | socat - UNIX-CONNECT:$monitor)"
fi

log "booting $abi under TCG (timeout ${timeout_s}s): $*"
set +e
timeout -k 5 "$timeout_s" "${qemu[@]}" < /dev/null
qemu_status=$?
set -e
[ -t 1 ] && stty sane 2>/dev/null || true
t2=$(date +%s.%N)

if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
  log "timed out after ${timeout_s}s: QEMU killed (raise --timeout or look at the console output above)"
  code=124
elif [ -s "$run_dir/status" ]; then
  code="$(cat "$run_dir/status")"
else
  log "the guest stopped without reporting a status (QEMU exit $qemu_status): the kernel or /init failed, see above"
  code=125
fi
log "$(printf 'prepare %.1fs, boot+command %.1fs; exit %s' "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$code")"
exit "$code"
