"""A client workstation that is not .NET: reads a site's exchanges with pika, following docs/wire-format.md.

Wire format 3. Wants skillgroup.*: binds it on the config exchange and its first word, the table "skillgroup", on the
real-time exchange (real-time messages carry many rows of one table, routing key "{table}"), keeps the rows whose
"{table}.{key}" the pattern matches, loads a snapshot of skillgroup.* (printed as "snapshot {json}"), prints "ready",
then applies messages with the documented rules (drop at or below the table's last site sequence, which starts at the
snapshot's watermark; a previousSiteSequence above it is a gap; a message of a lower epoch than the snapshot's is
ignored; a reset after the snapshot, or a message of a higher epoch, means: load a new snapshot; a heartbeat whose chainHead
is above what it holds of its table is a gap too; a gap is counted and loads a new snapshot) until its view holds the
expected configuration name and real-time value and its real-time chain is known whole: a heartbeat came after the last
live row it applied, or its rows came from a snapshot (which holds the site's state at its watermark: a snapshot loaded
after a gap that already holds both values ends it too, with no message to wait for). A lost connection (the broker
restarts, or closes it) is not the end: it waits 0.5 s doubling to 4 s, half fixed and half random, connects again,
declares and binds its durable queue again and consumes on where it was, with the chains it holds (printed as
"reconnected {json}"); a snapshot is loaded only after a gap. Prints one JSON line per message and a final summary with
the view it holds and whether it reached what it waits for ("reached"); exit code 0 on success, 1 on a gap or a timeout.
Arguments: site workstation config-key config-name realtime-key field value timeout-s. Broker: RTD_RABBITMQ_HOST,
RTD_RABBITMQ_PORT, RTD_RABBITMQ_USER, RTD_RABBITMQ_PASSWORD: the workstation's own broker user (infra/rabbitmq/roles.conf,
role workstation), which may declare its own queues only. Its connection is named "rtd {site} client {workstation} (python)".
"""
import json
import os
import random
import sys
import time
import uuid
from datetime import datetime, timezone

import pika
import pika.exceptions

site, workstation, config_key, config_name, rt_key, field, value, timeout = sys.argv[1:9]
value = int(value)
deadline = time.monotonic() + float(timeout)
user = os.environ.get("RTD_RABBITMQ_USER", "rtd")
queue = f"rtd.{site}.client.{workstation}"
PATTERNS = ["skillgroup.*"]
# what the .NET clients wait before each attempt to reach the broker again (BrokerReconnect): the first wait 0.5 s,
# doubling to at most 4 s, half of it fixed and half random, so many workstations come back spread, not at once
FIRST_DELAY, MAX_DELAY = 0.5, 4.0
# a refused login or vhost does not heal by waiting
FINAL = (pika.exceptions.ProbableAuthenticationError, pika.exceptions.ProbableAccessDeniedError, pika.exceptions.AuthenticationError)


def reconnect_delay(failures):
    return min(MAX_DELAY, FIRST_DELAY * 2 ** failures) * (0.5 + random.random() / 2)


def connect():
    """Opens a connection and declares and binds the workstation's durable queue (again, after a lost connection)."""
    connection = pika.BlockingConnection(pika.ConnectionParameters(
        host=os.environ.get("RTD_RABBITMQ_HOST", "127.0.0.1"),
        port=int(os.environ.get("RTD_RABBITMQ_PORT", "5672")),
        virtual_host=f"rtd-{site}",
        credentials=pika.PlainCredentials(user, os.environ["RTD_RABBITMQ_PASSWORD"]),
        client_properties={"connection_name": f"rtd {site} client {workstation} (python)"},
    ))
    channel = connection.channel()
    channel.queue_declare(queue=queue, durable=True, arguments={
        "x-max-length": 100000,
        "x-overflow": "drop-head",
        "x-expires": 1800000,
    })
    # every client also binds "reset" on the config exchange: resyncs and takeovers are announced there
    for exchange, keys in ((f"rtd.{site}.config", [*PATTERNS, "reset"]), (f"rtd.{site}.realtime", {p.split(".")[0] for p in PATTERNS})):
        # the site's exchanges are the distributor's: a workstation may only check that they exist (it may not declare)
        channel.exchange_declare(exchange=exchange, passive=True)
        for key in keys:
            channel.queue_bind(queue=queue, exchange=exchange, routing_key=key)
    channel.basic_qos(prefetch_count=500)
    return connection, channel


def load_snapshot(channel, bindings, idle_timeout=15.0):
    """Asks the site's distributors for a snapshot (docs/wire-format.md, "Snapshots") and gathers its chunks."""
    reply_to = f"rtd.{site}.client.{workstation}.snapshots"
    channel.queue_declare(queue=reply_to, durable=False, auto_delete=True)
    requests = f"rtd.{site}.snapshot-requests"
    channel.exchange_declare(exchange=requests, passive=True)
    snapshot_id = str(uuid.uuid4())
    channel.basic_publish(exchange=requests, routing_key="snapshot", body=json.dumps({
        "site": site, "workstation": workstation, "snapshotId": snapshot_id, "replyTo": reply_to, "bindings": bindings,
        "requestedAt": datetime.now(timezone.utc).isoformat(),
    }), properties=pika.BasicProperties(content_type="application/json", user_id=user))
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


state = {"watermark": 0, "epoch": 0, "reload": True, "whole": False}
last = {}  # (kind, table) -> last site sequence applied; every chain starts at the snapshot's watermark
view = {"config": {}, "realtime": {}}  # what the workstation shows: skill group names, and live rows' versions, by key
values = {}  # each live row's value of the field it was asked to reach, by key
seen = {"config": False, "realtime": False, "heartbeat": False, "gaps": 0, "resets": 0, "staleEpochs": 0, "snapshots": 0, "reconnects": 0}


def matches(pattern, words):
    """RabbitMQ topic matching: "*" is one word, "#" zero or more."""
    if not pattern:
        return not words
    if pattern[0] == "#":
        return any(matches(pattern[1:], words[skip:]) for skip in range(len(words) + 1))
    return bool(words) and pattern[0] in ("*", words[0]) and matches(pattern[1:], words[1:])


def wanted(table, key):
    return any(matches(p.split("."), [table, *key.split(".")]) for p in PATTERNS)


def reload(ch, method, requeue):
    """Loads a new snapshot before going on; the message that asked for it is kept (requeue) or dropped (the snapshot holds it)."""
    state["reload"] = True
    if requeue:
        ch.basic_nack(method.delivery_tag, requeue=True)
    else:
        ch.basic_ack(method.delivery_tag)
    ch.stop_consuming()


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
        reload(ch, method, requeue=update["kind"] != "reset")
        return
    if update["kind"] == "reset":
        ch.basic_ack(method.delivery_tag)  # the snapshot already holds what it announces
        return
    if update["kind"] == "heartbeat":
        # in no chain: it tells where the table's real-time chain stands; holding less means a message of it was lost
        print(json.dumps({"routingKey": method.routing_key, **update}), flush=True)
        if update["chainHead"] > last.get(("realtime", update["table"]), state["watermark"]):
            seen["gaps"] += 1
            reload(ch, method, requeue=False)
            return
        seen["heartbeat"] = True
        state["whole"] = True
        ch.basic_ack(method.delivery_tag)
        if done():
            ch.stop_consuming()
        return
    chain = (update["kind"], update["table"])
    held = last.get(chain, state["watermark"])
    if update["siteSequence"] <= held:
        ch.basic_ack(method.delivery_tag)  # a duplicate: a redelivery after a lost connection, or held by the snapshot
        return
    if update["previousSiteSequence"] > held:
        seen["gaps"] += 1  # a message of the chain was lost: the snapshot asked for now was taken after this one
        print(json.dumps({"gap": update["siteSequence"], "previous": update["previousSiteSequence"], "held": held}), flush=True)
        reload(ch, method, requeue=False)
        return
    last[chain] = update["siteSequence"]
    if update["kind"] == "realtime":
        update["rows"] = [row for row in update["rows"] if wanted(update["table"], row["key"])]
        for row in update["rows"]:
            view["realtime"][row["key"]] = row["version"]
            values[row["key"]] = row["data"].get(field)
        state["whole"] = False  # until a heartbeat says its chain holds every message
    elif update["table"] == "skillgroup":
        if update["config"]["row"] is None:
            view["config"].pop(update["key"], None)
        else:
            view["config"][update["key"]] = update["config"]["row"]["name"]
    print(json.dumps({"routingKey": method.routing_key, "messageId": properties.message_id, **update}), flush=True)
    if update["kind"] == "config" and update["key"] == config_key and (update["config"]["row"] or {}).get("name") == config_name:
        seen["config"] = True
    if update["kind"] == "realtime" and any(row["key"] == rt_key and row["data"].get(field) == value for row in update["rows"]):
        seen["realtime"] = True
    ch.basic_ack(method.delivery_tag)
    if done():
        ch.stop_consuming()


def load(channel):
    """Replaces the view with a new snapshot; every chain starts again at its watermark."""
    state["watermark"], state["epoch"], rows = load_snapshot(channel, PATTERNS)
    state["reload"] = False
    seen["snapshots"] += 1
    last.clear()
    view["config"] = {r["key"]: r["value"]["name"] for r in rows if r["kind"] == "config" and r["table"] == "skillgroup"}
    view["realtime"] = {r["key"]: r["version"] for r in rows if r["kind"] == "realtime"}
    values.clear()
    values.update({r["key"]: r["value"].get(field) for r in rows if r["kind"] == "realtime"})
    state["whole"] = True  # the site's state at the watermark: no message before it can be missing
    print("snapshot " + json.dumps({"watermark": state["watermark"], "epoch": state["epoch"], "rows": rows}), flush=True)


def done():
    """Its view holds what it was asked to reach, from the stream or a snapshot, and its real-time chain is known whole."""
    return view["config"].get(config_key) == config_name and values.get(rt_key) == value and state["whole"]


connection = None
failures = 0
while not done() and time.monotonic() < deadline:
    try:
        if connection is None:
            connection, channel = connect()
            if seen["snapshots"] > 0:
                seen["reconnects"] += 1
                print("reconnected " + json.dumps({"after": failures, "chains": {f"{k}.{t}": s for (k, t), s in last.items()}}), flush=True)
            failures = 0
        if state["reload"]:
            load(channel)
            if seen["snapshots"] == 1:
                print("ready", flush=True)
            if done():
                break
        channel.basic_consume(queue=queue, on_message_callback=on_message)
        connection.call_later(max(0.0, deadline - time.monotonic()), channel.stop_consuming)
        channel.start_consuming()
    except FINAL:
        raise
    except pika.exceptions.AMQPConnectionError as lost:
        # the broker restarted or closed the connection: what was not acked comes again, the chains drop it by sequence
        delay = reconnect_delay(failures)
        failures += 1
        print(json.dumps({"lost": type(lost).__name__, "reason": str(lost), "retryIn": round(delay, 2)}), flush=True)
        connection = None
        time.sleep(delay)
print(json.dumps({"summary": seen, "view": view, "reached": done()}), flush=True)
if connection is not None and connection.is_open:
    connection.close()
sys.exit(0 if done() and seen["gaps"] == 0 else 1)
