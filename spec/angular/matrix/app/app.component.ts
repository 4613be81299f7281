// A component that reads every signal of the socket in its template, so that the compiler checks each one's type
// (strictTemplates) against the Angular version it compiles with.
import { ChangeDetectionStrategy, Component, type Signal } from '@angular/core';
import { injectWebSocket } from 'rx-websocket/angular';
import { FEED, type Tick } from './feed.js';

@Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <p id="status">{{ feed.status() }}</p>
    <p id="open">{{ feed.isOpen() ? 'yes' : 'no' }}</p>
    <p id="attempt">{{ feed.attempt() }}</p>
    @if (feed.countdownMs(); as left) {
      <p id="countdown">{{ left }}</p>
    }
    @if (feed.lastClose(); as close) {
      <p id="close">{{ close.code }}</p>
    }
    <p id="latest">{{ latest()?.value ?? 'none' }}</p>
    <button type="button" (click)="feed.reconnect()">Reconnect</button>
    <button type="button" (click)="feed.send({ type: 'subscribe', channel: 'a' })">Subscribe</button>
  `,
})
export class AppComponent {
  protected readonly feed = injectWebSocket(FEED);
  protected readonly latest: Signal<Tick | undefined> = this.feed.latest({ initialValue: undefined });
}
