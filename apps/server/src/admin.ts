import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createDb, type Database, type User } from '@chatplatform/db';
import { getUserById, getUserByWalletAnyCase, resetUserUsage, setUserLimits } from '@chatplatform/db/queries';
import { loadConfigOrExit } from './env';

export const USAGE = `usage: pnpm admin <command> <user> [options]

  <user> is a wallet address (any letter case) or a user id (UUID).

  show <user>                               limits and usage of a user
  set-limits <user> [--ai-messages N] [--api-calls N]
                                            set either limit or both (N >= 0)
  reset-usage <user> [--ai-messages] [--api-calls]
                                            set usage back to 0 (both when neither flag is given)

The database is the one the server uses (DATABASE_URL / POSTGRES_*, or the embedded one under DATA_DIR; stop the
server before using the CLI on the embedded database: PGlite allows one process at a time).`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function findUser(db: Database, who: string): Promise<User | undefined> {
  if (UUID.test(who)) return getUserById(db, { id: who.toLowerCase() });
  if (/^0x[0-9a-f]{40}$/i.test(who)) return getUserByWalletAnyCase(db, { walletAddress: who });
  return undefined;
}

function describe(u: User): string {
  return [
    `user        ${u.id}`,
    `wallet      ${u.walletAddress}`,
    `name        ${u.displayName ?? '-'}`,
    `email       ${u.email ?? '-'}${u.email ? (u.emailVerifiedAt ? ' (verified)' : ' (unverified)') : ''}`,
    `ai messages ${u.aiMessagesUsed} used of ${u.aiMessagesLimit}`,
    `api calls   ${u.apiCallsUsed} used of ${u.apiCallsLimit}`,
    `created     ${u.createdAt.toISOString()}`,
  ].join('\n');
}

/** The limits are PostgreSQL integer columns. */
const MAX_LIMIT = 2_147_483_647;

function nonNegative(flag: string, raw: string | undefined): number {
  const n = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || n > MAX_LIMIT)
    throw new UsageError(
      `${flag} needs a whole number from 0 to ${MAX_LIMIT}, got ${raw === undefined ? 'nothing' : `"${raw}"`}`,
    );
  return n;
}

export class UsageError extends Error {}

/** Runs one admin command; returns the process exit code. Tests call it with a test database. */
export async function runAdmin(
  args: string[],
  deps: { db: Database; out: (line: string) => void; err: (line: string) => void },
): Promise<number> {
  const [command, who, ...rest] = args;
  try {
    if (!command || command === 'help' || command === '--help') {
      deps.out(USAGE);
      return command ? 0 : 64;
    }
    if (!['show', 'set-limits', 'reset-usage'].includes(command))
      throw new UsageError(`unknown command "${command}"`);
    if (!who || who.startsWith('-')) throw new UsageError('name a user: a wallet address or a user id');
    if (!UUID.test(who) && !/^0x[0-9a-f]{40}$/i.test(who))
      throw new UsageError(
        `"${who}" is neither a wallet address (0x and 40 hex digits) nor a user id (UUID)`,
      );
    // Every option is read before the database is touched: a usage error changes nothing.
    const limits: { aiMessagesLimit?: number; apiCallsLimit?: number } = {};
    let ai = false;
    let api = false;
    for (let i = 0; i < rest.length; i++) {
      const flag = rest[i];
      if (command === 'set-limits' && flag === '--ai-messages')
        limits.aiMessagesLimit = nonNegative(flag, rest[++i]);
      else if (command === 'set-limits' && flag === '--api-calls')
        limits.apiCallsLimit = nonNegative(flag, rest[++i]);
      else if (command === 'reset-usage' && flag === '--ai-messages') ai = true;
      else if (command === 'reset-usage' && flag === '--api-calls') api = true;
      else throw new UsageError(`${command} takes no "${flag}"`);
    }
    if (
      command === 'set-limits' &&
      limits.aiMessagesLimit === undefined &&
      limits.apiCallsLimit === undefined
    )
      throw new UsageError('set-limits needs --ai-messages N and/or --api-calls N');

    const user = await findUser(deps.db, who);
    if (!user) {
      deps.err(`no user with wallet address or id "${who}"`);
      return 1;
    }
    if (command === 'show') {
      deps.out(describe(user));
      return 0;
    }
    if (command === 'set-limits') {
      const updated = await setUserLimits(deps.db, { userId: user.id, ...limits });
      if (!updated) throw new Error('user vanished');
      deps.out(describe(updated));
      return 0;
    }
    if (!ai && !api) ai = api = true;
    const updated = await resetUserUsage(deps.db, { userId: user.id, aiMessages: ai, apiCalls: api });
    if (!updated) throw new Error('user vanished');
    deps.out(describe(updated));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      deps.err(`${e.message}\n\n${USAGE}`);
      return 64;
    }
    throw e;
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const handle =
    config.database.kind === 'postgres'
      ? createDb({
          kind: 'postgres',
          url: config.database.url,
          poolSize: 2,
          applicationName: 'chatplatform-admin',
        })
      : createDb({ kind: 'pglite', dataDir: config.database.dataDir });
  let code = 1;
  try {
    await handle.migrate();
    code = await runAdmin(process.argv.slice(2), {
      db: handle.db,
      out: (l) => console.log(l),
      err: (l) => console.error(l),
    });
  } finally {
    await handle.close();
  }
  process.exit(code);
}

const invoked = process.argv[1] ? pathToFileURL(path.resolve(process.argv[1])).href : '';
if (import.meta.url === invoked) {
  main().catch((err) => {
    // One line a person can act on, not a stack trace (LOG_LEVEL=debug prints the error as thrown).
    const message = err instanceof Error ? err.message : String(err);
    const embeddedBusy = /Aborted\(\)|lock|already in use/i.test(message);
    console.error(
      `admin: ${message}${embeddedBusy ? '\nIs the server running on the embedded database? Stop it first: PGlite allows one process at a time.' : ''}`,
    );
    if (process.env.LOG_LEVEL === 'debug') console.error(err);
    process.exit(1);
  });
}
