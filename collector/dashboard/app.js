// The dashboard: a hash router over the token API. Pages by role: operators get dialogs and
// source cards, analysts reports, admins everything plus the site settings.

import { api, forgetToken, keepToken, token } from './api.js';
import { errorBox, field, h, replace } from './dom.js';
import { useTimeZone } from './format.js';
import { dialogsPage } from './dialogs.js';
import { cardPage } from './card.js';
import { reportsPage } from './reports.js';
import { settingsPage } from './settings.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let me = null;

/** Shows `content` as the page; `state` and `view` (the hash it answers) tell tests and
 * assistive tools when the page for the current address is complete. */
function show(content, state = 'ready') {
  replace(main, content);
  main.dataset.state = state;
  main.dataset.view = location.hash;
}

/** Goes to `hash`, rendering even when it is the current one. */
function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function signInPage() {
  const input = h('input', {
    type: 'password', name: 'token', autocomplete: 'current-password', required: true,
    placeholder: 'crt_…', size: 48,
  });
  const remember = h('input', { type: 'checkbox', name: 'remember' });
  const message = h('div');
  const form = h('form', { class: 'card narrow', id: 'signin' },
    h('h1', null, 'Sign in'),
    h('p', { class: 'muted' },
      'Paste an API token. An admin creates tokens under Settings, or with ',
      h('code', null, 'chatrail token create'), '.'),
    field('API token', input),
    h('label', { class: 'check' }, remember, ' Remember me on this device'),
    message,
    h('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = input.value.trim();
    try {
      me = await api('/me', { as: value });
      keepToken(value, remember.checked);
      navigate('#/');
    } catch (err) {
      replace(message, errorBox(err.status === 401 ? 'That token is not valid.' : err));
    }
  });
  return form;
}

function renderNav() {
  if (!me) {
    replace(nav);
    return;
  }
  const links = [];
  if (me.can.dialogs) links.push(h('a', { href: '#/dialogs' }, 'Dialogs'));
  if (me.can.reports) links.push(h('a', { href: '#/reports' }, 'Reports'));
  if (me.can.settings) links.push(h('a', { href: '#/settings' }, 'Settings'));
  const current = location.hash.split('?')[0].split('/')[1] || '';
  for (const a of links) {
    if (a.getAttribute('href') === `#/${current}`) a.setAttribute('aria-current', 'page');
  }
  replace(nav, links,
    h('span', { class: 'who' }, me.site.name, ' · ', me.role),
    h('button', {
      type: 'button', class: 'link', id: 'signout',
      onclick: () => { forgetToken(); me = null; navigate('#/'); },
    }, 'Sign out'));
}

function home() {
  if (me.can.dialogs) return 'dialogs';
  if (me.can.reports) return 'reports';
  return 'settings';
}

async function route() {
  const [path, search] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(search || '');
  const parts = path.split('/').filter(Boolean);
  if (!token()) {
    me = null;
    renderNav();
    show(signInPage());
    return;
  }
  main.dataset.state = 'loading';
  try {
    if (!me) me = await api('/me');
  } catch (err) {
    if (err.status === 401) forgetToken();
    me = null;
    renderNav();
    show(h('div', null, errorBox(err), signInPage()));
    return;
  }
  useTimeZone(me.site.timezone);
  const page = parts[0] || home();
  renderNav();
  const go = (hash) => { location.hash = hash; };
  const pages = {
    dialogs: () => (parts[1] ? cardPage(me, parts[1]) : dialogsPage(me, params, go)),
    reports: () => reportsPage(me, params, go),
    settings: () => settingsPage(me),
  };
  const allowed = { dialogs: me.can.dialogs, reports: me.can.reports, settings: me.can.settings };
  if (!pages[page] || !allowed[page]) {
    show(h('div', { class: 'card' }, h('h1', null, 'Not here'),
      h('p', null, `This token (${me.role}) has no “${page}” page.`)));
    return;
  }
  try {
    show(await pages[page]());
  } catch (err) {
    show(errorBox(err), 'error');
  }
}

window.addEventListener('hashchange', route);
route();
