#!/usr/bin/env bash
# Declares one broker user per role (central controller, each site's distributor and workstations, operator) with the
# permissions listed in roles.conf, for the central vhost and every site in RTD_SITES. Idempotent: users are created or
# get their password reset, and permissions are overwritten with what roles.conf says.
# Passwords: RTD_RABBITMQ_<ROLE>_PASSWORD_<SITE> (e.g. RTD_RABBITMQ_DISTRIBUTOR_PASSWORD_SITE_A), else
# RTD_RABBITMQ_<ROLE>_PASSWORD, else the local-demo default from infra/env.sh (local demo only).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/env.sh"
roles="$here/rabbitmq/roles.conf"
central="${RTD_RABBITMQ_CENTRAL_VHOST:-rtd-central}"

password() { # role [site]
  local role="${1^^}" site="${2:-}" name
  if [[ -n "$site" ]]; then
    name="RTD_RABBITMQ_${role}_PASSWORD_$(tr 'a-z-' 'A-Z_' <<<"$site")"
    [[ -n "${!name:-}" ]] && { printf '%s' "${!name}"; return; }
  fi
  name="RTD_RABBITMQ_${role}_PASSWORD"
  [[ -n "${!name:-}" ]] || { echo "[rabbitmq] $name is not set" >&2; exit 1; }
  printf '%s' "${!name}"
}
expand() { # text site
  local text="${1//\{central\}/$central}"
  text="${text//\{peripheral\}/$2}"
  printf '%s' "${text//\{site\}/$2}"
}
declare -A user_of=() per_site=() per_peripheral=()
sites_of() { # role line: the sites a line applies to ("-" for none): every site when it, or its role's user, names {site}
  # (and every peripheral of RTD_PERIPHERALS when it names {peripheral})
  if [[ "$2" == *"{peripheral}"* || -n "${per_peripheral[$1]:-}" ]]; then echo $RTD_PERIPHERALS;
  elif [[ "$2" == *"{site}"* || -n "${per_site[$1]:-}" ]]; then echo $RTD_SITES; else echo "-"; fi
}
user() { printf "%s" "${user_of[$1/$2]:-${user_of[$1/]:-}}"; } # role site: the site's user, else the role's one user

while read -r kind role rest <&3; do
  [[ -z "$kind" || "$kind" == \#* ]] && continue
  [[ "$kind" == user && "$rest" == *"{site}"* ]] && per_site[$role]=1
  [[ "$kind" == user && "$rest" == *"{peripheral}"* ]] && per_peripheral[$role]=1
  for site in $(sites_of "$role" "$rest"); do
    [[ "$site" == "-" ]] && site=""
    read -r a b c d e <<<"$(expand "$rest" "$site")"
    case "$kind" in
      user)
        tags="$b"; [[ "$tags" == "-" ]] && tags=""
        if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$a"; then
          rabbitmqctl -q change_password "$a" "$(password "$role" "$site")" >/dev/null
        else
          rabbitmqctl -q add_user "$a" "$(password "$role" "$site")" >/dev/null
        fi
        rabbitmqctl -q set_user_tags "$a" $tags >/dev/null
        user_of["$role/$site"]="$a"
        ;;
      perm)
        rabbitmqctl -q set_permissions -p "$a" "$(user "$role" "$site")" "$b" "$c" "$d" >/dev/null
        ;;
      topic)
        rabbitmqctl -q set_topic_permissions -p "$a" "$(user "$role" "$site")" "$b" "$c" "$d" >/dev/null
        ;;
      *) echo "[rabbitmq] roles.conf: unknown line kind '$kind'" >&2; exit 1 ;;
    esac
  done
done 3<"$roles"
echo "[rabbitmq] role users declared: ${user_of[*]}"
