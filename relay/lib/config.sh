# shellcheck shell=bash
# Reads and validates relay.conf (format and keys: relay/relay.conf). Sourced by
# relay/sonobox-relay. Every problem names the file, the line and what to write instead;
# nothing is rendered until the whole file is valid.

# Settings, filled by read_config.
declare -gA CFG=()
# Boxes, in file order: parallel arrays.
declare -ga BOX_IDS=() BOX_PORTS=() BOX_KEYS=()

CONFIG_ERRORS=()

config_error() { CONFIG_ERRORS+=("$1"); }

# The keys relay.conf may set, and each one's default ("" = required).
declare -gA CONFIG_DEFAULTS=(
  [hostname]='' [public_ip]='' [local_ip]='-' [tls_certificate]='' [tls_key]=''
  [turn_secret]='' [turn_ports]='49152-65535' [access_log]='on'
)

is_ipv4() {
  local IFS=. a
  [[ $1 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
  for a in $1; do ((10#$a <= 255)) || return 1; done
}

# validate_value KEY VALUE WHERE: appends an error when VALUE is no good for KEY.
validate_value() {
  local key=$1 v=$2 at=$3
  case $key in
    hostname)
      [[ $v =~ ^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$ && ${#v} -le 253 ]] ||
        config_error "$at: hostname '$v' is not a DNS name in lower case (e.g. relay.clinic.example)" ;;
    public_ip | local_ip)
      [[ $key == local_ip && $v == - ]] || is_ipv4 "$v" ||
        config_error "$at: $key '$v' is not an IPv4 address (e.g. 203.0.113.10)" ;;
    tls_certificate | tls_key)
      [[ $v == /* ]] || config_error "$at: $key must be an absolute path, got '$v'" ;;
    turn_secret)
      if [[ $v == REPLACE-WITH-* ]]; then
        config_error "$at: turn_secret is still the template's placeholder; put the output of 'sonobox-relay new-secret' there"
      elif ! [[ $v =~ ^[A-Za-z0-9+/=_-]{32,256}$ ]]; then
        config_error "$at: turn_secret must be 32 to 256 characters from A-Z a-z 0-9 + / = _ - (make one with 'sonobox-relay new-secret')"
      fi ;;
    turn_ports)
      if [[ $v =~ ^([0-9]{4,5})-([0-9]{4,5})$ ]] && ((BASH_REMATCH[1] >= 1024 && BASH_REMATCH[1] < BASH_REMATCH[2] && BASH_REMATCH[2] <= 65535)) &&
        ! ((BASH_REMATCH[1] <= 29999 && BASH_REMATCH[2] >= 20000)); then :
      else
        config_error "$at: turn_ports '$v' must be a range LOW-HIGH within 1024-65535 that leaves 20000-29999 (the box tunnels) free, e.g. 49152-65535"
      fi ;;
    access_log)
      [[ $v == on || $v == off ]] || config_error "$at: access_log must be on or off, got '$v'" ;;
  esac
}

# add_box "ID PORT KEYTYPE KEYBLOB [comment]" WHERE
add_box() {
  local at=$2 id port type blob i
  read -r id port type blob _ <<<"$1"
  if ! [[ $id =~ ^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$ ]]; then
    config_error "$at: box id '$id' must be 1-32 of a-z 0-9 - (not starting or ending with -)"; return
  fi
  if ! [[ $port =~ ^[0-9]{5}$ ]] || ((port < 20000 || port > 29999)); then
    config_error "$at: box $id: tunnel port '$port' must be a number from 20000 to 29999"; return
  fi
  # Only the key itself is copied into authorized_keys; a line that tried to carry sshd
  # options (e.g. 'command=...' before the type) is refused rather than passed on.
  if ! [[ $type =~ ^(ssh-ed25519|ecdsa-sha2-nistp256)$ && $blob =~ ^AAAA[A-Za-z0-9+/]+={0,2}$ ]]; then
    config_error "$at: box $id: expected an ssh-ed25519 or ecdsa-sha2-nistp256 public key after the port (the line of the box's id_ed25519.pub), got '${type:-nothing}'"; return
  fi
  for i in "${!BOX_IDS[@]}"; do
    [[ ${BOX_IDS[i]} == "$id" ]] && { config_error "$at: box id '$id' is listed twice"; return; }
    [[ ${BOX_PORTS[i]} == "$port" ]] && { config_error "$at: tunnel port $port is already box ${BOX_IDS[i]}'s; give each box its own"; return; }
    [[ ${BOX_KEYS[i]} == "$type $blob" ]] && { config_error "$at: box $id has the same key as box ${BOX_IDS[i]}; each box needs its own key pair"; return; }
  done
  BOX_IDS+=("$id"); BOX_PORTS+=("$port"); BOX_KEYS+=("$type $blob")
}

# read_config FILE: fills CFG and BOX_*; prints every problem and returns 1 if any.
read_config() {
  local file=$1 n=0 line key value
  declare -A seen=()
  if [[ ! -r $file ]]; then
    echo "sonobox-relay: cannot read $file; copy relay/relay.conf there and fill it in" >&2; return 1
  fi
  # The file holds the TURN secret: refuse one that others on the server can read.
  local mode
  mode=$(stat -c %a "$file")
  if (((8#$mode & 8#077) != 0)); then
    config_error "$file: mode $mode lets other users read the TURN secret; run: chmod 600 $file"
  fi
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    if ! [[ $line =~ ^[[:space:]]*([a-z_]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*$ ]]; then
      config_error "$file:$n: expected 'key = value', got '$line'"; continue
    fi
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    if [[ $key == box ]]; then add_box "$value" "$file:$n"; continue; fi
    if [[ ! -v CONFIG_DEFAULTS[$key] ]]; then
      config_error "$file:$n: unknown key '$key' (known: ${!CONFIG_DEFAULTS[*]} box)"; continue
    fi
    [[ -v seen[$key] ]] && { config_error "$file:$n: '$key' is set twice (first on line ${seen[$key]})"; continue; }
    seen[$key]=$n
    validate_value "$key" "$value" "$file:$n"
    CFG[$key]=$value
  done <"$file"
  for key in "${!CONFIG_DEFAULTS[@]}"; do
    [[ -v CFG[$key] ]] && continue
    if [[ -z ${CONFIG_DEFAULTS[$key]} ]]; then config_error "$file: '$key' is missing (see relay/relay.conf)"; else CFG[$key]=${CONFIG_DEFAULTS[$key]}; fi
  done
  ((${#BOX_IDS[@]})) || config_error "$file: no 'box = <id> <port> <public key>' line: the relay would serve nobody"
  if ((${#CONFIG_ERRORS[@]})); then
    printf 'sonobox-relay: %s\n' "${CONFIG_ERRORS[@]}" >&2
    return 1
  fi
}

# check_cert_files: the certificate files exist and are readable (install and render both need them).
check_cert_files() {
  local k ok=0
  for k in tls_certificate tls_key; do
    [[ -r ${CFG[$k]} ]] || { echo "sonobox-relay: $k ${CFG[$k]} does not exist or is not readable" >&2; ok=1; }
  done
  return $ok
}
