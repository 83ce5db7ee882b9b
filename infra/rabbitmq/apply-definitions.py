"""The broker definitions of apply-definitions.sh + apply-roles.sh, through the management HTTP API, for hosts without
rabbitmqctl (docker compose's broker-setup service). Idempotent. Reads the same roles.conf.

Environment: RTD_API (http://host:15672/api), RTD_ADMIN_USER, RTD_ADMIN_PASSWORD, RTD_USER, RTD_PASSWORD (the
all-permissions test user), RTD_CENTRAL_VHOST (rtd-central), RTD_SITES ("site-a site-b"), and the role passwords
RTD_RABBITMQ_<ROLE>_PASSWORD[_<SITE>] as in apply-roles.sh.
"""
import base64, json, os, pathlib, time, urllib.parse, urllib.request

env = os.environ
credentials = (env["RTD_ADMIN_USER"] + ":" + env["RTD_ADMIN_PASSWORD"]).encode()
headers = {"Authorization": "Basic " + base64.b64encode(credentials).decode(), "Content-Type": "application/json"}
central = env.get("RTD_CENTRAL_VHOST", "rtd-central")
sites = env["RTD_SITES"].split()
peripherals = env.get("RTD_PERIPHERALS", " ".join(str(i + 1) for i in range(len(sites)))).split()


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(env["RTD_API"] + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def name(value):
    return urllib.parse.quote(value, safe="")


def password(role, site):
    variable = "RTD_RABBITMQ_" + role.upper() + "_PASSWORD"
    own = env.get(variable + "_" + site.upper().replace("-", "_")) if site else None
    if own:
        return own
    if not env.get(variable):
        raise SystemExit("[broker-setup] " + variable + " is not set")
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

call("PUT", "/users/" + name(env["RTD_USER"]), {"password": env["RTD_PASSWORD"], "tags": "management"})
for vhost in [central] + ["rtd-" + site for site in sites]:
    call("PUT", "/vhosts/" + name(vhost))
    for user in (env["RTD_USER"], env["RTD_ADMIN_USER"]):
        call("PUT", "/permissions/" + name(vhost) + "/" + name(user), {"configure": ".*", "write": ".*", "read": ".*"})

lines = [line.split() for line in (pathlib.Path(__file__).parent / "roles.conf").read_text().splitlines()
         if line.strip() and not line.lstrip().startswith("#")]
per_site = {line[1] for line in lines if line[0] == "user" and "{site}" in line[2]}
per_peripheral = {line[1] for line in lines if line[0] == "user" and "{peripheral}" in line[2]}
users = {}
for kind, role, *fields in lines:
    if role in per_peripheral or any("{peripheral}" in f for f in fields):
        applies = peripherals
    else:
        applies = sites if role in per_site or any("{site}" in f for f in fields) else [""]
    for site in applies:
        f = [x.replace("{central}", central).replace("{site}", site).replace("{peripheral}", site) for x in fields]
        user = users.get((role, site)) or users.get((role, ""))
        if kind == "user":
            users[(role, site)] = f[0]
            call("PUT", "/users/" + name(f[0]), {"password": password(role, site), "tags": "" if f[1] == "-" else f[1]})
        elif kind == "perm":
            call("PUT", "/permissions/" + name(f[0]) + "/" + name(user), {"configure": f[1], "write": f[2], "read": f[3]})
        elif kind == "topic":
            call("PUT", "/topic-permissions/" + name(f[0]) + "/" + name(user), {"exchange": f[1], "write": f[2], "read": f[3]})
        else:
            raise SystemExit("[broker-setup] roles.conf: unknown line kind " + kind)
print("[broker-setup] vhosts, the", env["RTD_USER"], "user and the role users", sorted(set(users.values())), "are declared", flush=True)
