#!/usr/bin/env bash
# Issues and revokes the broker credential of one client workstation (user rtd-<site>-ws-<workstation>, with the
# per-workstation lines of roles.conf: rights on that workstation's own queue and exchange names only).
#   workstation.sh add SITE WS      creates or resets the user with a new random password of its own, printed once on stdout
#                                   (give it to that workstation: RabbitMq__Password); RTD_RABBITMQ_WORKSTATION_PASSWORD is
#                                   taken instead only for a local demo (RTD_ALLOW_DEMO_SECRETS=1): one password shared by
#                                   every workstation would undo their isolation (the local-demo default infra/env.sh
#                                   puts in a shell is ignored then: a random one is printed)
#   workstation.sh remove SITE WS   deletes the user and closes its connections (its queue expires on its own)
#   workstation.sh list [SITE]      the issued workstation users
# Runs rabbitmqctl on the broker's machine, as apply-roles.sh does. docs/security.md#workstation-credentials.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
given="${RTD_RABBITMQ_WORKSTATION_PASSWORD:-}" # before env.sh, which defaults it to the local-demo one
source "$here/env.sh"
valid() { [[ "$1" =~ ^[a-z0-9][a-z0-9-]{0,31}$ ]] || { echo "[rabbitmq] '$1' is not a valid id: lower-case letters, digits and '-', 1 to 32 characters" >&2; exit 64; }; }
usage() { echo "usage: workstation.sh add|remove SITE WS | list [SITE]" >&2; exit 64; }
case "${1:-}" in
  add)
    [[ $# -eq 3 ]] || usage
    valid "$2"; valid "$3"
    # the local demo's password infra/env.sh set in the operator's shell (README's set-up) is no choice: a new one instead
    [[ "$given" == local-demo-workstation && "${RTD_ALLOW_DEMO_SECRETS:-}" != 1 ]] && given=""
    if [[ -n "$given" && "${RTD_ALLOW_DEMO_SECRETS:-}" != 1 ]]; then
      echo "[rabbitmq] RTD_RABBITMQ_WORKSTATION_PASSWORD is set: each workstation gets a password of its own (unset it and one is generated and printed once); a given one is taken only for a local demo (RTD_ALLOW_DEMO_SECRETS=1)" >&2
      exit 64
    fi
    RTD_RABBITMQ_WORKSTATION_PASSWORD="$given"
    if [[ -z "$given" ]]; then
      RTD_RABBITMQ_WORKSTATION_PASSWORD="$(openssl rand -hex 24)"
      echo "$RTD_RABBITMQ_WORKSTATION_PASSWORD"
    fi
    export RTD_RABBITMQ_WORKSTATION_PASSWORD
    "$here/rabbitmq/apply-roles.sh" --workstation "$2" "$3" >&2
    ;;
  remove)
    [[ $# -eq 3 ]] || usage
    valid "$2"; valid "$3"
    user="rtd-$2-ws-$3"
    rabbitmqctl -q delete_user "$user" >/dev/null
    # a deleted user's open connections keep working until closed
    rabbitmqctl -q list_connections user pid | awk -v u="$user" '$1 == u {print $2}' | while read -r pid; do
      rabbitmqctl -q close_connection "$pid" "workstation credential revoked" >/dev/null || true
    done
    echo "[rabbitmq] $user removed" >&2
    ;;
  list)
    rabbitmqctl -q list_users | awk '{print $1}' | grep -E "^rtd-${2:-[a-z0-9-]+}-ws-" || true
    ;;
  *) usage ;;
esac
