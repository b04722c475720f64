import type { Config } from './schema.js';

/**
 * What `start` on PostgreSQL (`store.postgres`) cannot run yet. So far a worker on PostgreSQL takes
 * readings, status and corrections from an external broker into the shared database, with the
 * alert rules and the InfluxDB and FHIR outputs: the parts that still read the embedded store must be off,
 * each named with the setting that turns it off.
 */
export function notYetOnPostgres(config: Config): string[] {
  if (config.store.postgres === undefined) return [];
  const needed: [boolean, string][] = [
    [config.broker.url === undefined, 'broker.url: a gateway on PostgreSQL is a worker on an external broker: set broker.url (or --broker)'],
    [config.web.enabled, 'web.enabled: the web app does not yet run on PostgreSQL: set it to false'],
    [config.ble.enabled, 'ble.enabled: the Bluetooth bridge belongs to a gateway on SQLite: set it to false'],
    [
      config.fhir.url !== undefined && config.fhir.serviceId === undefined,
      "fhir.serviceId: workers sharing PostgreSQL make the care record's Devices under one name: set the same fhir.serviceId on every worker (moving from one gateway on SQLite: its gatewayId, so its Devices keep their identifiers)",
    ],
  ];
  return needed.filter(([bad]) => bad).map(([, why]) => why);
}
