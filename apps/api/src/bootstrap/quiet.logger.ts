import type { LoggerService } from '@nestjs/common';

/** Nest's boot chatter (one line per module and route) buries the lines operators need: kept for LOG_LEVEL=debug. */
const BOOT_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/** Nest's own messages through nestjs-pino, less the boot chatter. */
export class QuietLogger implements LoggerService {
  constructor(
    private readonly inner: LoggerService,
    private readonly chatty: boolean,
  ) {}

  log(message: unknown, ...params: unknown[]): void {
    const context = params[params.length - 1];
    if (typeof context === 'string' && BOOT_CONTEXTS.has(context)) {
      if (this.chatty) {
        this.inner.debug?.(message, ...params);
      }
      return;
    }
    this.inner.log(message, ...params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.inner.error(message, ...params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.inner.warn(message, ...params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.inner.debug?.(message, ...params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.inner.verbose?.(message, ...params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.inner.fatal?.(message, ...params);
  }
}
