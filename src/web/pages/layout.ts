import { html, type Html } from '../html.js';

/** Who the page is for (the header's account area and navigation). */
export interface Viewer {
  readonly accountId: string;
  readonly name: string;
  readonly role: 'clinician' | 'operator' | 'admin';
  readonly csrf: string;
}

const LOGO_PATH = 'M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z';

const NAV: Record<Viewer['role'], readonly [string, string][]> = {
  clinician: [['/', 'Patients']],
  operator: [['/operations', 'Devices and outputs']],
  admin: [['/operations', 'Devices and outputs'], ['/accounts', 'Accounts'], ['/audit', 'Audit trail']],
};

/**
 * Every page: the NHS.UK frontend's header, skip link and width container [NHS digital service
 * manual: header, skip link], its stylesheet and script, and the app's own small script.
 */
export function layout(o: { title: string; viewer: Viewer | undefined; body: Html }): Html {
  const v = o.viewer;
  return html`<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} – vitals-gateway</title>
<link rel="icon" href="/assets/images/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/nhsuk/nhsuk-frontend.min.css">
<link rel="stylesheet" href="/assets/uplot/uPlot.min.css">
<link rel="stylesheet" href="/assets/app.css">
${v === undefined ? '' : html`<meta name="csrf-token" content="${v.csrf}">`}
</head>
<body class="js-enabled nhsuk-frontend-supported">
<a class="nhsuk-skip-link" data-module="nhsuk-skip-link" href="#maincontent">Skip to main content</a>
<header class="nhsuk-header" data-module="nhsuk-header" role="banner">
  <div class="nhsuk-header__container nhsuk-width-container">
    <div class="nhsuk-header__service">
      <a class="nhsuk-header__service-logo" href="/" aria-label="NHS Remote monitoring homepage">
        <svg class="nhsuk-header__logo" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80" height="40" width="100" focusable="false" role="img" aria-label="NHS"><title>NHS</title><path fill="currentcolor" d="${LOGO_PATH}"/></svg>
        <span class="nhsuk-header__service-name">Remote monitoring</span>
      </a>
    </div>
    ${
      v === undefined
        ? ''
        : html`<nav class="nhsuk-header__account" aria-label="Account">
      <ul class="nhsuk-header__account-list">
        <li class="nhsuk-header__account-item" data-account="${v.accountId}">${v.name} (${v.role})</li>
        <li class="nhsuk-header__account-item">
          <form class="nhsuk-header__account-form" action="/auth/sign-out" method="post" novalidate>
            <input type="hidden" name="_csrf" value="${v.csrf}">
            <button class="nhsuk-header__account-button">Sign out</button>
          </form>
        </li>
      </ul>
    </nav>`
    }
  </div>
  ${
    v === undefined
      ? ''
      : html`<nav class="nhsuk-header__navigation" aria-label="Menu">
    <div class="nhsuk-header__navigation-container nhsuk-width-container">
      <ul class="nhsuk-header__navigation-list">
        ${NAV[v.role].map(([href, label]) => html`<li class="nhsuk-header__navigation-item"><a class="nhsuk-header__navigation-link" href="${href}">${label}</a></li>`)}
      </ul>
    </div>
  </nav>`
  }
</header>
<div class="nhsuk-width-container">
  <main class="nhsuk-main-wrapper" id="maincontent" role="main">
${o.body}
  </main>
</div>
<script type="module" src="/assets/app.js"></script>
</body>
</html>`;
}
