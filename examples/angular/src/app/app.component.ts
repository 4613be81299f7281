/**
 * The feed panel: a badge with the connection's state (and the countdown while reconnecting), a button that
 * reconnects now or starts again after a stop, the latest value of a few channels, and, with `?burst=`, the latest
 * message of a second socket. Everything comes from signals; nothing here subscribes or unsubscribes by hand.
 */
import { DOCUMENT } from '@angular/common';
import {
  afterEveryRender,
  ChangeDetectionStrategy,
  Component,
  computed,
  inject,
  type Signal,
  signal,
} from '@angular/core';
import { filter, merge, scan } from 'rxjs';
import type { ConnectionState } from 'rx-websocket';
import { injectWebSocket } from 'rx-websocket/angular';
import { BURST, type BurstMessage, CHANNELS, FEED, type HelloMessage, type TickMessage } from './feed';

/** What the status badge shows. */
export interface Badge {
  readonly status: ConnectionState['status'];
  /** The details of the state, when it has any: the attempt and the time left, the close code and reason... */
  readonly detail?: string;
}

/** The badge for a state and, while reconnecting, the milliseconds left before the next attempt. */
export function badgeFor(state: ConnectionState, countdownMs: number | undefined): Badge {
  switch (state.status) {
    case 'idle':
    case 'closing':
      return { status: state.status };
    case 'connecting':
      return state.attempt === 0
        ? { status: state.status }
        : { status: state.status, detail: `attempt ${state.attempt}` };
    case 'open':
      return { status: state.status, detail: state.protocol || 'no sub-protocol' };
    case 'reconnecting':
      return {
        status: state.status,
        detail: `attempt ${state.attempt} in ${Math.round(countdownMs ?? state.delayMs)} ms`,
      };
    case 'closed':
      return state.close
        ? { status: state.status, detail: `${state.close.code}${state.close.reason ? ` ${state.close.reason}` : ''}` }
        : { status: state.status };
  }
}

/** The channels shown, by name. */
const SHOWN = ['BTC-USD', 'ETH-USD', 'cpu'] as const;

interface Seen {
  readonly tick: TickMessage;
  readonly received: number;
}

@Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <header>
      <h1>rx-websocket in Angular</h1>
      <p class="badge" data-testid="status" [attr.data-status]="badge().status">
        <span class="dot"></span>
        <span data-testid="status-name">{{ badge().status }}</span>
        @if (badge().detail; as detail) {
          <span class="detail" data-testid="status-detail">{{ detail }}</span>
        }
      </p>
      <button type="button" data-testid="reconnect" (click)="feed.reconnect()">
        {{ feed.status() === 'closed' ? 'Connect' : 'Reconnect now' }}
      </button>
    </header>

    @if (hello(); as hello) {
      <p class="server" data-testid="server-instance">server instance #{{ hello.instance }}</p>
    }

    <table>
      <thead>
        <tr>
          <th scope="col">channel</th>
          <th scope="col">latest</th>
          <th scope="col">ticks</th>
        </tr>
      </thead>
      <tbody>
        @for (row of rows(); track row.name) {
          <tr [attr.data-channel]="row.name">
            <th scope="row" [title]="row.label">{{ row.name }}</th>
            <td class="value" [attr.data-testid]="'value-' + row.name">{{ row.value ?? '—' }} {{ row.unit }}</td>
            <td class="count" [attr.data-testid]="'count-' + row.name">{{ row.received }}</td>
          </tr>
        }
      </tbody>
    </table>

    @if (burst) {
      <p data-testid="burst">burst: {{ burstLatest()?.n ?? 'none' }}</p>
    }
  `,
  styles: `
    :host {
      display: block;
      max-width: 36rem;
      margin: 2rem auto;
      font:
        15px/1.4 system-ui,
        sans-serif;
    }
    header {
      display: flex;
      align-items: center;
      gap: 1rem;
      flex-wrap: wrap;
    }
    h1 {
      font-size: 1.2rem;
      margin: 0;
      flex: 1 0 100%;
    }
    .badge {
      display: inline-flex;
      align-items: center;
      gap: 0.4rem;
      margin: 0;
      padding: 0.2rem 0.7rem;
      border-radius: 999px;
      background: #eee;
    }
    .dot {
      width: 0.6rem;
      height: 0.6rem;
      border-radius: 50%;
      background: #999;
    }
    .badge[data-status='open'] .dot {
      background: #1a7f37;
    }
    .badge[data-status='connecting'] .dot,
    .badge[data-status='reconnecting'] .dot {
      background: #bf8700;
    }
    .badge[data-status='closed'] .dot {
      background: #cf222e;
    }
    .detail {
      color: #555;
    }
    table {
      width: 100%;
      border-collapse: collapse;
      margin-top: 1rem;
    }
    th,
    td {
      text-align: left;
      padding: 0.3rem 0.5rem;
      border-bottom: 1px solid #ddd;
    }
    .value,
    .count {
      font-variant-numeric: tabular-nums;
      text-align: right;
    }
  `,
})
export class AppComponent {
  protected readonly feed = injectWebSocket(FEED);
  protected readonly badge = computed(() => badgeFor(this.feed.state(), this.feed.countdownMs()));

  /** The server's greeting on the latest connection. */
  protected readonly hello = this.feed.toSignal(
    this.feed.socket.message$.pipe(filter((message): message is HelloMessage => message.type === 'hello')),
    { initialValue: undefined },
  );

  /** The latest tick and the count of ticks of each channel shown, over channels multiplexed on the feed. */
  private readonly latest = this.feed.toSignal(
    merge(
      ...SHOWN.map((channel) =>
        this.feed.channel(
          () => ({ type: 'subscribe', channel }),
          () => ({ type: 'unsubscribe', channel }),
          (message): message is TickMessage => message.type === 'tick' && message.channel === channel,
        ),
      ),
    ).pipe(
      scan(
        (seen, tick) =>
          new Map(seen).set(tick.channel, { tick, received: (seen.get(tick.channel)?.received ?? 0) + 1 }),
        new Map<string, Seen>(),
      ),
    ),
    { initialValue: new Map<string, Seen>() },
  );

  protected readonly rows = computed(() => {
    const latest = this.latest();
    return SHOWN.map((name) => {
      const info = CHANNELS.find((channel) => channel.name === name);
      const seen = latest.get(name);
      return {
        name,
        label: info?.label ?? name,
        unit: info?.unit ?? '',
        value: seen && formatValue(seen.tick.value, info?.decimals ?? 2),
        received: seen?.received ?? 0,
      };
    });
  });

  /** Whether the page has a second socket to show (`?burst=`); the same on the server and in the browser. */
  protected readonly burst = new URLSearchParams(inject(DOCUMENT).location?.search ?? '').has('burst');
  private readonly burstSocket = injectWebSocket(BURST);
  /** Without `?burst=` nothing binds the burst socket, so it never connects. */
  protected readonly burstLatest: Signal<BurstMessage | undefined> = this.burst
    ? this.burstSocket.latest({ initialValue: undefined })
    : signal(undefined).asReadonly();

  constructor() {
    // How many times Angular rendered the application, for the end-to-end test to compare with the messages.
    afterEveryRender(() => {
      const page = globalThis as { ngRenderCount?: number };
      page.ngRenderCount = (page.ngRenderCount ?? 0) + 1;
    });
  }
}

function formatValue(value: number, decimals: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}
