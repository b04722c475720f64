import { html, type Html } from '../html.js';
import { layout } from './layout.js';

/** Local sign-in (account id and its secret), and single sign-on when configured. */
export function signInPage(o: { error?: string | undefined; account?: string | undefined; oidcLabel?: string | undefined; next?: string | undefined }): Html {
  const body = html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
${
  o.error === undefined
    ? ''
    : html`<div class="nhsuk-error-summary" data-module="nhsuk-error-summary" aria-labelledby="error-summary-title" role="alert" tabindex="-1">
  <h2 class="nhsuk-error-summary__title" id="error-summary-title">There is a problem</h2>
  <div class="nhsuk-error-summary__body"><ul class="nhsuk-list nhsuk-error-summary__list"><li><a href="#account">${o.error}</a></li></ul></div>
</div>`
}
<h1>Sign in</h1>
<form method="post" action="/auth/sign-in" novalidate>
  <input type="hidden" name="next" value="${o.next ?? '/'}">
  <div class="nhsuk-form-group">
    <label class="nhsuk-label" for="account">Account ID</label>
    <input class="nhsuk-input nhsuk-u-width-two-thirds" id="account" name="account" type="text" autocomplete="username" spellcheck="false" value="${o.account ?? ''}" required>
  </div>
  <div class="nhsuk-form-group">
    <label class="nhsuk-label" for="secret">Password</label>
    <input class="nhsuk-input nhsuk-u-width-two-thirds" id="secret" name="secret" type="password" autocomplete="current-password" required>
  </div>
  <button class="nhsuk-button" data-module="nhsuk-button" type="submit">Sign in</button>
</form>
${o.oidcLabel === undefined ? '' : html`<p><a class="nhsuk-button nhsuk-button--secondary" href="/auth/oidc">${o.oidcLabel}</a></p>`}
</div></div>`;
  return layout({ title: 'Sign in', viewer: undefined, body });
}

/** A refusal or failure, in words, with its code (problem details for people). */
export function problemPage(o: { status: number; title: string; detail: string; viewer?: Parameters<typeof layout>[0]['viewer'] }): Html {
  return layout({ title: o.title, viewer: o.viewer, body: html`<h1>${o.title}</h1><p>${o.detail}</p><p><a href="/">Go to the start page</a></p>` });
}
