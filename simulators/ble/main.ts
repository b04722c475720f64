/**
 * `npm run simulate:ble`: a private D-Bus with the BlueZ simulator and one device of each kind, so
 * a person can point the gateway's BLE bridge at it (set the printed DBUS_SYSTEM_BUS_ADDRESS).
 * Storing devices hold a measurement or two at start and take a new one every minute; runs until
 * SIGINT or SIGTERM, then removes the bus.
 */
import { BlueZSimulator, localWall, PrivateBus } from './bluez/index.js';
import { BloodPressureCuff, GlucoseMeter, HeartRateStrap, PulseOximeter, Thermometer, WeightScale } from './devices.js';

const NEW_MEASUREMENT_EVERY_MS = 60_000;
/** Date Time as the devices show it (set to UK time, the shipped profiles' zone), `minutesAgo` before now. */
const stamp = (minutesAgo = 0): string => localWall(Date.now() - minutesAgo * 60_000, 'Europe/London');

async function main(): Promise<void> {
  const bus = await PrivateBus.start();
  const simulator = new BlueZSimulator({ busAddress: bus.address });
  const cuff = simulator.add(new BloodPressureCuff({ address: 'C0:FF:EE:00:10:01' }));
  const strap = simulator.add(new HeartRateStrap({ address: 'C0:FF:EE:00:10:02' }));
  const meter = simulator.add(
    new GlucoseMeter({
      address: 'C0:FF:EE:00:10:03',
      records: [0.0051, 0.0062, 0.0058, 0.0074, 0.0049].map((molPerL, i) => ({ sequenceNumber: i + 1, baseTime: stamp((5 - i) * 180), glucoseConcentration: molPerL, unit: 'mol/L' })),
    }),
  );
  const scale = simulator.add(new WeightScale({ address: 'C0:FF:EE:00:10:04' }));
  const thermometer = simulator.add(new Thermometer({ address: 'C0:FF:EE:00:10:05' }));
  const oximeter = simulator.add(new PulseOximeter({ address: 'C0:FF:EE:00:10:06' }));
  let taken = 0;
  const takeMeasurements = (): void => {
    const i = taken++;
    cuff.queue({ systolic: 124 + (i % 9), diastolic: 79 + (i % 5), meanArterialPressure: 94, pulseRate: 66, timestamp: stamp() });
    scale.queue({ weight: 81.4, timestamp: stamp() });
    thermometer.queue({ temperature: 36.8, timestamp: stamp(), temperatureType: 'ear' });
    oximeter.queue({ spo2: 97, pulseRate: 68, timestamp: stamp() });
    if (i > 0) meter.addRecord({ sequenceNumber: 5 + i, baseTime: stamp(), glucoseConcentration: 0.0055, unit: 'mol/L' });
  };
  cuff.queue({ systolic: 131, diastolic: 84, meanArterialPressure: 100, pulseRate: 71, timestamp: stamp(30) });
  takeMeasurements();
  const timer = setInterval(takeMeasurements, NEW_MEASUREMENT_EVERY_MS);
  await simulator.start();

  process.stdout.write(`BlueZ simulator on ${bus.address}\nDBUS_SYSTEM_BUS_ADDRESS=${bus.address}\n`);
  const kinds: [string, { device: { address: string; name: string } }][] = [
    ['blood-pressure cuff (0x1810)', cuff],
    ['heart-rate strap (0x180D)', strap],
    ['glucose meter (0x1808)', meter],
    ['weight scale (0x181D)', scale],
    ['thermometer (0x1809)', thermometer],
    ['pulse oximeter (0x1822)', oximeter],
  ];
  for (const [kind, model] of kinds) process.stdout.write(`  ${model.device.address}  ${kind}  "${model.device.name}"\n`);
  process.stdout.write('Ctrl-C to stop.\n');

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    await simulator.stop();
    await bus.stop();
    for (const e of simulator.errors) process.stderr.write(`bus error: ${e.message}\n`);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
}

main().catch((e: unknown) => {
  process.stderr.write(`simulate:ble: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
