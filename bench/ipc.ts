/**
 * The command protocol between the bench orchestrator and its child processes: the child prints
 * one JSON line on stdout when ready (its port, for a broker), then answers `{ id, cmd, arg }`
 * requests on the IPC channel with `{ id, value }` or `{ id, error }`.
 */

/** A request from the orchestrator. */
export interface CommandRequest {
  readonly id: number;
  readonly cmd: string;
  readonly arg?: unknown;
}

/** A child's answer to one request. */
export interface CommandReply {
  readonly id: number;
  readonly value?: unknown;
  readonly error?: string;
}

/** What a child can be asked to do; `exit` is always understood (it runs `cleanup`, answers, then exits). */
export type CommandHandlers = Readonly<Record<string, (arg: unknown) => unknown>>;

/** Child side: announces readiness on stdout and serves commands until told to exit or orphaned. */
export function serveCommands(ready: object, handlers: CommandHandlers, cleanup: () => Promise<void>): void {
  let exiting: Promise<void> | undefined;
  const exit = (): Promise<void> => (exiting ??= cleanup().finally(() => setImmediate(() => process.exit(0))));
  const all: CommandHandlers = { ...handlers, exit };
  process.on('message', (raw) => {
    const { id, cmd, arg } = raw as CommandRequest;
    const reply = (r: CommandReply): void => void process.send?.(r);
    Promise.resolve()
      .then(() => {
        const handler = all[cmd];
        if (handler === undefined) throw new Error(`unknown command "${cmd}"`);
        return handler(arg);
      })
      .then(
        (value) => reply({ id, value }),
        (error: unknown) => reply({ id, error: error instanceof Error ? error.message : String(error) }),
      );
  });
  // An orphaned child (the orchestrator crashed) cleans up its temp files and goes.
  process.on('disconnect', () => void exit());
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}
