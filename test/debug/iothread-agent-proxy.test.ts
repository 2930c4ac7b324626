/**
 * The console's proxies for an iothread's objects (src/debug/iothread-agent-proxy.ts): which keys
 * go to the iothread as member reads and which the proxy answers itself. The agent here is a
 * recording stand-in for the request channel (the real agent, over shared memory, is exercised end
 * to end by iothread-objects.test.ts): it answers `resolve`, `format` and `ptype` the way
 * iothread-agent.ts does, from a table of one remote object's members.
 */
import { describe, expect, test } from 'vitest';
import { remoteHandle, remoteValue } from '../../src/debug/iothread-agent-proxy';
import type { IOThreadAgent } from '../../src/debug/iothread-agents';
import type { AgentValue } from '../../src/debug/agent-shared';
import { formatValue, ptypeText, typeName } from '../../src/debug/values';

/** A tracked request in the iothread (handle 7) whose members include the names RemoteObject used to own. */
function fakeAgent(): { agent: IOThreadAgent; calls: string[] } {
  const calls: string[] = [];
  const members: Record<string, AgentValue> = {
    type: { ok: true, kind: 'string', value: 'read' },
    text: { ok: true, kind: 'string', value: 'a member named text' },
    where: { ok: true, kind: 'number', value: 3 },
    ptype: { ok: true, kind: 'boolean', value: false },
    offset: { ok: true, kind: 'number', value: 4096 },
  };
  const agent = {
    id: 'io0',
    call<R>(name: string, arg: unknown): R {
      if (name === 'resolve') {
        const path = (arg as { path: string }).path;
        calls.push(`resolve ${path}`);
        const m = /^\$:7\.(\w+)$/.exec(path);
        const v = m !== null ? members[m[1]] : undefined;
        return (v ?? { ok: false, error: `There is no member named ${m?.[1]}.`, pending: false }) as R;
      }
      calls.push(name);
      if (name === 'format') return '{type = "read", offset = 4096}' as R;
      if (name === 'ptype') return 'type = struct BdrvTrackedRequest {\n    string type;\n}' as R;
      throw new Error(`unexpected agent call ${name}`);
    },
  } as unknown as IOThreadAgent;
  return { agent, calls };
}

describe('iothread object proxies', () => {
  test('members named type, text, where and ptype are the remote object\'s (read in the iothread)', () => {
    const { agent, calls } = fakeAgent();
    const req = remoteValue(agent, { ok: true, kind: 'object', handle: 7, type: 'BdrvTrackedRequest' }) as Record<string, unknown>;
    expect(req.type).toBe('read');
    expect(req.text).toBe('a member named text');
    expect(req.where).toBe(3);
    expect(req.ptype).toBe(false);
    expect(req.offset).toBe(4096);
    expect('type' in req).toBe(true);
    expect('nonexistent' in req).toBe(false);
    expect(calls).toEqual(['resolve $:7.type', 'resolve $:7.text', 'resolve $:7.where', 'resolve $:7.ptype', 'resolve $:7.offset', 'resolve $:7.type', 'resolve $:7.nonexistent']);
  });

  test('print, whatis and ptype still show the iothread\'s text, type name and ptype', () => {
    const { agent, calls } = fakeAgent();
    const req = remoteValue(agent, { ok: true, kind: 'object', handle: 7, type: 'BdrvTrackedRequest' }) as object;
    expect(typeName(req)).toBe('BdrvTrackedRequest');
    expect(formatValue(req)).toBe('{type = "read", offset = 4096}');
    expect(ptypeText(req)).toBe('type = struct BdrvTrackedRequest {\n    string type;\n}');
    expect(calls).toEqual(['format', 'ptype']); // no member reads for these
    expect(remoteHandle(req)).toEqual({ agent, handle: 7 });
  });

  test('the same handle is the same proxy (identity comparisons work as for local objects)', () => {
    const { agent } = fakeAgent();
    const a = remoteValue(agent, { ok: true, kind: 'object', handle: 7, type: 'BdrvTrackedRequest' });
    const b = remoteValue(agent, { ok: true, kind: 'object', handle: 7, type: 'BdrvTrackedRequest' });
    expect(a).toBe(b);
  });
});
