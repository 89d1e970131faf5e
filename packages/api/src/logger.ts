/** The slice of pino the API uses; fastify's request logger satisfies it, tests may pass `silentLogger`. */
export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  child?(bindings: Record<string, unknown>): Logger;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
