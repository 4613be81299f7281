/**
 * A standalone, signal-based component over {@link FeedService}: a badge with the connection's state, the latest
 * value of a few channels, and a button to connect again.
 */
import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import { toObservable, toSignal } from '@angular/core/rxjs-interop';
import { merge, scan, switchMap } from 'rxjs';
import type { ConnectionState } from 'rx-websocket';
import { CHANNELS, type TickMessage } from '../dashboard/protocol';
import { FeedService } from './feed.service';

/** What the status badge shows. */
export interface Badge {
  readonly status: ConnectionState['status'];
  /** The details of the state, when it has any: the attempt and its delay, the close code and reason... */
  readonly detail?: string;
}

/** The badge for a state: each member of the union carries its own details. */
export function badgeFor(state: ConnectionState): Badge {
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
      return { status: state.status, detail: `attempt ${state.attempt} in ${Math.round(state.delayMs)} ms` };
    case 'closed':
      return state.close
        ? { status: state.status, detail: `${state.close.code}${state.close.reason ? ` ${state.close.reason}` : ''}` }
        : { status: state.status };
  }
}

/** One row of the table of channels. */
interface ChannelRow {
  readonly name: string;
  readonly label: string;
  readonly unit: string;
  /** The latest value, formatted; undefined until the first tick. */
  readonly value?: string;
  readonly received: number;
}

@Component({
  selector: 'app-feed-panel',
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
        {{ feed.status().status === 'closed' ? 'Connect' : 'Reconnect now' }}
      </button>
    </header>

    @if (feed.hello(); as hello) {
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
        } @empty {
          <tr>
            <td colspan="3">no channels selected</td>
          </tr>
        }
      </tbody>
    </table>

    @if (feed.lastError(); as error) {
      <p class="error" data-testid="last-error">{{ error }}</p>
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
    .error {
      color: #cf222e;
    }
  `,
})
export class FeedPanelComponent {
  protected readonly feed = inject(FeedService);

  /** The channels to show, by name. */
  readonly channels = input<readonly string[]>(['BTC-USD', 'ETH-USD', 'cpu']);

  protected readonly badge = computed(() => badgeFor(this.feed.status()));

  /**
   * The latest tick and the count of ticks of each channel shown. A change of `channels` subscribes to the new set
   * (the feed sends the subscribe and unsubscribe messages); destroying the component unsubscribes, through the
   * DestroyRef that toSignal takes from the injection context.
   */
  private readonly latest = toSignal(
    toObservable(this.channels).pipe(
      switchMap((names) =>
        merge(...names.map((name) => this.feed.ticks(name))).pipe(
          scan((seen, tick) => {
            const received = (seen.get(tick.channel)?.received ?? 0) + 1;
            return new Map(seen).set(tick.channel, { tick, received });
          }, new Map<string, { readonly tick: TickMessage; readonly received: number }>()),
        ),
      ),
    ),
    { initialValue: new Map<string, { readonly tick: TickMessage; readonly received: number }>() },
  );

  protected readonly rows = computed((): ChannelRow[] => {
    const latest = this.latest();
    return this.channels().map((name) => {
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
}

function formatValue(value: number, decimals: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}
