export { createWebSocketDouble } from './web-socket-double';
export type {
  ConnectionAttempt,
  ConnectionScript,
  WebSocketDoubleOptions,
  WebSocketServerDouble,
} from './web-socket-double';
export type {
  ClientClose,
  CloseOptions,
  ConnectionDouble,
  MessageData,
  OpenOptions,
  RefuseOptions,
  SentFrame,
} from './connection-double';
export type { ServerAction } from './server-action';
export type {
  BinaryTypeDouble,
  CloseEventDouble,
  ErrorEventDouble,
  EventDouble,
  FrameData,
  MessageEventDouble,
  OpenEventDouble,
  ReadyState,
  SocketDouble,
  SocketDoubleConstructor,
  SocketDoubleEventMap,
  SocketDoubleHandler,
  SocketEventDouble,
} from './socket-double';
export { closeEvent } from './close-event';
export { formatFrames, formatValue, readableFrames } from './format-frames';
export type { FrameAssertion } from './format-frames';
export { answerRequests } from './answer-requests';
export type { AnswerRequestsOptions, ReceivedRequest, RequestAnswerer } from './answer-requests';
export { createFeedServerDouble } from './feed-server-double';
export type {
  FeedClientFrame,
  FeedError,
  FeedMessage,
  FeedReply,
  FeedRequest,
  FeedRequestId,
  FeedServerDouble,
  FeedServerDoubleOptions,
  FeedServerFrame,
  FeedSubscribe,
  FeedSubscribed,
  FeedUnsubscribe,
  FeedUnsubscribed,
} from './feed-server-double';
