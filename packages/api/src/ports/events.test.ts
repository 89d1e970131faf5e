import { createTestRedis } from '@chatplatform/testing/db';
import { afterAll, describe, expect, it } from 'vitest';
import { compareIds } from './events';
import { createMemoryPorts } from './memory';
import { createRedisPorts } from './redis';
import type { Ports } from './types';

const testRedis = createTestRedis();
const ports: Ports = testRedis ? createRedisPorts(testRedis.redis) : createMemoryPorts();
afterAll(async () => {
  await ports.close();
  await testRedis?.cleanup();
});

describe(`event log and signals (${ports.kind})`, () => {
  it('appends with increasing ids and reads strictly after an id', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await ports.events.append('k1', `e${i}`, 60));
    for (let i = 1; i < ids.length; i++)
      expect(compareIds(ids[i] ?? '', ids[i - 1] ?? '')).toBeGreaterThan(0);
    const all = await ports.events.read('k1', null);
    expect(all.map((e) => e.data)).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}`));
    const rest = await ports.events.read('k1', ids[9] ?? null);
    expect(rest.map((e) => e.data)).toEqual(Array.from({ length: 10 }, (_, i) => `e${i + 10}`));
    expect(await ports.events.read('k1', ids[19] ?? null)).toEqual([]);
    expect(await ports.events.read('missing', null)).toEqual([]);
  });

  it('wakes a watcher on append, including one that happened between watch and next()', async () => {
    const w = ports.events.watch('k2');
    try {
      // Registered before the append: the wake is latched even though next() is called afterwards.
      await ports.events.append('k2', 'x', 60);
      let woke = false;
      await w.next(60_000).then(() => {
        woke = true;
      });
      expect(woke).toBe(true);
      const pending = w.next(60_000);
      await ports.events.append('k2', 'y', 60);
      await pending;
      expect((await ports.events.read('k2', null)).map((e) => e.data)).toEqual(['x', 'y']);
    } finally {
      w.close();
    }
  });

  it('delivers signals to every subscriber and stops after unsubscribe', async () => {
    const got: string[] = [];
    const off = await ports.signals.subscribe('ch', (m) => got.push(m));
    await ports.signals.publish('ch', 'one');
    while (got.length < 1) await new Promise((r) => setTimeout(r, 10));
    off();
    expect(got).toEqual(['one']);
  });
});
