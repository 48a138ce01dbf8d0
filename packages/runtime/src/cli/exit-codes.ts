/** Exit codes scripts can rely on (sysexits.h values where one fits). */
export const EXIT = Object.freeze({
  ok: 0,
  /** Something failed at run time (start-up failed, a send was refused). */
  failure: 1,
  /** The command line is wrong. */
  usage: 64,
  /** The instance could not be reached or did not accept (send). */
  unavailable: 69,
  /** The config file is invalid. */
  config: 78,
});
