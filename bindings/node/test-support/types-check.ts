// Type-checked (not run) by ci.sh with `tsc --noEmit --strict`: code in the official
// @fluvio/client style and in flv's own style against index.d.ts.
import Fluvio, { Offset, Fluvio as FlvFluvio, PartitionRecord, SpuGroupSpec, CustomSpuSpec } from '..';

export async function officialStyle(): Promise<void> {
  const fluvio = new Fluvio({ host: '127.0.0.1', port: 9003 });
  await fluvio.connect();
  const admin = await fluvio.admin();
  const name: string = await admin.createTopic('t', { partitions: 1, replicationFactor: 1, ignoreRackAssignment: false });
  const topic = await admin.findTopic(name);
  const listed: string = await admin.listTopic();
  const partition = await admin.findPartition(name);
  await admin.createManagedSpu('group', new SpuGroupSpec({ replicas: 1 }));
  await admin.createCustomSpu('custom', new CustomSpuSpec({ id: 7 }));
  await admin.deleteCustomSpu(7);
  const producer = await fluvio.topicProducer(name);
  await producer.send('key', 'value');
  await producer.send(new TextEncoder().encode('key'), new TextEncoder().encode('value'));
  await producer.sendRecord('value', 0);
  await producer.sendAll([['key', 'value']]);
  await producer.flush();
  const consumer = await fluvio.partitionConsumer(name, 0);
  for await (const record of await consumer.createStream(Offset.FromBeginning())) {
    const key: ArrayBuffer | null = record.key();
    const value: string = record.valueString();
    if (record.hasKey() && key !== null && value.length > 0) break;
  }
  await consumer.stream(new Offset({ index: 1, from: 'beginning' }), (r: PartitionRecord) => r.keyString());
  await consumer.endStream();
  const config = { maxBytes: 1 << 20, smartmoduleType: 'filter' as const, smartmoduleName: 'm' };
  await consumer.streamWithConfig(Offset.FromEnd(), config);
  const fetched: string[] = (await consumer.fetch()).toRecords();
  console.log(topic?.status.resolution, listed.length, partition.status.lsr, fetched.length);
}

export async function flvStyle(): Promise<void> {
  const fluvio = await FlvFluvio.connect({ endpoint: '127.0.0.1:9003' });
  const producer = await fluvio.topicProducer('t', { linger: 5, partition: 0 });
  const { partition, offset } = await (await producer.send(null, Buffer.from('x'))).wait();
  const stream = await fluvio.consumer({ topic: 't', offset: Offset.absolute(offset) });
  for await (const record of stream) {
    const value: Buffer = record.value;
    if (value.length > partition) break;
  }
  await fluvio.close();
}
