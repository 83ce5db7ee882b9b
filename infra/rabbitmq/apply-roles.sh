#!/usr/bin/env bash
# Declares one broker user per role (central controller, each site's distributor, each peripheral's gateway, operator)
# with the permissions listed in roles.conf, for the central vhost, every site in RTD_SITES and every peripheral in
# RTD_PERIPHERALS. Idempotent: users are created or get their password
# reset, and permissions are overwritten with what roles.conf says.
#   apply-roles.sh                         every role except the per-workstation ones (users naming {workstation})
#   apply-roles.sh --workstation SITE WS   only the per-workstation lines, for that one workstation (workstation.sh add)
# Passwords: RTD_RABBITMQ_<ROLE>_PASSWORD_<SITE> (e.g. RTD_RABBITMQ_DISTRIBUTOR_PASSWORD_SITE_A), else
# RTD_RABBITMQ_<ROLE>_PASSWORD, else the local-demo default from infra/env.sh (refused unless RTD_ALLOW_DEMO_SECRETS=1).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/env.sh"
source "$here/rabbitmq/secrets.sh"
roles="$here/rabbitmq/roles.conf"
central="${RTD_RABBITMQ_CENTRAL_VHOST:-rtd-central}"
only_site="" workstation=""
if [[ "${1:-}" == "--workstation" ]]; then
  [[ $# -eq 3 ]] || { echo "usage: apply-roles.sh [--workstation SITE WS]" >&2; exit 64; }
  only_site="$2" workstation="$3"
fi

password() { # role [site]
  local role="${1^^}" site="${2:-}" name
  if [[ -n "$site" ]]; then
    name="RTD_RABBITMQ_${role}_PASSWORD_$(tr 'a-z-' 'A-Z_' <<<"$site")"
    [[ -n "${!name:-}" ]] && { refuse_demo_secret "$name"; printf '%s' "${!name}"; return; }
  fi
  name="RTD_RABBITMQ_${role}_PASSWORD"
  [[ -n "${!name:-}" ]] || { echo "[rabbitmq] $name is not set" >&2; exit 1; }
  refuse_demo_secret "$name"
  printf '%s' "${!name}"
}
expand() { # text site
  local text="${1//\{central\}/$central}"
  text="${text//\{workstation\}/$workstation}"
  text="${text//\{peripheral\}/$2}"
  printf '%s' "${text//\{site\}/$2}"
}
declare -A user_of=() per_site=() per_workstation=() per_peripheral=()
sites_of() { # role line: the sites a line applies to ("-" for none): every site when it, or its role's user, names {site}
  # (and every peripheral of RTD_PERIPHERALS when it names {peripheral}; the one site of --workstation for its lines)
  if [[ -n "$only_site" ]]; then echo "$only_site";
  elif [[ "$2" == *"{peripheral}"* || -n "${per_peripheral[$1]:-}" ]]; then echo $RTD_PERIPHERALS;
  elif [[ "$2" == *"{site}"* || -n "${per_site[$1]:-}" ]]; then echo $RTD_SITES; else echo "-"; fi
}
user() { printf "%s" "${user_of[$1/$2]:-${user_of[$1/]:-}}"; } # role site: the site's user, else the role's one user

# the roles whose user names {workstation}: issued one per workstation, only with --workstation
while read -r kind role rest; do
  [[ "$kind" == user && "$rest" == *"{workstation}"* ]] && per_workstation[$role]=1
done < <(grep -v '^[[:space:]]*\(#\|$\)' "$roles")

while read -r kind role rest <&3; do
  [[ -z "$kind" || "$kind" == \#* ]] && continue
  # a per-workstation role only with --workstation, and with --workstation nothing else
  if [[ -n "${per_workstation[$role]:-}" && -z "$workstation" ]] || [[ -z "${per_workstation[$role]:-}" && -n "$workstation" ]]; then
    continue
  fi
  [[ "$kind" == user && "$rest" == *"{site}"* ]] && per_site[$role]=1
  [[ "$kind" == user && "$rest" == *"{peripheral}"* ]] && per_peripheral[$role]=1
  for site in $(sites_of "$role" "$rest"); do
    [[ "$site" == "-" ]] && site=""
    read -r a b c d e <<<"$(expand "$rest" "$site")"
    case "$kind" in
      user)
        tags="$b"; [[ "$tags" == "-" ]] && tags=""
        pw="$(password "$role" "$site")" # an assignment, so that a refused password stops the script (set -e)
        if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$a"; then
          rabbitmqctl -q change_password "$a" "$pw" >/dev/null
        else
          rabbitmqctl -q add_user "$a" "$pw" >/dev/null
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
