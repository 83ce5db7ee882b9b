"""A client workstation that is not .NET: reads a site's exchanges with pika, following docs/wire-format.md.

Wire format 3. Wants skillgroup.*: binds it on the config exchange and its first word, the table "skillgroup", on the
real-time exchange (real-time messages carry many rows of one table, routing key "{table}"), keeps the rows whose
"{table}.{key}" the pattern matches, loads a snapshot of skillgroup.* (printed as "snapshot {json}"), prints "ready",
then applies messages with the documented rules (drop at or below the table's last site sequence, which starts at the
snapshot's watermark; a previousSiteSequence above it is a gap; a message of a lower epoch than the snapshot's is
ignored; a reset after the snapshot, or a message of a higher epoch, means: load a new snapshot; a heartbeat whose chainHead
is above what it holds of its table is a gap too) until it has seen the expected configuration name, the real-time value
and a heartbeat of the real-time table. Prints one JSON line per message and a final summary; exit code 0 on
success, 1 on a gap or a timeout. Arguments: site workstation config-key config-name realtime-key field value timeout-s.
Broker: RTD_RABBITMQ_HOST, RTD_RABBITMQ_PORT, RTD_RABBITMQ_USER, RTD_RABBITMQ_PASSWORD: the workstation's own broker user
(infra/rabbitmq/roles.conf, role workstation), which may declare its own queues only.
"""
import json
import os
import sys
import uuid
from datetime import datetime, timezone

import pika

site, workstation, config_key, config_name, rt_key, field, value, timeout = sys.argv[1:9]
value = int(value)

connection = pika.BlockingConnection(pika.ConnectionParameters(
    host=os.environ.get("RTD_RABBITMQ_HOST", "127.0.0.1"),
    port=int(os.environ.get("RTD_RABBITMQ_PORT", "5672")),
    virtual_host=f"rtd-{site}",
    credentials=pika.PlainCredentials(os.environ.get("RTD_RABBITMQ_USER", "rtd"), os.environ["RTD_RABBITMQ_PASSWORD"]),
))
channel = connection.channel()
queue = f"rtd.{site}.client.{workstation}"
channel.queue_declare(queue=queue, durable=True, arguments={
    "x-max-length": 100000,
    "x-overflow": "drop-head",
    "x-expires": 1800000,
})
PATTERNS = ["skillgroup.*"]
# every client also binds "reset" on the config exchange: resyncs and takeovers are announced there
for exchange, keys in ((f"rtd.{site}.config", [*PATTERNS, "reset"]), (f"rtd.{site}.realtime", {p.split(".")[0] for p in PATTERNS})):
    # the site's exchanges are the distributor's: a workstation may only check that they exist (it may not declare)
    channel.exchange_declare(exchange=exchange, passive=True)
    for key in keys:
        channel.queue_bind(queue=queue, exchange=exchange, routing_key=key)
channel.basic_qos(prefetch_count=500)


def load_snapshot(bindings, idle_timeout=15.0):
    """Asks the site's distributors for a snapshot (docs/wire-format.md, "Snapshots") and gathers its chunks."""
    reply_to = f"rtd.{site}.client.{workstation}.snapshots"
    channel.queue_declare(queue=reply_to, durable=False, auto_delete=True)
    requests = f"rtd.{site}.snapshot-requests"
    channel.exchange_declare(exchange=requests, passive=True)
    snapshot_id = str(uuid.uuid4())
    channel.basic_publish(exchange=requests, routing_key="snapshot", body=json.dumps({
        "site": site, "workstation": workstation, "snapshotId": snapshot_id, "replyTo": reply_to, "bindings": bindings,
        "requestedAt": datetime.now(timezone.utc).isoformat(),
    }), properties=pika.BasicProperties(content_type="application/json", user_id=os.environ.get("RTD_RABBITMQ_USER", "rtd")))
    chunks = {}  # index -> chunk
    last_index = None
    for method, properties, body in channel.consume(reply_to, auto_ack=True, inactivity_timeout=idle_timeout):
        if method is None:
            raise TimeoutError(f"no snapshot chunk for {idle_timeout} s")
        chunk = json.loads(body)
        if chunk["snapshotId"] != snapshot_id:
            continue  # a chunk of an earlier request
        chunks.setdefault(chunk["index"], chunk)  # a redelivered chunk counts once
        if chunk["last"]:
            last_index = chunk["index"]
        if last_index is not None and len(chunks) == last_index + 1:
            break
    channel.cancel()
    rows = [row for index in sorted(chunks) for row in chunks[index]["rows"]]
    if len(rows) != chunks[last_index]["totalRows"] or len({c["watermark"] for c in chunks.values()}) != 1:
        raise ValueError("the snapshot's chunks do not add up")
    return chunks[last_index]["watermark"], chunks[last_index].get("epoch", 0), rows


watermark, epoch, snapshot_rows = load_snapshot(PATTERNS)
state = {"watermark": watermark, "epoch": epoch, "reload": False}
print("snapshot " + json.dumps({"watermark": watermark, "epoch": epoch, "rows": snapshot_rows}), flush=True)
print("ready", flush=True)

last = {}  # (kind, table) -> last site sequence applied; every chain starts at the snapshot's watermark
seen = {"config": False, "realtime": False, "heartbeat": False, "gaps": 0, "resets": 0, "staleEpochs": 0}


def matches(pattern, words):
    """RabbitMQ topic matching: "*" is one word, "#" zero or more."""
    if not pattern:
        return not words
    if pattern[0] == "#":
        return any(matches(pattern[1:], words[skip:]) for skip in range(len(words) + 1))
    return bool(words) and pattern[0] in ("*", words[0]) and matches(pattern[1:], words[1:])


def wanted(table, key):
    return any(matches(p.split("."), [table, *key.split(".")]) for p in PATTERNS)


def on_message(ch, method, properties, body):
    update = json.loads(body)
    update_epoch = update.get("epoch", 0)
    if update["site"] != site or update_epoch < state["epoch"]:
        seen["staleEpochs"] += update["site"] == site
        ch.basic_ack(method.delivery_tag)
        return
    if update_epoch > state["epoch"] or (update["kind"] == "reset" and update["siteSequence"] > state["watermark"]):
        # a new holder, a recreated replica or a resync: load a new snapshot, then go on (a data message comes back)
        seen["resets"] += 1
        state["reload"] = True
        if update["kind"] == "reset":
            ch.basic_ack(method.delivery_tag)
        else:
            ch.basic_nack(method.delivery_tag, requeue=True)
        ch.stop_consuming()
        return
    if update["kind"] == "reset":
        ch.basic_ack(method.delivery_tag)  # the snapshot already holds what it announces
        return
    if update["kind"] == "heartbeat":
        # in no chain: it tells where the table's real-time chain stands; holding less means a message of it was lost
        if update["chainHead"] > last.get(("realtime", update["table"]), state["watermark"]):
            seen["gaps"] += 1
        seen["heartbeat"] = True
        print(json.dumps({"routingKey": method.routing_key, **update}), flush=True)
        ch.basic_ack(method.delivery_tag)
        if seen["config"] and seen["realtime"]:
            ch.stop_consuming()
        return
    chain = (update["kind"], update["table"])
    held = last.get(chain, state["watermark"])
    if update["siteSequence"] <= held:
        ch.basic_ack(method.delivery_tag)
        return
    if update["previousSiteSequence"] > held:
        seen["gaps"] += 1
    last[chain] = update["siteSequence"]
    if update["kind"] == "realtime":
        update["rows"] = [row for row in update["rows"] if wanted(update["table"], row["key"])]
    print(json.dumps({"routingKey": method.routing_key, "messageId": properties.message_id, **update}), flush=True)
    if update["kind"] == "config" and update["key"] == config_key and (update["config"]["row"] or {}).get("name") == config_name:
        seen["config"] = True
    if update["kind"] == "realtime" and any(row["key"] == rt_key and row["data"].get(field) == value for row in update["rows"]):
        seen["realtime"] = True
    ch.basic_ack(method.delivery_tag)
    if seen["config"] and seen["realtime"] and seen["heartbeat"]:
        ch.stop_consuming()


def give_up():
    state["reload"] = False
    state["gave_up"] = True
    channel.stop_consuming()


connection.call_later(float(timeout), give_up)
while True:
    channel.basic_consume(queue=queue, on_message_callback=on_message)
    channel.start_consuming()
    if not state["reload"] or state.get("gave_up"):
        break
    state["watermark"], state["epoch"], snapshot_rows = load_snapshot(PATTERNS)
    state["reload"] = False
    last.clear()
    print("snapshot " + json.dumps({"watermark": state["watermark"], "epoch": state["epoch"], "rows": snapshot_rows}), flush=True)
print(json.dumps({"summary": seen}), flush=True)
connection.close()
sys.exit(0 if seen["config"] and seen["realtime"] and seen["heartbeat"] and seen["gaps"] == 0 else 1)
