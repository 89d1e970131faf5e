import { performance } from 'node:perf_hooks';
import { createDb, type DbHandle } from '@chatplatform/db';
import { listChatsForUser, listMessagesForChat } from '@chatplatform/db/queries';
import { createBenchDatabase } from '../lib/backend';

/**
 * Keyset pagination stays flat as data grows: one page of 50 messages from a chat of 1,000 vs one of
 * 1,000,000, and one page of a user's chat list with 100 vs 10,000 chats. Real PostgreSQL
 * (BENCH_DATABASE_URL), in a fresh database created and dropped here. Figures are medians of interleaved
 * runs through the same query functions the API calls.
 */
const SMALL_CHAT = 1_000;
const BIG_CHAT = 1_000_000;
const FEW_CHATS = 100;
const MANY_CHATS = 10_000;
const PAGE = 50;
const ROUNDS = 300;
const TARGET = 1.5;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const p95 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length * 0.95)] ?? Number.NaN;
};

/** Runs the two cases alternately (so machine noise hits both alike) and returns their timings in ms. */
async function compare(small: () => Promise<unknown>, big: () => Promise<unknown>) {
  for (let i = 0; i < 30; i++) {
    await small();
    await big();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now();
    await small();
    a.push(performance.now() - t);
    t = performance.now();
    await big();
    b.push(performance.now() - t);
  }
  return { small: a, big: b };
}

interface Row {
  case: string;
  small: string;
  big: string;
  ratio: number;
}

function row(name: string, r: { small: number[]; big: number[] }): Row {
  const ms = median(r.small);
  const mb = median(r.big);
  return {
    case: name,
    small: `${ms.toFixed(3)} ms (p95 ${p95(r.small).toFixed(3)})`,
    big: `${mb.toFixed(3)} ms (p95 ${p95(r.big).toFixed(3)})`,
    ratio: Number((mb / ms).toFixed(2)),
  };
}

async function seed(h: DbHandle) {
  const pool = h.pool;
  if (!pool) throw new Error('the benchmark needs PostgreSQL');
  const users = await pool.query<{ id: string }>(
    `insert into users (wallet_address, ai_messages_limit, api_calls_limit)
     select '0x' || lpad(to_hex(g), 40, '0'), 100, 1000 from generate_series(1, 3) g returning id`,
  );
  const [u1, u2, u3] = users.rows.map((r) => r.id);
  if (!u1 || !u2 || !u3) throw new Error('users not created');

  const chats = await pool.query<{ id: string }>(
    `insert into chats (user_id, title) values ($1, 'small'), ($1, 'big') returning id`,
    [u1],
  );
  const [small, big] = chats.rows.map((r) => r.id);
  if (!small || !big) throw new Error('chats not created');

  let t = performance.now();
  // Bulk load the way one restores a dump: foreign-key triggers off for this session (the rows are consistent
  // by construction) and the message indexes (but the primary key) dropped, then rebuilt from their exact definitions before anything
  // is measured. The schema measured is the migrated one.
  const saved = await pool.query<{ name: string; def: string }>(
    `select i.indexname as name, i.indexdef as def from pg_indexes i
     where i.schemaname = 'public' and i.tablename = 'messages'
       and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
  );
  for (const ix of saved.rows) await pool.query(`drop index "${ix.name}"`);
  const client = await pool.connect();
  try {
    await client.query('set session_replication_role = replica');
    for (const [chatId, n] of [
      [small, SMALL_CHAT],
      [big, BIG_CHAT],
    ] as const) {
      // In slices, so one statement's WAL and memory stay modest on a small machine.
      for (let from = 1; from <= n; from += 250_000) {
        const to = Math.min(n, from + 250_000 - 1);
        await client.query(
          `insert into messages (chat_id, user_id, role, content, created_at, updated_at)
           select $1, $2, (case when g % 2 = 0 then 'AI' else 'USER' end)::message_role,
                  'message ' || g || ' of a long conversation', now(), now()
           from generate_series($3::int, $4::int) g`,
          [chatId, u1, from, to],
        );
      }
      await client.query('update chats set message_count = $2 where id = $1', [chatId, n]);
    }
    await client.query('set session_replication_role = origin');
  } finally {
    client.release();
  }
  for (const ix of saved.rows) await pool.query(ix.def);
  const seedMessagesMs = performance.now() - t;

  t = performance.now();
  // u2: 100 chats; u3: 10,000 chats. Distinct updated_at, newest first by g.
  await pool.query(
    `insert into chats (user_id, title, updated_at, created_at)
     select $1, 'chat ' || g, now() - g * interval '1 second', now() - g * interval '1 second'
     from generate_series(1, $2::int) g`,
    [u2, FEW_CHATS],
  );
  await pool.query(
    `insert into chats (user_id, title, updated_at, created_at)
     select $1, 'chat ' || g, now() - g * interval '1 second', now() - g * interval '1 second'
     from generate_series(1, $2::int) g`,
    [u3, MANY_CHATS],
  );
  const seedChatsMs = performance.now() - t;
  await pool.query('vacuum analyze messages');
  await pool.query('vacuum analyze chats');
  return { u2, u3, small, big, seedMessagesMs, seedChatsMs };
}

/**
 * PostgreSQL's plan for `sql` with these values, and its generic plan: the app runs these queries as prepared
 * statements, and after five runs PostgreSQL may switch one to a plan made without the values.
 */
async function planOf(h: DbHandle, sql: string, params: unknown[]): Promise<string> {
  const client = await h.pool?.connect();
  if (!client) return 'no pool';
  const plan = async (text: string, values?: unknown[]) =>
    (await client.query<{ 'QUERY PLAN': string }>(text, values)).rows
      .map((x) => x['QUERY PLAN'].trim())
      .join(' | ');
  try {
    const custom = await plan(`explain ${sql}`, params);
    await client.query(`prepare plan_probe as ${sql}`);
    await client.query('set plan_cache_mode = force_generic_plan');
    const literals = params.map((p) => `'${String(p).replaceAll("'", "''")}'`).join(', ');
    const generic = await plan(`explain execute plan_probe(${literals})`);
    await client.query('deallocate plan_probe');
    await client.query('reset plan_cache_mode');
    return `${custom}\n  generic plan: ${generic}`;
  } finally {
    client.release();
  }
}

export default async function pagination(): Promise<void> {
  const started = performance.now();
  const bench = await createBenchDatabase('pagination');
  const name = bench.name;
  const h = createDb({ kind: 'postgres', url: bench.url, poolSize: 2 });
  let failed: number | undefined;
  try {
    console.log(
      `pagination: seeding ${BIG_CHAT.toLocaleString('en')} + ${SMALL_CHAT} messages and ${MANY_CHATS + FEW_CHATS} chats in ${name} ...`,
    );
    const s = await seed(h);
    console.log(
      `pagination: seeded messages in ${(s.seedMessagesMs / 1000).toFixed(1)} s, chats in ${(s.seedChatsMs / 1000).toFixed(1)} s`,
    );
    const db = h.db;

    const mid = async (chatId: string, n: number) => {
      const r = await h.pool?.query<{ seq: string }>(
        'select seq from messages where chat_id = $1 order by seq offset $2 limit 1',
        [chatId, Math.floor(n / 2)],
      );
      return Number(r?.rows[0]?.seq);
    };
    const smallMid = await mid(s.small, SMALL_CHAT);
    const bigMid = await mid(s.big, BIG_CHAT);

    const rows: Row[] = [];
    rows.push(
      row(
        `messages: latest page of ${PAGE} (${SMALL_CHAT} vs ${BIG_CHAT} in chat)`,
        await compare(
          () => listMessagesForChat(db, { chatId: s.small, limit: PAGE, direction: 'older' }),
          () => listMessagesForChat(db, { chatId: s.big, limit: PAGE, direction: 'older' }),
        ),
      ),
    );
    rows.push(
      row(
        `messages: page of ${PAGE} older than the middle`,
        await compare(
          () =>
            listMessagesForChat(db, {
              chatId: s.small,
              limit: PAGE,
              direction: 'older',
              cursorSeq: smallMid,
            }),
          () =>
            listMessagesForChat(db, { chatId: s.big, limit: PAGE, direction: 'older', cursorSeq: bigMid }),
        ),
      ),
    );
    rows.push(
      row(
        `messages: first page of ${PAGE} (direction newer)`,
        await compare(
          () => listMessagesForChat(db, { chatId: s.small, limit: PAGE, direction: 'newer' }),
          () => listMessagesForChat(db, { chatId: s.big, limit: PAGE, direction: 'newer' }),
        ),
      ),
    );

    const keyAt = async (userId: string, offset: number) => {
      const r = await h.pool?.query<{ id: string; updated_at: Date }>(
        'select id, updated_at from chats where user_id = $1 order by updated_at desc nulls last, id desc nulls last offset $2 limit 1',
        [userId, offset],
      );
      const k = r?.rows[0];
      if (!k) throw new Error('no chat at offset');
      return { id: k.id, updatedAt: k.updated_at };
    };
    const fewDeep = await keyAt(s.u2, FEW_CHATS - PAGE - 1);
    const manyDeep = await keyAt(s.u3, MANY_CHATS - PAGE - 1);
    rows.push(
      row(
        `chats: first page of ${PAGE} (${FEW_CHATS} vs ${MANY_CHATS} chats)`,
        await compare(
          () => listChatsForUser(db, { userId: s.u2, limit: PAGE }),
          () => listChatsForUser(db, { userId: s.u3, limit: PAGE }),
        ),
      ),
    );
    rows.push(
      row(
        `chats: last page of ${PAGE}`,
        await compare(
          () => listChatsForUser(db, { userId: s.u2, limit: PAGE, after: fewDeep }),
          () => listChatsForUser(db, { userId: s.u3, limit: PAGE, after: manyDeep }),
        ),
      ),
    );

    console.log('pagination: median per page over %d interleaved rounds (small case vs big case)', ROUNDS);
    console.table(rows);
    const worst = Math.max(...rows.map((r) => r.ratio));
    console.log(
      `pagination: worst big/small ratio ${worst.toFixed(2)} (target <= ${TARGET}): ${worst <= TARGET ? 'PASS' : 'FAIL'}`,
    );
    failed = worst > TARGET ? worst : undefined;
    console.log(
      `pagination: plan, 1M-message chat, middle page: ${await planOf(
        h,
        'select * from messages where chat_id = $1 and seq < $2 order by seq desc limit $3',
        [s.big, bigMid, PAGE + 1],
      )}`,
    );
    console.log(
      `pagination: plan, 10k-chat list, last page: ${await planOf(
        h,
        'select * from chats where user_id = $1 and (updated_at, id) < ($2::timestamptz, $3::uuid) order by updated_at desc nulls last, id desc nulls last limit $4',
        [s.u3, manyDeep.updatedAt.toISOString(), manyDeep.id, PAGE + 1],
      )}`,
    );
  } finally {
    await h.close();
    await bench.drop();
    console.log(
      `pagination: done in ${((performance.now() - started) / 1000).toFixed(1)} s (database dropped)`,
    );
  }
  // A page that grows with the data is a regression, not noise: fail the suite.
  if (failed !== undefined)
    throw new Error(`pagination is not flat: big/small ${failed.toFixed(2)} > ${TARGET}`);
}

// Runnable on its own: `node --import tsx bench/suites/pagination.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  pagination().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
