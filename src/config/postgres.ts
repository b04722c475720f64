import type { Config } from './schema.js';

/**
 * What `start` on PostgreSQL (`store.postgres`) cannot run yet. So far a worker on PostgreSQL takes
 * readings, status and corrections from an external broker into the shared database, with the
 * alert rules, the InfluxDB and FHIR outputs and the web app: the parts that still need the embedded
 * store must be off, each named with the setting that turns it off.
 */
export function notYetOnPostgres(config: Config): string[] {
  if (config.store.postgres === undefined) return [];
  const needed: [boolean, string][] = [
    [config.broker.url === undefined, 'broker.url: a gateway on PostgreSQL is a worker on an external broker: set broker.url (or --broker)'],
    [config.ble.enabled, 'ble.enabled: the Bluetooth bridge belongs to a gateway on SQLite: set it to false'],
    [
      config.fhir.url !== undefined && config.fhir.serviceId === undefined,
      "fhir.serviceId: workers sharing PostgreSQL make the care record's Devices under one name: set the same fhir.serviceId on every worker (moving from one gateway on SQLite: its gatewayId, so its Devices keep their identifiers)",
    ],
  ];
  return needed.filter(([bad]) => bad).map(([, why]) => why);
}
