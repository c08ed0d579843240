// Accounts in the dashboard: signing in with an e-mail address and a password (an API
// token stays as the second way), the page an invite or reset link opens to set a
// password, and the site switcher of an account with several sites.

import { api, chooseSite, keepToken, site } from './api.js';
import { errorBox, field, h, replace } from './dom.js';
import { roleName } from './format.js';
import { t } from './i18n.js';

/** Runs `work` with the form's submit button disabled, showing a failure in `message`. */
async function submitting(form, message, work, failed) {
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  replace(message);
  try {
    await work();
  } catch (err) {
    replace(message, errorBox(failed(err)));
  } finally {
    button.disabled = false;
  }
}

/**
 * The sign-in page: e-mail and password (`onAccount` gets the signed-in account), then an
 * API token (`onToken` gets `/me` for it).
 */
export function signInPage({ onAccount, onToken, email = '' }) {
  const emailInput = h('input', {
    type: 'email', name: 'email', autocomplete: 'username', required: true, id: 'email', value: email,
  });
  const password = h('input', {
    type: 'password', name: 'password', autocomplete: 'current-password', required: true, id: 'password',
  });
  const accountMessage = h('div');
  const accountForm = h('form', { class: 'card narrow', id: 'account-signin' },
    h('h1', null, t('account.signin_title')),
    field(t('account.email'), emailInput),
    field(t('account.password'), password),
    accountMessage,
    h('button', { type: 'submit' }, t('signin.submit')));
  accountForm.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(accountForm, accountMessage, async () => {
      const account = await api('/session', {
        method: 'POST', body: { email: emailInput.value.trim(), password: password.value },
      });
      onAccount(account);
    }, (err) => {
      password.focus();
      return err.status === 401 ? t('account.invalid') : err;
    });
  });

  const input = h('input', {
    type: 'password', name: 'token', autocomplete: 'off', required: true,
    placeholder: 'crt_…', id: 'token',
  });
  const remember = h('input', { type: 'checkbox', name: 'remember' });
  const message = h('div');
  const tokenForm = h('form', { class: 'card narrow', id: 'signin' },
    h('h1', null, t('signin.title')),
    h('p', { class: 'muted' },
      t('signin.help'), ' ', h('code', null, 'chatrail token create'), '.'),
    field(t('signin.token'), input),
    h('label', { class: 'check' }, remember, ' ', t('signin.remember')),
    message,
    h('button', { type: 'submit' }, t('signin.submit')));
  tokenForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim();
    submitting(tokenForm, message, async () => {
      const me = await api('/me', { as: value });
      keepToken(value, remember.checked);
      onToken(me);
    }, (err) => {
      input.focus();
      return err.status === 401 ? t('signin.invalid') : err;
    });
  });
  return h('div', { class: 'signin-page' }, accountForm, tokenForm);
}

/** The page of an invite or reset link: set a password, then sign in with it. */
export function invitePage(token, onDone) {
  const password = h('input', {
    type: 'password', name: 'new-password', autocomplete: 'new-password', required: true,
    minlength: 10, id: 'new-password',
  });
  const again = h('input', {
    type: 'password', name: 'repeat-password', autocomplete: 'new-password', required: true,
    id: 'repeat-password',
  });
  const message = h('div');
  const form = h('form', { class: 'card narrow', id: 'invite' },
    h('h1', null, t('account.invite_title')),
    h('p', { class: 'muted' }, t('account.invite_help')),
    field(t('account.new_password'), password),
    field(t('account.repeat_password'), again),
    message,
    h('button', { type: 'submit' }, t('account.set_password')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (password.value !== again.value) {
      replace(message, errorBox(t('account.mismatch')));
      again.focus();
      return;
    }
    submitting(form, message, async () => {
      const done = await api('/invites/accept', { method: 'POST', body: { token, password: password.value } });
      onDone(done.email);
    }, (err) => (err.status === 404 ? t('account.invite_gone') : err));
  });
  return form;
}

/** The site an account acts on: the one chosen before if it still has it, else its first. */
export function pickSite(account) {
  const keys = account.sites.map((s) => s.key);
  if (!keys.includes(site()) && keys.length) chooseSite(keys[0]);
  return keys.includes(site());
}

/** A switcher between an account's sites (none for a single site); `onSwitch` after one. */
export function siteSwitcher(account, onSwitch) {
  if (!account || account.sites.length < 2) return null;
  const select = h('select', { id: 'site-switch', name: 'site', 'aria-label': t('account.site') },
    account.sites.map((s) => h('option', { value: s.key, selected: s.key === site() },
      `${s.name} · ${roleName(s.role)}`)));
  select.addEventListener('change', () => {
    chooseSite(select.value);
    onSwitch();
  });
  return select;
}
