/**
 * Table updates: the telling of service-table changes, once per batch, to those who asked.
 *
 * On a later turn than the changes, the bus emits its `table` event and sends ProSA's
 * `Service` message (a `table.changed` event) to the mailbox of each processor whose
 * adaptor has `serviceTableChanged`. A change costs work only for the processors that
 * asked: the others, and their lifecycle machines, never see it.
 */
import type { AnyActorRef } from 'xstate';
import type { TableChanged } from './msg.js';
import type { ServiceTableView } from './service-table.js';

/** Coalesces the changes of one table and tells its subscribers. */
export class TableUpdates {
  private readonly table: ServiceTableView;
  private readonly announce: (version: number) => void;
  /** Mailboxes of the processors serving now whose adaptor asked. */
  private readonly subscribers = new Set<AnyActorRef>();
  /** Subscribed since the last telling: told the table even if it did not change. */
  private joined: AnyActorRef[] = [];
  /** The version last told to every subscriber. */
  private told: number;
  private pending: ReturnType<typeof setImmediate> | undefined;
  private closed = false;

  /**
   * @param table - the table told of
   * @param announce - called once per batch of changes, after the subscribers are told
   *   (the bus's `table` event); must not throw
   */
  constructor(table: ServiceTableView, announce: (version: number) => void) {
    this.table = table;
    this.announce = announce;
    this.told = table.version;
  }

  /** The table changed: tells on a later turn (once for any number of changes until then). */
  changed(): void {
    this.schedule();
  }

  /**
   * Sends `mailbox` a `table.changed` event on a later turn (the table as it is then),
   * and one after each batch of changes until the returned function is called
   * (idempotent). The mailbox's handler must not throw.
   */
  subscribe(mailbox: AnyActorRef): () => void {
    this.subscribers.add(mailbox);
    this.joined.push(mailbox);
    this.schedule();
    return () => {
      this.subscribers.delete(mailbox);
    };
  }

  /** Stops telling (the bus stopped): a telling not yet done is dropped. */
  close(): void {
    this.closed = true;
    if (this.pending !== undefined) clearImmediate(this.pending);
    this.pending = undefined;
  }

  private schedule(): void {
    if (this.pending !== undefined || this.closed) return;
    this.pending = setImmediate(() => this.tell());
  }

  private tell(): void {
    this.pending = undefined;
    const version = this.table.version;
    const event: TableChanged = { type: 'table.changed', version };
    const joined = this.joined;
    this.joined = [];
    if (version !== this.told) {
      this.told = version;
      for (const mailbox of this.subscribers) mailbox.send(event);
      this.announce(version);
    } else {
      for (const mailbox of joined) if (this.subscribers.has(mailbox)) mailbox.send(event);
    }
  }
}
