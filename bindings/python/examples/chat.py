#!/usr/bin/env python3
"""A chat over a Fluvio topic, on asyncio: every line typed is sent to the room, and the
others' messages are printed as they arrive.

    python examples/chat.py alice [--endpoint 127.0.0.1:9003] [--topic chat] [--history 10]

Without --endpoint the current Fluvio profile is used. Start several in other terminals.
"""

import argparse
import asyncio
import json
import sys
import time

import flv
from flv import Fluvio, FluvioConfig, Offset


async def print_messages(stream, user: str, history: int) -> None:
    """Prints the room's messages (the user's own only when replaying history)."""
    async for record in stream:
        try:
            msg = json.loads(record.value())
        except ValueError:
            continue  # not a chat message
        if msg.get("user") == user and history == 0:
            continue
        at = time.strftime("%H:%M:%S", time.localtime(msg.get("at", 0) / 1000))
        print(f"[{at}] {msg.get('user')}: {msg.get('text')}", flush=True)


async def main() -> int:
    parser = argparse.ArgumentParser(description="chat over a Fluvio topic")
    parser.add_argument("user")
    parser.add_argument("--endpoint")
    parser.add_argument("--topic", default="chat")
    parser.add_argument("--history", type=int, default=0, help="replay the last N messages")
    args = parser.parse_args()

    if args.endpoint:
        fluvio = await Fluvio.async_connect_with_config(FluvioConfig.new(args.endpoint))
    else:
        fluvio = await Fluvio.async_connect()
    # The admin API over the same connection: once the topic is created, this client
    # knows it.
    admin = fluvio.admin()
    try:
        await admin.async_create_topic(args.topic)
    except flv.FluvioError as e:
        if e.code != "TOPIC_ALREADY_EXISTS":
            raise
    producer = await fluvio.async_topic_producer(args.topic)
    start = Offset.from_end(args.history) if args.history > 0 else Offset.end()
    stream = await fluvio.partition_consumer(args.topic, 0).async_stream(start)
    printer = asyncio.ensure_future(print_messages(stream, args.user, args.history))

    print(f"{args.user} joined #{args.topic}; type a message, Ctrl-D to leave", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        text = line.strip()
        if text:
            message = {"user": args.user, "text": text, "at": int(time.time() * 1000)}
            await producer.async_send(args.user, json.dumps(message))
            await producer.async_flush()
    printer.cancel()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except flv.FluvioError as e:
        print(f"chat: {e.code}: {e}", file=sys.stderr)
        sys.exit(1)
