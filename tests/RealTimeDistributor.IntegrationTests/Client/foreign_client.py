"""A client workstation that is not .NET: reads a site's exchanges with pika, following docs/wire-format.md.

Binds skillgroup.* on both site exchanges, prints "ready" once bound, then applies messages with the documented rules
(drop at or below the table's last site sequence; a previousSiteSequence above it is a gap) until it has seen the
expected configuration name and real-time value. Prints one JSON line per message and a final summary; exit code 0 on
success, 1 on a gap or a timeout. Arguments: site workstation config-key config-name realtime-key field value timeout-s.
Broker: RTD_RABBITMQ_HOST, RTD_RABBITMQ_PORT, RTD_RABBITMQ_USER, RTD_RABBITMQ_PASSWORD.
"""
import json
import os
import sys

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
for exchange in (f"rtd.{site}.config", f"rtd.{site}.realtime"):
    channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
    channel.queue_bind(queue=queue, exchange=exchange, routing_key="skillgroup.*")
channel.basic_qos(prefetch_count=500)
print("ready", flush=True)

last = {}  # (kind, table) -> last site sequence applied
seen = {"config": False, "realtime": False, "gaps": 0}


def on_message(ch, method, properties, body):
    update = json.loads(body)
    chain = (update["kind"], update["table"])
    held = last.get(chain, 0)
    if update["site"] != site or update["siteSequence"] <= held:
        ch.basic_ack(method.delivery_tag)
        return
    if held and update["previousSiteSequence"] > held:
        seen["gaps"] += 1
    last[chain] = update["siteSequence"]
    print(json.dumps({"routingKey": method.routing_key, "messageId": properties.message_id, **update}), flush=True)
    if update["kind"] == "config" and update["key"] == config_key and (update["config"]["row"] or {}).get("name") == config_name:
        seen["config"] = True
    if update["kind"] == "realtime" and update["key"] == rt_key and update["row"]["data"].get(field) == value:
        seen["realtime"] = True
    ch.basic_ack(method.delivery_tag)
    if seen["config"] and seen["realtime"]:
        ch.stop_consuming()


def give_up():
    channel.stop_consuming()


connection.call_later(float(timeout), give_up)
channel.basic_consume(queue=queue, on_message_callback=on_message)
channel.start_consuming()
print(json.dumps({"summary": seen}), flush=True)
connection.close()
sys.exit(0 if seen["config"] and seen["realtime"] and seen["gaps"] == 0 else 1)
