export { fromWebSocket } from './from-web-socket';
export type { ProtocolsInput, ReactiveWebSocket } from './from-web-socket';
export { DEFAULT_RECONNECT } from './options';
export type { ReconnectOptions, WebSocketOptions } from './options';
export { json } from './json';
export type { CloseInfo, OpenInfo, WebSocketData, WebSocketMessageEvent, WebSocketPayload } from './events';
export type {
  ClosedState,
  ClosingState,
  ConnectingState,
  ConnectionState,
  ConnectionStatus,
  IdleState,
  OpenState,
  ReconnectingState,
} from './state';
export { DEFAULT_HEARTBEAT } from './heartbeat';
export type { HeartbeatOptions } from './heartbeat';
export type { Multiplex, MultiplexOptions } from './multiplex';
export { DEFAULT_SEND_QUEUE } from './send-queue';
export type { SendQueueOptions } from './send-queue';
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
} from './close-codes';
export type { CloseCodeMatcher, CloseCodePolicyConfig, ReconnectPolicy } from './close-codes';
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
} from './backoff';
export type {
  BackoffStrategy,
  ConstantBackoffConfig,
  DefaultBackoffConfig,
  ExponentialBackoffConfig,
  Jitter,
  LinearBackoffConfig,
  RandomSource,
} from './backoff';
export { alwaysRetry, planRetry, retryDelayMs, retryWithBackoff } from './retry-with-backoff';
export type { RetryPlan, RetryPlanOptions, RetryWithBackoffConfig } from './retry-with-backoff';
export {
  ConnectionTimeoutError,
  DecodeError,
  EncodeError,
  HandshakeError,
  HeartbeatTimeoutError,
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
} from './errors';
export type { RxWebSocketErrorCode } from './errors';
export { CLOSED, CLOSING, CONNECTING, OPEN } from './web-socket-like';
export type { WebSocketConstructor, WebSocketLike } from './web-socket-like';
export type { Source } from './source';
export type { UrlInput } from './url';
