import { afterEach, expect, test } from 'vitest';
import { ContainerOfError, container_of, containerOfDescribe, embed } from '../../src/util/container-of';
import { EventNotifier, eventNotifierNew } from '../../src/util/event-notifier';
import { AioContext, aio_context_new } from '../../src/util/aio-context';
import { clearUtilTraceHooks, utilTraceHooks, type ContainerOfEvent } from '../../src/util/trace-hooks';

/** A VirtQueue-like container: two embedded notifiers. */
class VirtQueue {
  host_notifier!: EventNotifier;
  guest_notifier!: EventNotifier;
  constructor(readonly index: number) {
    embed(this, 'host_notifier', eventNotifierNew(`vq${index}.host_notifier`));
    embed(this, 'guest_notifier', eventNotifierNew(`vq${index}.guest_notifier`));
  }
}
class OtherDevice {
  host_notifier!: EventNotifier;
}

afterEach(() => clearUtilTraceHooks());

test('resolves the right container among many', () => {
  const vqs = Array.from({ length: 32 }, (_, i) => new VirtQueue(i));
  for (const i of [0, 7, 31]) {
    expect(container_of(vqs[i].host_notifier, VirtQueue, 'host_notifier')).toBe(vqs[i]);
    expect(container_of(vqs[i].guest_notifier, VirtQueue, 'guest_notifier')).toBe(vqs[i]);
  }
});

test('rejects a non-member, the wrong field, the wrong type, and a replaced member', () => {
  const vq = new VirtQueue(0);
  expect(() => container_of(eventNotifierNew('loose'), VirtQueue, 'host_notifier')).toThrow(/not embedded in any container/);
  expect(() => container_of(vq.guest_notifier, VirtQueue, 'host_notifier')).toThrow(/is VirtQueue.guest_notifier, not VirtQueue.host_notifier/);
  expect(() => container_of(vq.host_notifier, OtherDevice, 'host_notifier')).toThrow(ContainerOfError);
  const old = vq.host_notifier;
  embed(vq, 'host_notifier', eventNotifierNew('new'));
  expect(() => container_of(old, VirtQueue, 'host_notifier')).toThrow(/not embedded/);
  // One member, one container field, as in C.
  const dev = new OtherDevice();
  expect(() => embed(dev, 'host_notifier', vq.host_notifier)).toThrow(/already embedded as VirtQueue.host_notifier/);
});

test('reports member type, field and container type to tracing', () => {
  const vq = new VirtQueue(3);
  const events: ContainerOfEvent[] = [];
  utilTraceHooks.container_of = (ev) => events.push(ev);
  container_of(vq.host_notifier, VirtQueue, 'host_notifier');
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ memberType: 'EventNotifier', field: 'host_notifier', containerType: 'VirtQueue', container: vq, member: vq.host_notifier });
  expect(containerOfDescribe(vq.guest_notifier)).toMatchObject({ containerType: 'VirtQueue', field: 'guest_notifier', memberType: 'EventNotifier' });
});

test('an AioContext notifier resolves to its context (aio_context_notifier_cb)', () => {
  const ctx = aio_context_new('c');
  expect(container_of(ctx.notifier, AioContext, 'notifier')).toBe(ctx);
});
