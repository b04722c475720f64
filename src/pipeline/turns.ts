/**
 * Per-key arrival order for a step that may wait: a call for a key runs only after every earlier
 * call for that key has settled. A key with nothing waiting costs nothing: its step runs at once,
 * synchronously when it can, and only a step that returns a promise makes later calls queue.
 *
 * Admission uses it so a device's messages take their turns in the order they came: a message
 * beyond the backlog allowance is judged only once the paced ones before it have gone, so a
 * device is slowed first and refused only after that.
 */
export class Turns {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, step: () => T | Promise<T>): T | Promise<T> {
    const tail = this.tails.get(key);
    if (tail === undefined) {
      const result = step();
      return result instanceof Promise ? this.hold(key, result) : result;
    }
    return this.hold(key, tail.then(step));
  }

  /** Keys with a call in progress or waiting. */
  get busy(): number {
    return this.tails.size;
  }

  private hold<T>(key: string, result: Promise<T>): Promise<T> {
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return result;
  }
}
