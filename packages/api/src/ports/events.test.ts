import { createTestRedis } from '@chatplatform/testing/db';
import { afterAll, describe, expect, it } from 'vitest';
import { compareIds } from './events';
import { parseAnnouncement } from './events-redis';
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

  it('announces each entry with the id before it, so a follower at that id needs no read', async () => {
    const w = ports.events.watch('k3');
    try {
      for (const d of ['a', 'b', 'c', 'd', 'e']) await ports.events.append('k3', d, 60);
      // A follower that has seen nothing (cursor null) follows the announcements alone, wake after wake.
      let cursor: string | null = null;
      const got: { id: string; data: string }[] = [];
      while (got.length < 5) {
        await w.next(5_000);
        const taken = w.take(cursor);
        expect(taken).not.toBeNull();
        for (const e of taken ?? []) got.push(e);
        cursor = got.at(-1)?.id ?? null;
      }
      expect(got).toEqual(await ports.events.read('k3', null));
    } finally {
      w.close();
    }
  });

  it('says "read the log" when the announced entries do not continue the cursor', async () => {
    const w = ports.events.watch('k4');
    try {
      const a = await ports.events.append('k4', 'a', 60);
      await ports.events.append('k4', 'b', 60);
      await ports.events.append('k4', 'c', 60);
      await w.next(60_000);
      for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
      // A cursor the announcements do not start from (a follower that missed "b") gets null, not a gap.
      expect(w.take('0-0')).toBeNull();
      // Announcements are consumed by take(): a second call knows of nothing and says read.
      expect(w.take(a)).toBeNull();
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

describe('append announcements (Redis pub/sub payload)', () => {
  it('reads key, previous id, id and data; a bare key (an older instance) wakes without an entry', () => {
    expect(parseAnnouncement('msg:1\n\n1-0\n{"type":"delta","text":"a"}')).toEqual({
      key: 'msg:1',
      entry: { prev: null, id: '1-0', data: '{"type":"delta","text":"a"}' },
    });
    expect(parseAnnouncement('msg:1\n1-0\n1-1\n{}')).toEqual({
      key: 'msg:1',
      entry: { prev: '1-0', id: '1-1', data: '{}' },
    });
    expect(parseAnnouncement('msg:1')).toEqual({ key: 'msg:1' });
    expect(parseAnnouncement('msg:1\n1-0')).toEqual({ key: 'msg:1' });
  });
});
