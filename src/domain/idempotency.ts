import { createHash } from 'node:crypto';

/**
 * The key that makes a stored value unique. With a device message id, retries of the same message
 * collide (the measurement time is part of the key too, so a device whose message counter resets
 * after a battery change does not lose new readings); without one, the same device, metric, time
 * and value collide (as the HL7 PHD IG builds Observation identifiers from device identity, code,
 * time and value).
 */
export function idempotencyKey(parts: {
  deviceId: string;
  metric: string;
  messageId: string | undefined;
  deviceTakenAtMs: number;
  value: number;
}): string {
  const material =
    parts.messageId !== undefined
      ? ['m', parts.deviceId, parts.messageId, parts.metric, String(parts.deviceTakenAtMs)]
      : ['v', parts.deviceId, parts.metric, String(parts.deviceTakenAtMs), String(parts.value)];
  return createHash('sha256').update(material.join('\u001f')).digest('base64url').slice(0, 32);
}
