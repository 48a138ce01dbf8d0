/** The few logger methods the scheduler uses; a pino logger fits. */
export interface SchedulerLogger {
  debug(details: object, message: string): void;
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}
