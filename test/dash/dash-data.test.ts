/**
 * The dashboard's data path without a screen: a real recording of the default guest through the
 * recording feed (the same model as the TUI), the charts' series and histogram bars, the control
 * socket's protocol parser, the command line.
 */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DashData } from '../../src/dash/dash-data';
import { RecordingFeed, niceInterval } from '../../src/dash/recording-feed';
import { bucketLabel, histBars, seriesOf } from '../../src/dash/chart-data';
import { LineSplitter, parseControlLine } from '../../src/dash/protocol';
import { parseDashArgs, parseInterval } from '../../src/cli/dash';
import { recordDefaultGuest, type DefaultRecording } from '../tui/tui-helpers';

let rec: DefaultRecording;
beforeAll(() => {
  rec = recordDefaultGuest();
}, 120_000);
afterAll(() => fs.rmSync(rec.dir, { recursive: true, force: true }));

describe('a recording of the default guest', () => {
  test('about 60 samples, six requests, the histogram holds them all', () => {
    const d = new DashData();
    const feed = new RecordingFeed(rec.vtr, d);
    feed.start();
    feed.close();
    expect(d.ended).toBe(true);
    expect(d.state).toMatch(/^recording complete: \d+ events$/);
    expect(d.samples.length).toBeGreaterThanOrEqual(30);
    expect(d.samples.length).toBeLessThanOrEqual(61);
    expect(d.totals().requests).toBe(6);
    expect(d.hist.reduce((a, b) => a + b, 0)).toBe(6);
    expect(d.peaks().mips).toBeGreaterThan(0);
    expect(d.peaks().busy).toBe(1);
    const s = seriesOf(d.samples, 40, d.intervalNs);
    expect(s.x.length).toBe(Math.min(40, d.samples.length));
    expect(s.x[0]).toMatch(/^\d+\.\d+s$/);
  });

  test('--interval sets the sample length', () => {
    const d = new DashData();
    const feed = new RecordingFeed(rec.vtr, d, 1e9);
    feed.start();
    feed.close();
    expect(d.intervalNs).toBe(1e9);
    expect(d.samples.length).toBeLessThanOrEqual(Math.ceil(d.totals().seconds) + 1);
    expect(d.totals().requests).toBe(6);
  });

  test('a file that is not a recording is refused with one line', () => {
    const bad = `${rec.dir}/bad.vtr`;
    fs.writeFileSync(bad, 'not a recording at all');
    expect(() => new RecordingFeed(bad, new DashData()).start()).toThrow(/not a vtrace recording/);
  });
});

test('histogram bars: empty ends trimmed, window kept around the mass, biolatency bounds', () => {
  const h = new Array(32).fill(0);
  h[3] = 1;
  h[10] = 50;
  h[11] = 20;
  expect(histBars(h, 20).titles).toEqual(['8', '16', '32', '64', '128', '256', '512', '1K', '2K']);
  expect(histBars(h, 3)).toEqual({ titles: ['512', '1K', '2K'], data: [0, 50, 20] });
  expect(histBars(new Array(32).fill(0), 5)).toEqual({ titles: ['none'], data: [0] });
  expect([0, 1, 20, 21].map(bucketLabel)).toEqual(['0', '2', '1M', '2M']);
  expect(niceInterval(3e7)).toBe(5e7);
  expect(niceInterval(1)).toBe(1e6);
});

test('control protocol: known lines parsed, anything else skipped, lines split across chunks', () => {
  const got: string[] = [];
  const sp = new LineSplitter((l) => got.push(l));
  sp.push('{"type":"st');
  sp.push('ate","vm":"running"}\n{"type":"end"}\ngarbage\n{"type":"sample","sample":{"t":"x"}}\n');
  const parsed = got.map(parseControlLine);
  expect(parsed).toEqual([{ type: 'state', vm: 'running' }, { type: 'end' }, null, null]);
  expect(parseControlLine('{"type":"hist","hist":[1,"2"]}')).toBeNull();
  expect(parseControlLine('[]')).toBeNull();
});

test('dash arguments', () => {
  expect(parseDashArgs(['a.vtr', '--interval', '250ms'])).toEqual({ target: 'a.vtr', intervalNs: 2.5e8 });
  expect(parseInterval('2')).toBe(2e9);
  expect(() => parseDashArgs([])).toThrow(/give a recording/);
  expect(() => parseDashArgs(['a', 'b'])).toThrow(/one recording or socket/);
  expect(() => parseInterval('fast')).toThrow(/a time is expected/);
  expect(() => parseDashArgs(['--bogus'])).toThrow(/unknown option/);
});
