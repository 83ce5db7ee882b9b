"""The broker definitions of apply-definitions.sh + apply-roles.sh, through the management HTTP API, for hosts without
rabbitmqctl (docker compose's broker-setup service). Idempotent. Reads the same roles.conf.

Environment: RTD_API (http://host:15672/api), RTD_ADMIN_USER, RTD_ADMIN_PASSWORD, RTD_CENTRAL_VHOST (rtd-central),
RTD_SITES ("site-a site-b"), RTD_WORKSTATIONS ("site-a/ws1 site-b/ws1": the workstations to issue a credential to, with
RTD_RABBITMQ_WORKSTATION_PASSWORD), RTD_PERIPHERALS ("1 2": the peripherals whose gateway gets a user; default one per
site), and the role passwords RTD_RABBITMQ_<ROLE>_PASSWORD[_<SITE>] as in apply-roles.sh.
No full-rights application user is made. A local-demo-* password is refused unless RTD_ALLOW_DEMO_SECRETS=1.
"""
import base64, json, os, pathlib, re, time, urllib.parse, urllib.request

env = os.environ
credentials = (env["RTD_ADMIN_USER"] + ":" + env["RTD_ADMIN_PASSWORD"]).encode()
headers = {"Authorization": "Basic " + base64.b64encode(credentials).decode(), "Content-Type": "application/json"}
central = env.get("RTD_CENTRAL_VHOST", "rtd-central")
sites = env["RTD_SITES"].split()
workstations = [tuple(pair.split("/", 1)) for pair in env.get("RTD_WORKSTATIONS", "").split()]
peripherals = env.get("RTD_PERIPHERALS", " ".join(str(i + 1) for i in range(len(sites)))).split()


def refuse_demo_secret(variable):
    if env.get(variable, "").startswith("local-demo-") and env.get("RTD_ALLOW_DEMO_SECRETS") != "1":
        raise SystemExit("[broker-setup] " + variable + " is the local-demo default: set a password of your own in "
                         + variable + ", or RTD_ALLOW_DEMO_SECRETS=1 for a local demo")


refuse_demo_secret("RTD_ADMIN_PASSWORD")


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(env["RTD_API"] + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def name(value):
    return urllib.parse.quote(value, safe="")


def password(role, site):
    variable = "RTD_RABBITMQ_" + role.upper() + "_PASSWORD"
    if site and env.get(variable + "_" + site.upper().replace("-", "_")):
        variable = variable + "_" + site.upper().replace("-", "_")
    if not env.get(variable):
        raise SystemExit("[broker-setup] " + variable + " is not set")
    refuse_demo_secret(variable)
    return env[variable]


for attempt in range(60):
    try:
        call("GET", "/overview")
        break
    except OSError as error:
        print("[broker-setup] waiting for the management API:", error, flush=True)
        time.sleep(2)
else:
    raise SystemExit("[broker-setup] the RabbitMQ management API did not answer")

for vhost in [central] + ["rtd-" + site for site in sites]:
    call("PUT", "/vhosts/" + name(vhost))
    call("PUT", "/permissions/" + name(vhost) + "/" + name(env["RTD_ADMIN_USER"]), {"configure": ".*", "write": ".*", "read": ".*"})

for kind, vhost, exchange, kind_of in [line.split() for line in (pathlib.Path(__file__).parent / "topology.conf").read_text().splitlines()
                                      if line.strip() and not line.lstrip().startswith("#")]:
    for site in sites if "{site}" in vhost + exchange else [""]:
        v, x = (t.replace("{central}", central).replace("{site}", site) for t in (vhost, exchange))
        call("PUT", "/exchanges/" + name(v) + "/" + name(x), {"type": kind_of, "durable": True, "auto_delete": False})

# upgrade (2026-12), as apply-definitions.sh: the central queues that are quorum queues now, left classic by an earlier
# version, are deleted (what they hold is replaced) and their hosts declare them again
upgraded = re.compile(r"^rtd\.(central\.(config-snapshots|realtime-snapshots|activity-events)|[a-z0-9-]+\.distributor\.realtime)$")
request = urllib.request.Request(env["RTD_API"] + "/queues/" + name(central) + "?columns=name,type", headers=headers)
with urllib.request.urlopen(request, timeout=10) as response:
    for queue in json.load(response):
        if queue.get("type") == "classic" and upgraded.match(queue["name"]):
            call("DELETE", "/queues/" + name(central) + "/" + name(queue["name"]))
            print("[broker-setup] classic queue", central + "/" + queue["name"], "deleted: it is a quorum queue now", flush=True)

lines = [line.split() for line in (pathlib.Path(__file__).parent / "roles.conf").read_text().splitlines()
         if line.strip() and not line.lstrip().startswith("#")]
per_site = {line[1] for line in lines if line[0] == "user" and "{site}" in line[2]}
per_workstation = {line[1] for line in lines if line[0] == "user" and "{workstation}" in line[2]}
per_peripheral = {line[1] for line in lines if line[0] == "user" and "{peripheral}" in line[2]}
users = {}
for kind, role, *fields in lines:
    # a {peripheral} line once per peripheral, its id in the place of the site (as apply-roles.sh does)
    targets = ([(site, ws) for site, ws in workstations] if role in per_workstation
               else [(p, "") for p in peripherals] if role in per_peripheral or any("{peripheral}" in f for f in fields)
               else [(site, "") for site in sites] if role in per_site or any("{site}" in f for f in fields) else [("", "")])
    for site, ws in targets:
        f = [x.replace("{central}", central).replace("{site}", site).replace("{peripheral}", site).replace("{workstation}", ws) for x in fields]
        user = users.get((role, site, ws)) or users.get((role, "", ""))
        if kind == "user":
            users[(role, site, ws)] = f[0]
            call("PUT", "/users/" + name(f[0]), {"password": password(role, site), "tags": "" if f[1] == "-" else f[1]})
        elif kind == "perm":
            call("PUT", "/permissions/" + name(f[0]) + "/" + name(user), {"configure": f[1], "write": f[2], "read": f[3]})
        elif kind == "topic":
            call("PUT", "/topic-permissions/" + name(f[0]) + "/" + name(user), {"exchange": f[1], "write": f[2], "read": f[3]})
        else:
            raise SystemExit("[broker-setup] roles.conf: unknown line kind " + kind)
print("[broker-setup] vhosts and the role users", sorted(set(users.values())), "are declared", flush=True)
