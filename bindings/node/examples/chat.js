#!/usr/bin/env node
'use strict';
// A chat over a Fluvio topic: every line typed is sent to the room, and the messages of the
// others are printed as they arrive.
//
//   node examples/chat.js alice [--endpoint 127.0.0.1:9003] [--topic chat] [--history 10]
//
// Without --endpoint the current Fluvio profile is used. Start several in other terminals.

const readline = require('node:readline');
const { parseArgs } = require('node:util');
const { Fluvio, Offset } = require('..');

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      endpoint: { type: 'string' },
      topic: { type: 'string', default: 'chat' },
      history: { type: 'string', default: '0' },
    },
  });
  const user = positionals[0];
  if (!user) {
    console.error('usage: chat.js <name> [--endpoint host:port] [--topic chat] [--history n]');
    process.exit(2);
  }

  const fluvio = await Fluvio.connect(values.endpoint ? { endpoint: values.endpoint } : {});
  try {
    await (await fluvio.admin()).createTopic(values.topic);
  } catch (e) {
    if (e.code !== 'TOPIC_ALREADY_EXISTS') throw e;
  }
  const producer = await fluvio.topicProducer(values.topic);
  const history = Number(values.history);
  const stream = await fluvio.consumer({
    topic: values.topic,
    partition: 0,
    offset: history > 0 ? Offset.fromEnd(history) : Offset.end(),
  });

  // Print the others' messages as they come.
  const printing = (async () => {
    for await (const record of stream) {
      let msg;
      try {
        msg = record.valueJson();
      } catch {
        continue; // not a chat message
      }
      if (msg.user === user && history === 0) continue;
      const at = new Date(msg.at).toLocaleTimeString();
      console.log(`[${at}] ${msg.user}: ${msg.text}`);
    }
  })();

  console.log(`${user} joined #${values.topic} on ${fluvio.endpoint}; type a message, Ctrl-D to leave`);
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    const text = line.trim();
    if (!text) continue;
    await producer.send(user, JSON.stringify({ user, text, at: Date.now() }));
  }

  await producer.flush();
  await stream.close();
  await printing;
  await fluvio.close();
}

main().catch((e) => {
  console.error(`chat: ${e.code ? `${e.code}: ` : ''}${e.message}`);
  process.exit(1);
});
