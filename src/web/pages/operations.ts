import type { AccountView } from '../../care/administration.js';
import type { DeviceStatus } from '../../care/service.js';
import type { OutboxStats, StoredAuditEntry, StoredDeadLetter } from '../../store/sqlite/index.js';
import { dateTime, nhsNumber } from '../format.js';
import { html, type Html } from '../html.js';
import { layout, type Viewer } from './layout.js';

/** Operators: devices and their connection state, dead letters with reasons, outputs, health. No clinical values. */
export function operationsPage(o: {
  viewer: Viewer;
  devices: readonly (DeviceStatus & { patient: string; connected: boolean | null })[];
  deadLetters: readonly StoredDeadLetter[];
  outputs: readonly (OutboxStats & { sink: string })[];
  health: { status: string };
  profiles: readonly string[];
}): Html {
  const body = html`<h1>Devices and outputs</h1>
<p>Gateway health: <strong class="nhsuk-tag ${o.health.status === 'ok' ? 'nhsuk-tag--green' : o.health.status === 'degraded' ? 'nhsuk-tag--orange' : 'nhsuk-tag--red'}" data-health>${o.health.status}</strong></p>
<h2>Outputs</h2>
<table class="nhsuk-table"><caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Outputs</caption>
<thead class="nhsuk-table__head"><tr class="nhsuk-table__row"><th scope="col" class="nhsuk-table__header">Output</th><th scope="col" class="nhsuk-table__header">Pending</th><th scope="col" class="nhsuk-table__header">Dead</th><th scope="col" class="nhsuk-table__header">Oldest pending</th><th scope="col" class="nhsuk-table__header">Requeue dead</th></tr></thead>
<tbody class="nhsuk-table__body">${o.outputs.map(
    (s) => html`<tr class="nhsuk-table__row" data-output="${s.sink}"><td class="nhsuk-table__cell">${s.sink}</td><td class="nhsuk-table__cell">${s.pending}</td><td class="nhsuk-table__cell">${s.dead}</td>
<td class="nhsuk-table__cell">${s.oldestPendingAtMs === undefined ? 'None' : dateTime(s.oldestPendingAtMs)}</td>
<td class="nhsuk-table__cell">${s.dead === 0 ? 'Nothing to requeue' : html`<form method="post" action="/operations/outputs/${s.sink}/requeue"><input type="hidden" name="_csrf" value="${o.viewer.csrf}"><button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Requeue ${s.dead}</button></form>`}</td></tr>`,
  )}</tbody></table>
<h2>Devices</h2>
<details class="nhsuk-details"><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Add a device</span></summary><div class="nhsuk-details__text">
<form method="post" action="/operations/devices"><input type="hidden" name="_csrf" value="${o.viewer.csrf}">
<div class="nhsuk-form-group"><label class="nhsuk-label" for="profile">Device profile</label><select class="nhsuk-select" id="profile" name="profileId">${o.profiles.map((p) => html`<option value="${p}">${p}</option>`)}</select></div>
<div class="nhsuk-form-group"><label class="nhsuk-label" for="patient">Patient's NHS number</label><input class="nhsuk-input nhsuk-input--width-10" id="patient" name="patient" type="text" inputmode="numeric" required></div>
<div class="nhsuk-form-group"><label class="nhsuk-label" for="device-id">Device ID (optional)</label><input class="nhsuk-input nhsuk-input--width-20" id="device-id" name="deviceId" type="text"></div>
<button class="nhsuk-button nhsuk-button--secondary" type="submit">Add device</button></form></div></details>
<table class="nhsuk-table"><caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Devices</caption>
<thead class="nhsuk-table__head"><tr class="nhsuk-table__row"><th scope="col" class="nhsuk-table__header">Device</th><th scope="col" class="nhsuk-table__header">Type</th><th scope="col" class="nhsuk-table__header">Patient</th><th scope="col" class="nhsuk-table__header">Connection</th><th scope="col" class="nhsuk-table__header">Last seen</th><th scope="col" class="nhsuk-table__header">Battery</th><th scope="col" class="nhsuk-table__header">Clock offset</th><th scope="col" class="nhsuk-table__header">Revoke</th></tr></thead>
<tbody class="nhsuk-table__body">${o.devices.map(
    (d) => html`<tr class="nhsuk-table__row" data-device="${d.deviceId}"><td class="nhsuk-table__cell">${d.deviceId}</td><td class="nhsuk-table__cell">${d.profileId}</td><td class="nhsuk-table__cell">${d.patient}</td>
<td class="nhsuk-table__cell">${d.status === 'revoked' ? 'Revoked' : d.connected === true ? 'Connected' : d.stale ? 'Silent' : d.connected === null ? 'Sending' : 'Not connected'}</td>
<td class="nhsuk-table__cell">${d.lastSeenAtMs === undefined ? 'Never' : dateTime(d.lastSeenAtMs)}</td><td class="nhsuk-table__cell">${d.batteryPct === undefined ? '' : `${d.batteryPct}%`}</td>
<td class="nhsuk-table__cell">${d.clockOffsetMs === undefined ? '' : `${Math.round(d.clockOffsetMs / 1000)} s`}</td>
<td class="nhsuk-table__cell">${d.status === 'revoked' ? '' : html`<form method="post" action="/operations/devices/${d.deviceId}/revoke"><input type="hidden" name="_csrf" value="${o.viewer.csrf}"><button class="nhsuk-button nhsuk-button--warning nhsuk-button--small" type="submit" aria-label="Revoke ${d.deviceId}">Revoke</button></form>`}</td></tr>`,
  )}</tbody></table>
<h2>Dead letters</h2>
${
  o.deadLetters.length === 0
    ? html`<p>None.</p>`
    : html`<table class="nhsuk-table"><caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Dead letters</caption>
<thead class="nhsuk-table__head"><tr class="nhsuk-table__row"><th scope="col" class="nhsuk-table__header">Received</th><th scope="col" class="nhsuk-table__header">Device</th><th scope="col" class="nhsuk-table__header">Topic</th><th scope="col" class="nhsuk-table__header">Reasons</th></tr></thead>
<tbody class="nhsuk-table__body">${o.deadLetters.map(
        (d) => html`<tr class="nhsuk-table__row"><td class="nhsuk-table__cell">${dateTime(d.receivedAtMs)}</td><td class="nhsuk-table__cell">${d.deviceId ?? ''}</td><td class="nhsuk-table__cell">${d.topic}</td>
<td class="nhsuk-table__cell">${d.issues.map((i) => html`<code>${i.code}</code> ${i.path === '' ? '' : `at ${i.path}`} `)}</td></tr>`,
      )}</tbody></table>`
}`;
  return layout({ title: 'Devices and outputs', viewer: o.viewer, body });
}

/** A device just added: its secret, shown this once. */
export function deviceAddedPage(o: { viewer: Viewer; deviceId: string; secret: string }): Html {
  const body = html`<div class="nhsuk-panel"><h1 class="nhsuk-panel__title">Device ${o.deviceId} added</h1></div>
<p>Its MQTT username and client ID are <code>${o.deviceId}</code>. Its password, shown only this once (only a hash of it is kept):</p>
<p class="nhsuk-body-l"><code data-secret>${o.secret}</code></p>
<p><a href="/operations">Back to devices and outputs</a></p>`;
  return layout({ title: 'Device added', viewer: o.viewer, body });
}

/** Admins: accounts, their roles and patients; add, assign, unassign, revoke. */
export function accountsPage(o: { viewer: Viewer; accounts: readonly AccountView[]; added?: { id: string; secret: string } | undefined }): Html {
  const csrf = html`<input type="hidden" name="_csrf" value="${o.viewer.csrf}">`;
  const body = html`<h1>Accounts</h1>
${o.added === undefined ? '' : html`<div class="nhsuk-inset-text"><p>Account <strong>${o.added.id}</strong> added. Its password, shown only this once: <code data-secret>${o.added.secret}</code></p></div>`}
<details class="nhsuk-details"><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Add an account</span></summary><div class="nhsuk-details__text">
<form method="post" action="/accounts">${csrf}
<div class="nhsuk-form-group"><label class="nhsuk-label" for="account-id">Account ID</label><input class="nhsuk-input nhsuk-input--width-20" id="account-id" name="id" type="text" required></div>
<div class="nhsuk-form-group"><label class="nhsuk-label" for="account-name">Name</label><input class="nhsuk-input nhsuk-input--width-20" id="account-name" name="name" type="text" required></div>
<div class="nhsuk-form-group"><label class="nhsuk-label" for="account-role">Role</label><select class="nhsuk-select" id="account-role" name="role"><option value="clinician">Clinician</option><option value="operator">Operator</option><option value="admin">Admin</option></select></div>
<button class="nhsuk-button nhsuk-button--secondary" type="submit">Add account</button></form></div></details>
<table class="nhsuk-table"><caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Accounts</caption>
<thead class="nhsuk-table__head"><tr class="nhsuk-table__row"><th scope="col" class="nhsuk-table__header">Account</th><th scope="col" class="nhsuk-table__header">Role</th><th scope="col" class="nhsuk-table__header">Patients</th><th scope="col" class="nhsuk-table__header">Change</th></tr></thead>
<tbody class="nhsuk-table__body">${o.accounts.map(
    (a) => html`<tr class="nhsuk-table__row" data-account="${a.id}"><td class="nhsuk-table__cell">${a.name} (${a.id})${a.status === 'revoked' ? html` <strong class="nhsuk-tag nhsuk-tag--grey">Revoked</strong>` : ''}</td><td class="nhsuk-table__cell">${a.role}</td>
<td class="nhsuk-table__cell">${a.role !== 'clinician' ? '' : a.patients.length === 0 ? 'None' : html`<ul class="nhsuk-list app-compact">${a.patients.map((p) => html`<li>${nhsNumber(p)} <form method="post" action="/accounts/${a.id}/patients/${p}/remove" class="app-inline-form">${csrf}<button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Remove<span class="nhsuk-u-visually-hidden"> ${nhsNumber(p)} from ${a.name}</span></button></form></li>`)}</ul>`}</td>
<td class="nhsuk-table__cell">${
      a.status === 'revoked'
        ? ''
        : html`${a.role === 'clinician' ? html`<form method="post" action="/accounts/${a.id}/patients" class="app-inline-form">${csrf}<label class="nhsuk-label" for="assign-${a.id}">Add a patient<span class="nhsuk-u-visually-hidden"> for ${a.name}</span> (NHS number)</label><input class="nhsuk-input nhsuk-input--width-10" id="assign-${a.id}" name="patient" type="text" inputmode="numeric" required> <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Add<span class="nhsuk-u-visually-hidden"> patient for ${a.name}</span></button></form>` : ''}
${a.id === o.viewer.accountId ? '' : html`<form method="post" action="/accounts/${a.id}/revoke" class="app-inline-form">${csrf}<button class="nhsuk-button nhsuk-button--warning nhsuk-button--small" type="submit">Revoke<span class="nhsuk-u-visually-hidden"> ${a.name}</span></button></form>`}`
    }</td></tr>`,
  )}</tbody></table>`;
  return layout({ title: 'Accounts', viewer: o.viewer, body });
}

/** Admins: the audit trail, filtered by patient or user. */
export function auditPage(o: { viewer: Viewer; entries: readonly StoredAuditEntry[]; patient: string | undefined; actor: string | undefined }): Html {
  const body = html`<h1>Audit trail</h1>
<form method="get" action="/audit" class="app-filters">
<div class="nhsuk-form-group"><label class="nhsuk-label" for="patient">Patient NHS number</label><input class="nhsuk-input nhsuk-input--width-10" id="patient" name="patient" type="text" inputmode="numeric" value="${o.patient ?? ''}"></div>
<div class="nhsuk-form-group"><label class="nhsuk-label" for="actor">User</label><input class="nhsuk-input nhsuk-input--width-10" id="actor" name="actor" type="text" value="${o.actor ?? ''}"></div>
<button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Filter</button></form>
<table class="nhsuk-table"><caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Audit entries, newest first</caption>
<thead class="nhsuk-table__head"><tr class="nhsuk-table__row"><th scope="col" class="nhsuk-table__header">When</th><th scope="col" class="nhsuk-table__header">Who</th><th scope="col" class="nhsuk-table__header">What</th><th scope="col" class="nhsuk-table__header">Patient</th><th scope="col" class="nhsuk-table__header">Target</th><th scope="col" class="nhsuk-table__header">From</th><th scope="col" class="nhsuk-table__header">Outcome</th></tr></thead>
<tbody class="nhsuk-table__body">${o.entries.map(
    (e) => html`<tr class="nhsuk-table__row" data-audit="${e.action}" data-outcome="${e.outcome}"><td class="nhsuk-table__cell">${dateTime(e.atMs)}</td><td class="nhsuk-table__cell">${e.actor} (${e.role})</td><td class="nhsuk-table__cell">${e.action}</td>
<td class="nhsuk-table__cell">${e.patientNhs === undefined ? '' : nhsNumber(e.patientNhs)}</td><td class="nhsuk-table__cell">${e.target ?? ''}</td><td class="nhsuk-table__cell">${e.address ?? ''}</td>
<td class="nhsuk-table__cell">${e.outcome === 'refused' ? html`<strong class="nhsuk-tag nhsuk-tag--red">Refused</strong>` : 'OK'}</td></tr>`,
  )}</tbody></table>`;
  return layout({ title: 'Audit trail', viewer: o.viewer, body });
}

export type { Viewer };
