# Sourced by the broker scripts: the local-demo-* passwords of infra/env.sh are for a local demo or test machine only.
# refuse_demo_secret VARIABLE: stops the script when that variable holds a local-demo-* password, unless
# RTD_ALLOW_DEMO_SECRETS=1 (infra/demo.sh and infra/test.sh set it).
refuse_demo_secret() {
  local value="${!1:-}"
  if [[ "$value" == local-demo-* && "${RTD_ALLOW_DEMO_SECRETS:-}" != 1 ]]; then
    echo "[rabbitmq] $1 is the local-demo default: set a password of your own in $1, or RTD_ALLOW_DEMO_SECRETS=1 for a local demo" >&2
    exit 1
  fi
}
