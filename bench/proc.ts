import { readdirSync, readFileSync } from 'node:fs';

/** [proc(5)] utime and stime are in clock ticks; USER_HZ is 100 on Linux. */
const MS_PER_TICK = 10;

/** Resident set size of a process (VmRSS from /proc/<pid>/status), in bytes. */
export function rssBytes(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (line === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]) * 1024;
}

/** A process's command name and the fields of /proc/<pid>/stat after it (the first is field 3, state). */
function stat(pid: number | string): { comm: string; fields: string[] } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // [proc(5)] "pid (comm) state ppid …": comm may hold spaces and parentheses, so it ends at the last ")".
  return { comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), fields: text.slice(text.lastIndexOf(')') + 2).split(' ') };
}

/** CPU time (user + system) used so far, in ms: a process's (all threads), or one thread's as `<pid>/task/<tid>`. */
export function cpuMs(path: number | string): number {
  // [proc(5)] utime is field 14, stime 15.
  const { fields } = stat(path);
  return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
}

/** A thread's time so far, in ms: on a core, and runnable but waiting for one (when the kernel keeps scheduler statistics). */
export interface ThreadTime {
  readonly cpuMs: number;
  readonly waitMs: number | undefined;
}

/** Each thread of a process, by thread id: {@link ThreadTime}. */
export function threadTimes(pid: number): Map<number, ThreadTime> {
  const threads = new Map<number, ThreadTime>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(Number(tid), threadTime(`${pid}/task/${tid}`));
    } catch {
      // ended since the directory was listed
    }
  }
  return threads;
}

function threadTime(path: string): ThreadTime {
  try {
    // [proc(5)] /proc/<pid>/task/<tid>/schedstat: time on a CPU (ns), time waiting on a runqueue (ns), timeslices.
    const [onCpu, waiting] = readFileSync(`/proc/${path}/schedstat`, 'utf8').split(' ').map(Number);
    if (onCpu !== undefined && waiting !== undefined && Number.isFinite(onCpu) && Number.isFinite(waiting)) return { cpuMs: onCpu / 1e6, waitMs: waiting / 1e6 };
  } catch {
    // a kernel without scheduler statistics: CPU time from stat, in clock ticks
  }
  return { cpuMs: cpuMs(path), waitMs: undefined };
}

/** A thread's share of one core over an interval: on it, and waiting for one (undefined without scheduler statistics). */
export interface ThreadCores {
  readonly cpu: number;
  readonly waiting: number | undefined;
}

/**
 * A process's main thread (thread id = process id) and its busiest other thread over an interval of
 * `ms`, from {@link threadTimes} at its two ends. A thread started within the interval counts from zero.
 */
export function threadCores(pid: number, before: ReadonlyMap<number, ThreadTime>, after: ReadonlyMap<number, ThreadTime>, ms: number): { main: ThreadCores; busiestOther: ThreadCores } {
  const cores = (tid: number, t: ThreadTime): ThreadCores => {
    const b = before.get(tid);
    const waited = t.waitMs === undefined ? undefined : t.waitMs - (b?.waitMs ?? 0);
    return { cpu: (t.cpuMs - (b?.cpuMs ?? 0)) / ms, waiting: waited === undefined ? undefined : waited / ms };
  };
  let main: ThreadCores = { cpu: 0, waiting: undefined };
  let busiestOther: ThreadCores = { cpu: 0, waiting: undefined };
  for (const [tid, t] of after) {
    const c = cores(tid, t);
    if (tid === pid) main = c;
    else if (c.cpu >= busiestOther.cpu) busiestOther = c;
  }
  return { main, busiestOther };
}

/** The id of a process this one started, found by its command name (which the kernel cuts to 15 bytes). */
export function childPid(comm: string): number | undefined {
  const name = comm.slice(0, 15);
  const ours = (pid: string): boolean => {
    try {
      const s = stat(pid);
      return s.comm === name && Number(s.fields[1]) === process.pid; // [proc(5)] ppid is field 4
    } catch {
      return false; // gone since the directory was listed
    }
  };
  const found = readdirSync('/proc').find((entry) => /^\d+$/.test(entry) && ours(entry));
  return found === undefined ? undefined : Number(found);
}

/** CPU time all processes on the machine have used so far (every core, from /proc/stat), in ms. */
export function machineBusyMs(): number {
  // [proc(5)] cpu user nice system idle iowait irq softirq steal …: everything but idle and iowait is busy.
  const [user, nice, system, , , irq, softirq, steal] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return [user, nice, system, irq, softirq, steal].reduce<number>((sum, n) => sum + (n ?? 0), 0) * MS_PER_TICK;
}

/** CPU time of a process and of the children it has now (a database server and its backends), in ms. */
export function cpuTreeMs(pid: number): number {
  let total = cpuMs(pid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(stat(entry).fields[1]) === pid) total += cpuMs(Number(entry)); // [proc(5)] ppid is field 4
    } catch {
      // gone since the directory was listed
    }
  }
  return total;
}
