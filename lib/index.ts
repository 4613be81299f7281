export { fromWebSocket } from './core/from-web-socket';
export type { ProtocolsInput, ReactiveWebSocket } from './core/from-web-socket';
export { DEFAULT_RECONNECT } from './core/options';
export type { ReconnectOptions, WebSocketOptions } from './core/options';
export { json } from './core/json';
export type { CloseInfo, OpenInfo, WebSocketData, WebSocketMessageEvent, WebSocketPayload } from './core/events';
export type {
  ClosedState,
  ClosingState,
  ConnectingState,
  ConnectionState,
  ConnectionStatus,
  IdleState,
  OpenState,
  ReconnectingState,
} from './core/state';
export { DEFAULT_HEARTBEAT, heartbeat } from './features/heartbeat/heartbeat';
export type { HeartbeatOptions } from './features/heartbeat/heartbeat';
export { HeartbeatTimeoutError } from './features/heartbeat/heartbeat-timeout-error';
export type { Heartbeat } from './core/heartbeat-contract';
export { DEFAULT_PAGE_LIFECYCLE, pageLifecycle } from './features/lifecycle/page-lifecycle';
export type {
  PageEventLike,
  PageEventSource,
  PageEventType,
  PageLifecycleOptions,
} from './features/lifecycle/page-lifecycle';
export type { PageLifecycle } from './core/lifecycle-contract';
export { multiplex } from './features/multiplex/multiplex';
export type { MultiplexOptions } from './features/multiplex/multiplex';
export { DEFAULT_REQUEST, request } from './features/request/request';
export type { RequestBaseOptions, RequestOptions, RequestSocket } from './features/request/request';
export { RequestTimeoutError } from './features/request/request-timeout-error';
export type { ResumeEvent } from './features/multiplex/resume';
export { DEFAULT_SHARE_ACROSS_TABS, shareAcrossTabs } from './features/tabs/share-across-tabs';
export type { ShareAcrossTabsOptions } from './features/tabs/share-across-tabs';
export type { BroadcastChannelConstructor, BroadcastChannelLike, LockManagerLike } from './features/tabs/platform';
export type { TabPageEvents, TabPageEventType } from './features/tabs/page-events';
export type { TabSharing } from './core/tabs-contract';
export { DEFAULT_SEND_QUEUE } from './core/send-queue';
export type { SendQueueOptions } from './core/send-queue';
export {
  APPLICATION_CLOSE_CODES,
  CloseCode,
  closeCodePolicy,
  defaultCloseCodePolicy,
  isValidCloseCode,
  LIBRARY_CLOSE_CODES,
  minimumRetryDelayMs,
  SERVICE_RESTART_MIN_DELAY_MS,
  TRY_AGAIN_LATER_MIN_DELAY_MS,
} from './reconnect/close-codes';
export type { CloseCodeMatcher, CloseCodePolicyConfig, ReconnectPolicy } from './reconnect/close-codes';
export {
  constantBackoff,
  createDefaultBackoff,
  DEFAULT_BACKOFF_FACTOR,
  DEFAULT_BACKOFF_FIRST_MAX_DELAY_MS,
  DEFAULT_BACKOFF_MAX_DELAY_MS,
  DEFAULT_BACKOFF_SECOND_DELAY_MS,
  defaultBackoff,
  exponentialBackoff,
  linearBackoff,
  MAX_TIMER_DELAY_MS,
} from './reconnect/backoff';
export type {
  BackoffStrategy,
  ConstantBackoffConfig,
  DefaultBackoffConfig,
  ExponentialBackoffConfig,
  Jitter,
  LinearBackoffConfig,
  RandomSource,
} from './reconnect/backoff';
export { alwaysRetry, planRetry, retryDelayMs, retryWithBackoff } from './reconnect/retry-with-backoff';
export type { RetryPlan, RetryPlanOptions, RetryWithBackoffConfig } from './reconnect/retry-with-backoff';
export {
  CallbackError,
  ConnectionTimeoutError,
  DecodeError,
  EncodeError,
  HandshakeError,
  InvalidCloseCodeError,
  InvalidCloseReasonError,
  InvalidOptionError,
  MessageNotSentError,
  ProtocolNegotiationError,
  RxWebSocketError,
  SendQueueOverflowError,
  TransportError,
  UnsupportedUrlError,
  WebSocketCloseError,
  WebSocketConstructorError,
} from './core/errors';
export type { CallbackHook, MessageNotSentReason, RxWebSocketErrorCode } from './core/errors';
export { CLOSED, CLOSING, CONNECTING, OPEN } from './core/web-socket-like';
export type { WebSocketConstructor, WebSocketLike } from './core/web-socket-like';
export type { Source } from './core/source';
export type { UrlInput } from './core/url';
