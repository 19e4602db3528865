/**
 * The bus's public surface: the interface, both implementations and `createBus`, which picks Kafka
 * when `kafkaBrokers` is configured and the in-process bus otherwise.
 */
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Bus } from './bus.js';
import { createInProcessBus } from './in-process/in-process-bus.js';
import { createKafkaBus } from './kafka/kafka-bus.js';

export * from './bus.js';
export {
  createInProcessBus,
  type InProcessBusOptions,
  partitionForKey,
} from './in-process/in-process-bus.js';
export { createKafkaBus, DECODE_ERROR_HEADER, type KafkaBusOptions } from './kafka/kafka-bus.js';

/** Kafka when `config.kafkaBrokers` lists brokers, else the in-process bus (defaults). */
export function createBus(config: Pick<Config, 'kafkaBrokers'>, log: Logger): Bus {
  const brokers = config.kafkaBrokers ?? [];
  if (brokers.length > 0) {
    log.child({ component: 'bus' }).info({ brokers }, 'using the Kafka bus');
    return createKafkaBus({ brokers, clientId: 'crimepulse', log });
  }
  log.child({ component: 'bus' }).info('using the in-process bus');
  return createInProcessBus();
}
