// Operator CLI; filled in by the agents/quotas work (pnpm admin ...).
console.error('usage: pnpm admin <command>');
process.exit(64);
