/** The durable outbox's sending side: one sender per output, with back-off and dead entries. */
export { DeliveryError, OutboxSender, type Deliver, type OutboxRow, type OutboxSource, type SenderMetrics, type SenderOptions } from './sender.js';
export { HeldOutbox, type PendingIdsSource } from './held.js';
export { retryClassOfNetworkError, retryClassOfStatus } from './classify.js';
export { LaneSender, type DeliverOne, type LaneRow, type LaneSenderOptions, type LaneSource } from './lanes.js';
export { backoffMs } from '../../domain/index.js';
