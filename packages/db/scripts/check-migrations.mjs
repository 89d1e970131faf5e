// CI: the committed migrations must match the schema. `drizzle-kit generate` on a clean tree must add nothing.
import { execFileSync } from 'node:child_process';

execFileSync('pnpm', ['exec', 'drizzle-kit', 'generate', '--name', 'ci_check'], { stdio: 'inherit' });
const status = execFileSync('git', ['status', '--porcelain', '--', 'drizzle'], { encoding: 'utf8' });
if (status.trim()) {
  console.error(`The schema changed without a migration. Run \`pnpm db:generate\` and commit:\n${status}`);
  execFileSync('git', ['checkout', '--', 'drizzle']);
  execFileSync('git', ['clean', '-fdq', '--', 'drizzle']);
  process.exit(1);
}
console.log('migrations: up to date with the schema');
