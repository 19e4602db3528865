/**
 * A mapped Socrata city (`sources/socrata-<city>.json`) as a live source: the generic Socrata
 * connector over the spec its mapping gives. Same guarantees as `socrataSource` (at-least-once,
 * idempotent by id, keyset paging, schema drift stops the pass).
 */
import { type SocrataConfig, type SocrataDeps, socrataSource } from '../socrata/connector.js';
import type { Source } from '../source.js';
import { socrataCitySpec } from './load-socrata-city-mappings.js';
import type { SocrataCityMapping } from './mapping.js';

export function socrataCitySource(
  mapping: SocrataCityMapping,
  deps: SocrataDeps = {},
): Source<SocrataConfig> {
  return socrataSource(socrataCitySpec(mapping), deps);
}
