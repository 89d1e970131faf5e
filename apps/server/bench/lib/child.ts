import type { ChildProcess } from 'node:child_process';

/**
 * Asks a benchmark's server process to stop (it closes its app and connections, then exits) and waits for it,
 * killing it after 15 s.
 */
export function stopChild(child: ChildProcess, message: { kind: 'stop' }): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send(message);
  });
}
