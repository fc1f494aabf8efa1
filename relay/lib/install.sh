# shellcheck shell=bash
# `install` and `uninstall` on a real Debian server (systemd, apt). Sourced by
# relay/sonobox-relay. Every step checks before it acts, so a second run changes nothing
# that is already right, and a live relay only restarts a service whose files changed.

ETC_DIR=/etc/sonobox-relay
UNIT_DIR=/etc/systemd/system
LIB_DIR=/usr/local/lib/sonobox-relay
RELAY_PACKAGES=(coturn nginx libnginx-mod-stream openssh-server openssl)
RELAY_SERVICES=(sonobox-relay-nginx.service sonobox-relay-turn.service sonobox-relay-sshd.service)
TUNNEL_USER=sonobox-tunnel

require_root_on_debian() {
  [[ $(id -u) -eq 0 ]] || die "run this as root (with sudo)"
  [[ -d /run/systemd/system ]] || die "systemd is not running here; 'render --out DIR' renders the files without it"
  local v
  v=$(cut -d. -f1 /etc/debian_version 2>/dev/null || true)
  [[ $v == 12 || $v == 13 ]] || echo "sonobox-relay: warning: made for Debian 12 and 13, this is '$(cat /etc/debian_version 2>/dev/null)'" >&2
}

install_packages() {
  local p missing=()
  for p in "${RELAY_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "sonobox-relay: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The account the boxes log in as: no home, no shell, no password ('*' rather than a
# lock: with UsePAM no, sshd refuses a '!'-locked account even for keys).
ensure_tunnel_user() {
  id -u "$TUNNEL_USER" >/dev/null 2>&1 ||
    useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "$TUNNEL_USER"
  usermod -p '*' "$TUNNEL_USER"
}

# place SRC DEST MODE OWNER: installs SRC at DEST unless DEST already has those bytes and
# that mode; prints DEST when it changed anything.
place() {
  local src=$1 dest=$2 mode=$3 owner=$4
  if [[ -f $dest ]] && cmp -s "$src" "$dest" && [[ $(stat -c '%a %U:%G' "$dest") == "$mode $owner" ]]; then return; fi
  install -D -m "$mode" -o "${owner%:*}" -g "${owner#*:}" "$src" "$dest"
  echo "$dest"
}

# Debian's own nginx.service and coturn.service would take the same ports: stop and mask
# them (the packages stay; `uninstall` unmasks them).
mask_distro_units() {
  local u
  for u in nginx.service coturn.service; do
    [[ $(systemctl is-enabled "$u" 2>/dev/null || true) == masked ]] && continue
    systemctl stop "$u" 2>/dev/null || true
    systemctl mask "$u" >/dev/null
  done
}

cmd_install() {
  local config=$1 check stage changed f u
  require_root_on_debian
  read_config "$config" || exit 1
  install_packages
  check_cert_files || exit 1
  ensure_tunnel_user
  install -d -m 0755 "$ETC_DIR" "$ETC_DIR/empty" /var/lib/sonobox-relay /var/lib/sonobox-relay/acme
  ensure_host_key "$ETC_DIR"
  # sshd -t needs its privilege-separation directory (what Debian's ssh.service makes).
  install -d -m 0755 /run/sshd

  # 1. Render with paths inside a scratch directory and let the daemons check it, so a
  #    bad relay.conf never reaches the running relay.
  check=$(mktemp -d /run/sonobox-relay-check.XXXXXX)
  stage=$(mktemp -d /run/sonobox-relay-stage.XXXXXX)
  # shellcheck disable=SC2064 # expand now: the trap outlives these locals
  trap "rm -rf '$check' '$stage'" EXIT
  mkdir -p "$check/log" "$check/run" "$check/acme" "$check/empty"
  cp "$ETC_DIR/ssh_host_ed25519_key" "$ETC_DIR/ssh_host_ed25519_key.pub" "$check/"
  render_all "$check" here "$check/ssh_host_ed25519_key.pub"
  nginx -e stderr -t -q -c "$check/nginx.conf" || die "nginx refused the rendered configuration (above); nothing was changed"
  /usr/sbin/sshd -t -f "$check/sshd_config" || die "sshd refused the rendered configuration (above); nothing was changed"

  # 2. Render for real and place what changed.
  render_all "$stage" installed "$ETC_DIR/ssh_host_ed25519_key.pub"
  changed=$(
    for f in nginx.conf nginx-boxes.conf nginx-boxes-map.conf sshd_config authorized_keys; do
      place "$stage/$f" "$ETC_DIR/$f" 644 root:root
    done
    place "$stage/turnserver.conf" "$ETC_DIR/turnserver.conf" 640 root:turnserver
    place "$stage/turnserver-redacted" "$LIB_DIR/turnserver-redacted" 755 root:root
    for f in "$stage"/boxes/*/*; do place "$f" "$ETC_DIR/boxes/${f#"$stage/boxes/"}" 644 root:root; done
    for f in "$stage"/systemd/*; do place "$f" "$UNIT_DIR/${f##*/}" 644 root:root; done
  )
  # Boxes removed from relay.conf lose their files.
  for f in "$ETC_DIR"/boxes/*/; do
    [[ -d $f && ! -d $stage/boxes/$(basename "$f") ]] && rm -rf "$f" && changed+=$'\n'"$f"
  done

  mask_distro_units
  grep -q "^$UNIT_DIR/" <<<"$changed" && systemctl daemon-reload
  systemctl enable --quiet sonobox-relay.target "${RELAY_SERVICES[@]}"
  for u in "${RELAY_SERVICES[@]}"; do
    if ! systemctl is-active --quiet "$u"; then
      systemctl start "$u"
    elif grep -q -E "$(service_files_pattern "$u")" <<<"$changed"; then
      # nginx and sshd reload in place (open connections and tunnels stay) unless their
      # unit changed; coturn has no reload for these settings, so its restart drops live
      # TURN allocations.
      if [[ $u == sonobox-relay-turn.service ]] || grep -q "/$u\$" <<<"$changed"; then
        systemctl restart "$u"
      else
        systemctl reload-or-restart "$u"
      fi
    fi
  done
  print_summary "$changed"
}

# Which placed files each service reads (authorized_keys is read per connection).
service_files_pattern() {
  case $1 in
    sonobox-relay-nginx.service) echo "nginx[^/]*\.conf$|/sonobox-relay-nginx\.service$" ;;
    sonobox-relay-turn.service) echo "/turnserver\.conf$|/turnserver-redacted$|/sonobox-relay-turn\.service$" ;;
    sonobox-relay-sshd.service) echo "/sshd_config$|/sonobox-relay-sshd\.service$" ;;
  esac
}

print_summary() {
  local changed=$1 id
  local -a files
  mapfile -t files <<<"$changed"
  if [[ -z $changed ]]; then echo "sonobox-relay: nothing changed"; else printf 'sonobox-relay: updated %s\n' "${files[@]}"; fi
  cat <<EOF
sonobox-relay: running for ${CFG[hostname]} (${CFG[public_ip]}). Open inbound: TCP 443, TCP 80
  (certificate renewal), UDP and TCP 3478, UDP ${CFG[turn_ports]}.
sonobox-relay: each box's boot-partition files are in $ETC_DIR/boxes/<box id>/:
EOF
  for id in "${BOX_IDS[@]}"; do echo "  $id: https://${CFG[hostname]}/b/$id/ -> $ETC_DIR/boxes/$id/"; done
}

cmd_uninstall() {
  local purge=$1 u
  require_root_on_debian
  for u in "${RELAY_SERVICES[@]}" sonobox-relay.target; do
    systemctl disable --now --quiet "$u" 2>/dev/null || true
    rm -f "$UNIT_DIR/$u"
  done
  systemctl daemon-reload
  for u in nginx.service coturn.service; do
    [[ $(systemctl is-enabled "$u" 2>/dev/null || true) == masked ]] && systemctl unmask --quiet "$u"
  done
  rm -rf "$ETC_DIR/boxes" "$ETC_DIR/empty" /var/lib/sonobox-relay "$LIB_DIR"
  rm -f "$ETC_DIR"/{nginx.conf,nginx-boxes.conf,nginx-boxes-map.conf,turnserver.conf,sshd_config,authorized_keys}
  id -u "$TUNNEL_USER" >/dev/null 2>&1 && userdel "$TUNNEL_USER"
  if [[ $purge == yes ]]; then
    rm -rf "$ETC_DIR"
    echo "sonobox-relay: removed, with relay.conf and the host key (boxes must be given a new known_hosts if it is set up again)"
  else
    echo "sonobox-relay: removed; kept $ETC_DIR/relay.conf and the sshd host key (--purge removes them)"
  fi
  echo "sonobox-relay: the Debian packages stay installed; 'apt-get purge coturn nginx libnginx-mod-stream' removes them (keep openssh-server: the server's own ssh uses it)"
}
