"""An independent reader of WaveStack's log: confluent-kafka (librdkafka)
with Confluent's schema-registry Avro deserializer, pointed at the query
API's registry endpoints. Reads until it has seen one event of each kind
named on the command line, checks the expected fields, prints what it read.

usage: e2e_consume.py BOOTSTRAP REGISTRY_URL EXPECTATIONS_JSON
"""
import json
import sys
import time
import uuid

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

TOPICS = ["wavestack.chat.events.v1", "wavestack.clip.events.v1", "wavestack.publication.events.v1"]


def main() -> int:
    bootstrap, registry, expectations = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    deserialize = AvroDeserializer(SchemaRegistryClient({"url": registry}))
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"e2e-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
    })
    consumer.subscribe(TOPICS)
    pending = dict(expectations)  # topic -> {field path: value}
    deadline = time.time() + 90
    try:
        while pending and time.time() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                raise RuntimeError(message.error())
            record = deserialize(message.value(), SerializationContext(message.topic(), MessageField.VALUE))
            print(f"{message.topic()} key={message.key().decode()} -> {json.dumps(record, default=str)}")
            wanted = pending.get(message.topic())
            if wanted and all(lookup(record, path) == value for path, value in wanted.items()):
                del pending[message.topic()]
    finally:
        consumer.close()
    if pending:
        print(f"FAILED: never saw {json.dumps(pending)}", file=sys.stderr)
        return 1
    print("ok: every expected event decoded through the registry")
    return 0


def lookup(record, path):
    for part in path.split("."):
        if not isinstance(record, dict) or part not in record:
            return None
        record = record[part]
    return record


if __name__ == "__main__":
    sys.exit(main())
