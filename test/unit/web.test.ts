import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/index.js';
import { date, dateTime, metricValue, nhsNumber, time } from '../../src/web/format.js';
import { html, jsonScript } from '../../src/web/html.js';
import { problem } from '../../src/web/problems.js';
import { csrfMatches, MemorySessionStore, Sessions } from '../../src/web/sessions.js';
import { livePayloads, parseLivePayload, type LiveEvent } from '../../src/web/live.js';

describe('web formats (NHS content style)', () => {
  it('shows NHS numbers 3 3 4, dates as 3 Dec 2026 and UK local 24-hour times across a clock change', () => {
    expect(nhsNumber('9434765919')).toBe('943 476 5919');
    // Built from parts so the test holds on any date: a winter and a summer instant of the same year.
    const year = new Date().getUTCFullYear();
    const winter = Date.UTC(year, 11, 3, 14, 5);
    const summer = Date.UTC(year, 6, 3, 14, 5);
    expect(date(winter)).toBe(`3 Dec ${year}`);
    expect(time(winter)).toBe('14:05'); // GMT
    expect(time(summer)).toBe('15:05'); // BST
    expect(dateTime(Date.UTC(year, 0, 9, 23, 30))).toBe(`9 Jan ${year} at 23:30`);
    expect(metricValue('bodyTemperature', 36.849)).toBe('36.8 °C');
    expect(metricValue('systolic', 128.4)).toBe('128 mmHg');
  });
});

describe('html', () => {
  it('escapes every value it is given, unless already html', () => {
    const name = '<img src=x onerror=alert(1)> & "q"';
    expect(html`<p title="${name}">${name}${html`<b>ok</b>`}${[1, undefined, false, 'a']}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;">&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;<b>ok</b>1a</p>',
    );
    expect(jsonScript('cfg', { s: '</script><script>alert(1)</script>' }).value).not.toContain('</script><script>');
  });
});

describe('sessions', () => {
  it('keeps a session while it is used, signs it out after the idle time, and stores only a digest of the token', async () => {
    const clock = new ManualClock(0);
    const store = new MemorySessionStore();
    const sessions = new Sessions(store, clock, 30 * 60_000);
    const { token, session } = await sessions.open('dr-a', 'local');
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(JSON.stringify([...(store as unknown as { byDigest: Map<string, unknown> }).byDigest])).not.toContain(token);
    clock.advance(29 * 60_000);
    expect((await sessions.use(token))?.accountId).toBe('dr-a');
    clock.advance(29 * 60_000); // used 29 minutes ago: still live
    expect(await sessions.use(token)).toEqual({ ...session, lastUsedAtMs: clock.now() });
    clock.advance(30 * 60_000 + 1);
    expect(await sessions.use(token)).toBeUndefined();
    expect(await sessions.use(token)).toBeUndefined();
    expect(await sessions.use('nonsense')).toBeUndefined();
  });

  it('writes a session\'s last use at most every 30 seconds, and an idle session is refused within that much of its limit', async () => {
    const clock = new ManualClock(0);
    const store = new MemorySessionStore();
    const sessions = new Sessions(store, clock, 60_000);
    const { token } = await sessions.open('dr-a', 'local');
    const stored = () => [...(store as unknown as { byDigest: Map<string, { lastUsedAtMs: number }> }).byDigest.values()][0]?.lastUsedAtMs;
    clock.advance(10_000);
    await sessions.use(token);
    expect(stored()).toBe(0);
    clock.advance(25_000);
    await sessions.use(token);
    expect(stored()).toBe(35_000);
    clock.advance(60_001);
    expect(await sessions.use(token)).toBeUndefined();
  });

  it('matches a CSRF token exactly, in constant time, and nothing else', async () => {
    const { session } = await new Sessions(new MemorySessionStore(), new ManualClock(0), 60_000).open('dr-a', 'local');
    expect(csrfMatches(session, session.csrf)).toBe(true);
    expect(csrfMatches(session, `${session.csrf}x`)).toBe(false);
    expect(csrfMatches(session, undefined)).toBe(false);
    expect(csrfMatches(session, ['x'])).toBe(false);
  });

  it('signs one session out, leaving the account\'s others', async () => {
    const sessions = new Sessions(new MemorySessionStore(), new ManualClock(0), 60_000);
    const a = await sessions.open('dr-a', 'local');
    const b = await sessions.open('dr-a', 'oidc');
    await sessions.close(a.token);
    expect([(await sessions.use(a.token))?.accountId, (await sessions.use(b.token))?.accountId]).toEqual([undefined, 'dr-a']);
  });
});

describe('live updates between workers', () => {
  it('packs events into notifications under PostgreSQL\'s 8,000-byte limit and reads them back, ignoring anything else on the channel', () => {
    const events: LiveEvent[] = Array.from({ length: 300 }, (_, i) => ({ type: 'readings', patientNhs: `94347659${String(i).padStart(2, '0')}`, metrics: ['systolic', 'diastolic', 'heartRate'], latestAtMs: i }));
    const payloads = livePayloads(events);
    expect(payloads.length).toBeGreaterThan(1);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8_000);
    expect(payloads.flatMap(parseLivePayload)).toEqual(events);
    expect(livePayloads([])).toEqual([]);
    expect(parseLivePayload('not json')).toEqual([]);
    expect(parseLivePayload('{"type":"readings"}')).toEqual([]);
    expect(parseLivePayload('[{"type":"other","patientNhs":"1"},{"type":"alert","patientNhs":"9434765919","alertId":"a","state":"open","severity":"critical","by":"rules"}]')).toEqual([
      { type: 'alert', patientNhs: '9434765919', alertId: 'a', state: 'open', severity: 'critical', by: 'rules' },
    ]);
  });
});

describe('problem details', () => {
  it('are RFC 9457 objects with a closed code', () => {
    expect(problem('forbidden', undefined, '/api/v1/patients/1')).toEqual({ type: 'urn:vitals-gateway:problem:forbidden', title: 'You do not have access to this', status: 403, code: 'forbidden', instance: '/api/v1/patients/1' });
  });
});
